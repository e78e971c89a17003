"""The interactive page for students: a Mesa ``SolaraViz`` app over the trust model.

Start it with ``make app`` (``solara run sim/app/page.py``) and open the address it prints.

The sidebar has a switch for each of the ten policies the sources propose, a slider for each
policy's main intensity, the day the switched-on policies take effect (0: from the start;
later: watch the pre-reform baseline turn into the reform), the scale and the seed. Moving a
widget changes nothing until **Reset**, which rebuilds the model from those settings through
the same Hydra configs as the command line (``sim.runs.api.compose``). **Step** advances the model
by "Render Interval" days; ▶ plays.

The main area shows, live: disputes filed per day, violent incidents and injured doctors
(cumulative), mean trust in doctors and in primary clinics with the legitimacy of the dispute
system (Epstein's legitimacy), a sample of the residents' social network coloured by each
resident's trust in doctors (a ring marks an open dispute), and the run's headline figures
(``sim.metrics.summarise``).
"""

from __future__ import annotations

import html
import warnings

import networkx as nx
import solara
from matplotlib.figure import Figure

with warnings.catch_warnings():  # solara's hook linter flags Mesa's own ComponentsView on import
    warnings.filterwarnings("ignore", message=".*use_state. found despite early return", category=UserWarning)
    from mesa.visualization import Slider, SolaraViz

from sim.analysis.drawing import draw_trust_network, network_sample
from sim.config.compose import compose
from sim.engine.metrics import summarise
from sim.engine.model import TrustModel
from sim.policies import POLICIES, POLICY_NAMES

#: Scales offered on the page ('large', a million residents, is too slow to watch live).
SCALES = ("tiny", "small", "default")
#: The intensity of each policy that gets a slider (the others keep their configured values).
MAIN_INTENSITY = {name: policy.main_intensity for name, policy in POLICIES.items()}
#: Days one click on "Step" advances at first (SolaraViz's "Render Interval").
DAYS_PER_STEP = 7


def intensity_setting(policy: str) -> str:
    """The page's keyword for a policy's main intensity, e.g. ``mediation_uptake``."""
    return f"{policy}_{MAIN_INTENSITY[policy]}"


def default_intensity(policy: str) -> float:
    """The schema default of a policy's main intensity (``sim/policies/<policy>.py``)."""
    return POLICIES[policy].default(MAIN_INTENSITY[policy])


def default_settings() -> dict:
    """The page's initial settings: the pre-reform baseline at the small scale, seed 0."""
    settings = {"scale": "small", "seed": 0, "reform_day": 0}
    for policy in POLICY_NAMES:
        settings[policy] = False
        settings[intensity_setting(policy)] = default_intensity(policy)
    return settings


def overrides(settings: dict) -> list[str]:
    """Hydra override strings for the page's settings.

    A policy's slider sets its dose (``Policy.at_dose``: the main intensity, and the other
    intensities in proportion, so that the slider at its lowest is no reform at all). Intensities
    and start day are passed only when the policy is switched on: the config rejects settings
    of a policy that is off (they would be silently ignored).
    """
    switched_on = [p for p in POLICY_NAMES if settings.get(p, False)]
    result = [
        f"scale={settings.get('scale', 'small')}",
        f"seed={int(settings.get('seed', 0))}",
        f"policies=[{','.join(switched_on)}]",
    ]
    for policy in switched_on:
        key = intensity_setting(policy)
        if key in settings:  # the slider is the policy's dose: its other intensities move with it
            for name, value in POLICIES[policy].at_dose(float(settings[key])).items():
                result.append(f"policies.{policy}.{name}={value!r}")
        if int(settings.get("reform_day", 0)):
            result.append(f"policies.{policy}.start_day={int(settings['reform_day'])}")
    return result


class TrustApp(TrustModel):
    """The trust model built from the page's widgets (keyword arguments, see :func:`overrides`).

    SolaraViz's Reset calls ``TrustApp(**settings)``; the settings go through
    ``sim.runs.api.compose``, so the page runs exactly what ``python -m sim`` would with the same
    overrides.
    """

    def __init__(self, **kwargs):  # SolaraViz accepts a catch-all only under the name 'kwargs'
        unknown = set(kwargs) - set(default_settings())
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}")
        self.settings = {**default_settings(), **kwargs}
        super().__init__(compose(overrides(self.settings)))
        self.burn_in()
        self._network_sample: tuple[nx.Graph, dict] | None = None

    def network_sample(self) -> tuple[nx.Graph, dict]:
        """The residents drawn on the page and their positions (computed once per model)."""
        if self._network_sample is None:
            self._network_sample = network_sample(self)
        return self._network_sample


# ---------------------------------------------------------------------------------------------
# Page components: each takes the model and returns a solara element (SolaraViz re-renders
# them after every step)
# ---------------------------------------------------------------------------------------------
def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    return fig, fig.subplots()


def _show(fig: Figure):
    return solara.FigureMatplotlib(fig, format="png")


def DisputesChart(model: TrustModel):
    """Disputes filed per day, with a 30-day moving average."""
    fig, ax = _figure()
    frame = model.timeseries()
    if len(frame):
        day, disputes = frame["day"], frame["disputes"]
        ax.plot(day, disputes, color="tab:orange", alpha=0.35, lw=0.8, label="per day")
        ax.plot(day, disputes.rolling(30, min_periods=1).mean(), color="tab:orange", lw=2, label="30-day mean")
        ax.legend(loc="upper left")
    ax.set(title="Disputes filed", xlabel="day", ylabel="disputes per day")
    return _show(fig)


def ViolenceChart(model: TrustModel):
    """Violent incidents (disturbances and assaults) and injured doctors since day 0."""
    fig, ax = _figure()
    frame = model.timeseries()
    if len(frame):
        day = frame["day"]
        ax.step(day, frame["violent_incidents"].cumsum(), where="post", color="tab:red", label="violent incidents")
        ax.step(day, frame["doctors_injured"].cumsum(), where="post", color="black", label="doctors injured")
        ax.legend(loc="upper left")
    ax.set(title="Violence against doctors (cumulative)", xlabel="day", ylabel="count")
    return _show(fig)


def TrustChart(model: TrustModel):
    """Mean trust in doctors and in primary clinics, and the dispute system's legitimacy."""
    fig, ax = _figure()
    frame = model.timeseries()
    if len(frame):
        ax.plot(frame["day"], frame["mean_trust"], color="tab:green", lw=2, label="trust in doctors")
        ax.plot(frame["day"], frame["mean_trust_primary"], color="tab:olive", label="trust in primary clinics")
        ax.plot(frame["day"], frame["system_legitimacy"], color="tab:blue", ls="--", label="dispute-system legitimacy")
        ax.legend(loc="lower left")
    ax.set(title="Mean trust", xlabel="day", ylim=(0, 1))
    return _show(fig)


def NetworkView(model: TrustApp):
    """A sample of the social network, coloured by trust in doctors."""
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.subplots()
    sample, positions = model.network_sample()
    draw_trust_network(ax, model, sample, positions)
    ax.set_title(f"{sample.number_of_nodes()} residents around resident 0, day {model.day}")
    return _show(fig)


def policy_labels(model: TrustApp) -> list[str]:
    """The switched-on policies with their main intensity, e.g. ``mediation (uptake 0.65)``."""
    policies = model.config.policies
    labels = []
    for policy in policies.enabled():
        name = MAIN_INTENSITY[policy]
        value = getattr(getattr(policies, policy), name)
        labels.append(f"{POLICIES[policy].label} ({name.replace('_', ' ')} {value:g})")
    return labels


def Headlines(model: TrustApp):
    """The run so far, in the summary's own figures (``sim.metrics``). Plain HTML: solara's
    Markdown would fetch KaTeX from a CDN."""
    s = summarise(model)
    on = "; ".join(policy_labels(model)) or "none (pre-reform baseline)"
    start = model.config.policies
    reform_day = max((getattr(start, p).start_day for p in s["policies"]), default=0)
    when = f", from day {reform_day}" if reform_day else ""
    note = " (a tiny hospital serves 1,000 residents: not comparable)" if s["scale"] == "tiny" else ""
    rows = [
        ("disputes", f"{s['disputes_per_hospital_year']:.1f}"),
        ("violent incidents", f"{s['violent_incidents_per_hospital_year']:.2f}"),
        ("doctors injured", f"{s['doctors_injured_per_hospital_year']:.2f}"),
    ]
    table = "".join(f"<tr><td>{k}</td><td style='text-align:right'>{v}</td></tr>" for k, v in rows)
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=f"""<p><b class="headline-day">Day {model.day}</b> &mdash; scale {s["scale"]}
({s["n_patients"]:,} residents, {s["n_hospitals"]} hospitals, {s["n_doctors"]} doctors), seed {s["seed"]}</p>
<p class="headline-policies">Policies on: {html.escape(on)}{when}</p>
<table><tr><th style='text-align:left'>per hospital per year{note}</th><th>so far</th></tr>{table}</table>
<p>Mean trust in doctors {s["mean_trust"]:.3f}; in primary clinics {s["mean_trust_primary"]:.3f};
dispute-system legitimacy {s["system_legitimacy"]:.3f}; out-of-pocket share {s["out_of_pocket_share"]:.2f}.</p>""",
    )


COMPONENTS = [NetworkView, Headlines, DisputesChart, ViolenceChart, TrustChart]


def model_params() -> dict:
    """SolaraViz widgets: scale, seed, reform day, then a switch and a slider per policy."""
    defaults = default_settings()
    params: dict = {
        "scale": {"type": "Select", "value": defaults["scale"], "values": list(SCALES), "label": "Scale"},
        "seed": Slider("Seed", value=defaults["seed"], min=0, max=99, step=1),
        "reform_day": Slider("Policies start on day", value=defaults["reform_day"], min=0, max=730, step=30),
    }
    for policy in POLICY_NAMES:
        name = MAIN_INTENSITY[policy]
        lo, hi = POLICIES[policy].intensity(name).metadata["range"]
        hi = hi if hi is not None else 4 * defaults[intensity_setting(policy)]
        params[policy] = {"type": "Checkbox", "value": False, "label": POLICIES[policy].label}
        params[intensity_setting(policy)] = Slider(
            f"{POLICIES[policy].label}: {name.replace('_', ' ')}",
            value=float(defaults[intensity_setting(policy)]),
            min=float(lo),
            max=float(hi),
            step=0.05,
            dtype=float,
        )
    return params


@solara.component
def Page():
    """One model per browser session, built from the default settings."""
    model = solara.use_memo(lambda: TrustApp(**default_settings()), [])
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(),
        name="Doctor-patient trust, disputes and violence",
        render_interval=DAYS_PER_STEP,
        play_interval=50,
    )
