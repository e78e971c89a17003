"""The interactive page for students: a Mesa ``SolaraViz`` app over the trust model.

Start it with ``make app`` (``solara run sim/app/page.py``) and open the address it prints.

The sidebar has a switch for each of the policies the sources propose, a slider for each
policy's main intensity, the day the switched-on policies take effect (0: from the start;
later: watch the pre-reform baseline turn into the reform), the scale and the seed. Moving a
widget changes nothing until **Reset**, which rebuilds the model from those settings through
the same Hydra configs as the command line (``sim.runs.api.compose``). **Step** advances the model
by "Render Interval" days; ▶ plays.

**One world or two.** The switch above the headline figures puts the pre-reform baseline beside
the chosen policies, run in lockstep from the same seed: two ``TrustModel`` instances with the
same residents, the same network and the same illnesses (common random numbers), so that every
difference between them is what the policies did. Switched on mid-run, the baseline is run up to
the same day first. It stays on across **Reset**.

**The history.** The switch below it plays China 2006-2019 (``sim.app.history_view``): the
history scenario from its start date at the tiny scale (or the small one) with the sidebar's
seed, dates on every time axis, each reform marked with its name when the run reaches its date,
and a chart of the model's yearly figures beside what was observed nationally. In two-world mode
the baseline is the same history without the reforms. It also stays on across **Reset**.

The main area shows, live: the residents' social network around resident 0 coloured by each
resident's trust in doctors, in each world (a ring marks an open dispute, a star the resident
followed); the run's headline figures (``sim.engine.metrics.summarise``); disputes filed per day,
violent incidents and injured doctors (cumulative), mean trust in doctors and in primary clinics
with the legitimacy of the dispute system, each world's line beside the other's; the difference
(policies minus baseline) over time; and **a resident's story**: pick a resident by number (or
the one with the most to tell) and see their episodes of care and what they paid, what their
contacts and the media told them, their trust, disputes and any violence, as a timeline, in each
world (``sim.engine.watch``, ``sim.analysis.story``). The residents drawn in the network are
watched from day 0; another resident is watched from the day they are picked.

Every chart says what it shows: one run per world (no interval), its seed, scale and days;
moving means are trailing and start where their window is full.

**Memory: sessions are bounded and freed.** Each browser session holds its worlds (about 0.45 GB
at the default scale, measured in docs/reliability.md). A session's worlds and watches are
released when its kernel closes: when the tab is closed, or ``SIM_APP_DISCONNECT_TIMEOUT``
(default 15 minutes) after the page lost its connection without closing (solara's own default
is 24 hours); a run that was playing then stops. The server keeps the worlds of at most
``SIM_APP_MAX_SESSIONS`` sessions (default 12, for a 24 GB laptop: about 5.5 GB at the default
scale); a new session beyond that releases the worlds of the session used least recently, whose
page then says so (**Reset** there starts again). See :class:`SessionRegistry`.
"""

from __future__ import annotations

import html
import logging
import os
import threading
import warnings
import weakref
from collections import OrderedDict

import mesa
import networkx as nx
import numpy as np
import solara
from matplotlib.figure import Figure

with warnings.catch_warnings():  # solara's hook linter flags Mesa's own ComponentsView on import
    warnings.filterwarnings("ignore", message=".*use_state. found despite early return", category=UserWarning)
    from mesa.visualization import Slider, SolaraViz
    from mesa.visualization.utils import force_update

from sim.analysis import story
from sim.analysis.drawing import draw_trust_network, message_figure, network_sample, time_axis
from sim.app import history_view
from sim.config.compose import compose
from sim.engine.metrics import summarise
from sim.engine.model import TrustModel
from sim.engine.watch import Watch
from sim.policies import POLICIES, POLICY_NAMES

#: Scales offered on the page ('large', a million residents, is too slow to watch live).
SCALES = ("tiny", "small", "default")
#: The intensity of each policy that gets a slider (the others keep their configured values).
MAIN_INTENSITY = {name: policy.main_intensity for name, policy in POLICIES.items()}
#: Days one click on "Step" advances at first (SolaraViz's "Render Interval").
DAYS_PER_STEP = 7
#: Window of the disputes chart's moving mean (days; drawn from the first full window).
WINDOW = 30
#: Label of the switch between one world and two.
TWO_WORLDS_LABEL = "Two worlds: the baseline beside the policies (same seed)"
#: Events of a resident's story listed under its chart (the latest).
STORY_ROWS = 40
BASELINE_LABEL = "Pre-reform baseline"

#: Environment setting: the most sessions whose worlds the server keeps at once.
MAX_SESSIONS_ENV = "SIM_APP_MAX_SESSIONS"
#: Its default, for a 24 GB laptop: ~0.45 GB per session at the default scale (two worlds and the
#: charts; docs/reliability.md), so ~5.5 GB for 12, leaving most of the machine to everything else.
DEFAULT_MAX_SESSIONS = 12
#: Environment setting: how long a page that lost its connection (without closing) keeps its
#: session before the kernel is closed and its worlds freed (solara's ``kernel.cull_timeout``;
#: ``SOLARA_KERNEL_CULL_TIMEOUT``, if set, wins).
DISCONNECT_TIMEOUT_ENV = "SIM_APP_DISCONNECT_TIMEOUT"
DEFAULT_DISCONNECT_TIMEOUT = "15m"

logger = logging.getLogger(__name__)


def max_sessions_setting() -> int:
    """``SIM_APP_MAX_SESSIONS`` (a whole number, at least 1), or the default."""
    raw = os.environ.get(MAX_SESSIONS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_SESSIONS
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MAX_SESSIONS_ENV}={raw!r}: expected a whole number of sessions, at least 1") from None
    if value < 1:
        raise ValueError(f"{MAX_SESSIONS_ENV}={raw!r}: expected a whole number of sessions, at least 1")
    return value


def _set_disconnect_timeout() -> None:
    """Close a page's kernel (and free its worlds) this long after it lost its connection,
    instead of solara's 24 hours, unless solara's own setting was given."""
    if "SOLARA_KERNEL_CULL_TIMEOUT" in os.environ:
        return
    try:
        import solara.server.settings
    except ImportError:  # pragma: no cover (solara without its server)
        return
    solara.server.settings.kernel.cull_timeout = os.environ.get(DISCONNECT_TIMEOUT_ENV) or DEFAULT_DISCONNECT_TIMEOUT


_set_disconnect_timeout()


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


class PageView:
    """What the page shows, kept across **Reset** (SolaraViz rebuilds the model from the sidebar's
    settings and hands this over as a fixed parameter): one world or two, the resident followed,
    the history (at ``history_scale``) or the sidebar's policies.

    It is also the browser session's handle on its worlds: the :class:`TrustApp` in use
    (``app``), released when the session ends (:meth:`close`) or is evicted by the
    :class:`SessionRegistry` (then ``released`` says why, and the page shows it).
    """

    def __init__(self, two_worlds: bool = False, resident: int = 0, history: bool = False, history_scale: str = "tiny"):
        self.two_worlds, self.resident = two_worlds, resident
        self.history, self.history_scale = history, history_scale
        self.app: TrustApp | None = None
        #: Why this session's worlds were released (shown on the page), or None.
        self.released: str | None = None
        #: Called (in a thread of its own) when the registry evicts this session: redraws the page.
        self.on_evicted = None

    def attach(self, app: TrustApp) -> None:
        """``app`` is now the session's model (a new one on Reset): the one it replaces is released."""
        previous, self.app, self.released = self.app, app, None
        if previous is not None and previous is not app:
            previous.release()

    def release(self, reason: str | None = None) -> None:
        """Free the session's worlds (the app object stays, empty: a playing run stops)."""
        app, self.app = self.app, None
        if app is not None:
            app.release(reason)
        self.released = reason

    def close(self) -> None:
        """The session ended (its kernel closed): free its worlds and its place in the registry."""
        SESSIONS.leave(self)
        self.release("This session has ended.")
        self.on_evicted = None


class SessionRegistry:
    """The sessions whose worlds the server keeps: at most ``limit``, the least recently used
    first to go.

    A session is admitted (:meth:`admit`) before its worlds are built, so memory holds at most
    ``limit`` sessions' worlds (and, during a session's Reset, the worlds it replaces, released
    once the new ones are built); the session used least recently
    (built, stepped, reset, its story picked: :meth:`touch`) is then evicted: its worlds are
    released and its page says why. A session leaves on its own when its kernel closes
    (:meth:`leave`). The registry holds only weak references to the sessions (a collected one is
    forgotten), so it never keeps a session's worlds alive.
    """

    def __init__(self, limit: int | None = None):
        self._limit = limit
        self._lock = threading.Lock()
        self._live: OrderedDict[int, weakref.ref[PageView]] = OrderedDict()  # oldest use first

    @property
    def limit(self) -> int:
        """The bound given, or else ``SIM_APP_MAX_SESSIONS`` read at each admission (default 12)."""
        return self._limit if self._limit is not None else max_sessions_setting()

    def _purge(self) -> None:
        """Forget sessions that were collected (call with the lock held; no weakref callbacks,
        which could run inside the lock during a collection)."""
        for key in [key for key, ref in self._live.items() if ref() is None]:
            del self._live[key]

    def admit(self, view: PageView) -> list[PageView]:
        """``view`` is about to build worlds: make room for it (evicting the least recently used
        sessions beyond the limit) and count it as the most recent. Returns the evicted sessions."""
        evicted, limit = [], self.limit
        with self._lock:
            self._purge()
            key = id(view)
            if key in self._live and self._live[key]() is view:
                self._live.move_to_end(key)
            else:
                self._live.pop(key, None)
                self._live[key] = weakref.ref(view)
            while len(self._live) > limit:
                _, ref = self._live.popitem(last=False)
                other = ref()
                if other is not None and other is not view:
                    evicted.append(other)
        message = (
            f"This session's simulation was closed to free memory: the server keeps at most {limit} "
            "session(s) and this one was used least recently. Press Reset to start again."
        )
        for other in evicted:
            logger.info("page sessions: %d kept, evicting the least recently used", limit)
            other.release(message)
            notify = other.on_evicted
            if notify is not None:  # redraw that page from a thread of its own (no lock of ours held)
                threading.Thread(target=notify, name="sim-app-evicted", daemon=True).start()
        return evicted

    def touch(self, view: PageView) -> None:
        """``view`` was used: it is now the most recent."""
        with self._lock:
            ref = self._live.get(id(view))
            if ref is not None and ref() is view:
                self._live.move_to_end(id(view))

    def leave(self, view: PageView) -> None:
        with self._lock:
            ref = self._live.get(id(view))
            if ref is not None and ref() is view:
                del self._live[id(view)]

    def sessions(self) -> list[PageView]:
        """The sessions kept, least recently used first."""
        with self._lock:
            self._purge()
            refs = list(self._live.values())
        return [view for view in (ref() for ref in refs) if view is not None]

    def __len__(self) -> int:
        return len(self.sessions())


#: The server's sessions (one process serves every visitor); the bound: ``SIM_APP_MAX_SESSIONS``.
SESSIONS = SessionRegistry()


class TrustApp(mesa.Model):
    """The page's model: the world of the chosen policies (``main``) and, in two-world mode, the
    pre-reform baseline beside it (``baseline``), both built from the page's settings (keyword
    arguments, see :func:`overrides`) with the same seed and stepped in lockstep.

    SolaraViz drives one model: it calls ``TrustApp(**settings)`` on Reset and ``step()`` on
    Step, and hands the app to every component, which draws one world or both. The settings go
    through ``sim.runs.api.compose``, so each world is exactly what ``python -m sim`` runs with the
    same overrides (the baseline: without the policies). Each world has a
    :class:`~sim.engine.watch.Watch` of the same residents (those drawn in the network, and the
    one followed), for the resident's story.
    """

    def __init__(self, view: PageView | None = None, **kwargs):  # SolaraViz: catch-all only as 'kwargs'
        unknown = set(kwargs) - set(default_settings())
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}")
        self.settings = {**default_settings(), **kwargs}
        super().__init__(seed=int(self.settings["seed"]))  # (nothing draws from it: each world has its streams)
        self.view = view if view is not None else PageView()
        self.released: str | None = None
        if view is not None:  # a page's session (not a bare app in a notebook or a test): bounded
            SESSIONS.admit(self.view)
        self.build()

    def build(self) -> None:
        """The worlds on day 0, from the settings and the view (e.g. after the history switch)."""
        self.main = TrustModel(compose(self.overrides())).burn_in()
        self._network_sample: tuple[nx.Graph, dict] | None = None
        if not 0 <= self.view.resident < self.main.patients.n:  # e.g. a smaller scale since
            self.view.resident = 0
        self.watches = {self.main: Watch.attach(self.main, self.watched())}
        self.baseline: TrustModel | None = None
        if self.view.two_worlds:
            self.set_two_worlds(True)
        self.view.attach(self)

    # ----- the worlds -------------------------------------------------------------------------
    def overrides(self, baseline: bool = False) -> list[str]:
        """A world's Hydra overrides: the sidebar's settings, or the history (``baseline``: without
        the policies, or without the reforms)."""
        if self.view.history:
            return history_view.overrides(self.settings["seed"], self.view.history_scale, reforms=not baseline)
        return overrides(baseline_settings(self.settings) if baseline else self.settings)

    @property
    def history(self) -> bool:
        return self.view.history

    def set_history(self, on: bool, scale: str | None = None) -> None:
        """Play the history (or go back to the sidebar's settings): the worlds start again on day 0."""
        self.view.history = bool(on)
        if scale is not None:
            history_view.overrides(0, scale)  # (refuses a scale the history is not offered at)
            self.view.history_scale = scale
        if self.released is not None:  # (the switch is remembered for the next Reset)
            return
        SESSIONS.touch(self.view)
        self.steps = 0
        self.build()

    def step(self) -> None:
        """One day in each world. Once released: nothing, and ``running`` turns False, which stops
        SolaraViz's play loop and disables its Step button; a play loop that goes on anyway (its
        page closed, its reactive state gone with the kernel) gets an error, which ends it."""
        main, baseline = self.main, self.baseline  # (a release may come from another thread meanwhile)
        if self.released is not None or main is None:
            if not self.running:  # stepped again after the release: only a play loop whose page is
                raise RuntimeError(self.released)  # gone does that (it ends on the error)
            self.running = False
            return
        main.step()
        if baseline is not None:
            baseline.step()
        SESSIONS.touch(self.view)

    def release(self, reason: str | None = None) -> None:
        """Drop both worlds, their watches and the network drawn, so that they are freed even
        while something (a play thread, a stale widget) still holds this object; ``running``
        turns False. Idempotent."""
        self.released = reason or "This session has ended."
        self.running = False
        self.main = self.baseline = None  # type: ignore[assignment]
        self.watches = {}
        self._network_sample = None

    @property
    def two_worlds(self) -> bool:
        return self.baseline is not None

    def set_two_worlds(self, on: bool) -> None:
        """Put the baseline beside the policies (run up to today first, from the same seed), or drop it."""
        self.view.two_worlds = bool(on)
        if self.released is not None:
            return
        SESSIONS.touch(self.view)
        if on and self.baseline is None:
            baseline = TrustModel(compose(self.overrides(baseline=True))).burn_in()
            self.watches[baseline] = Watch.attach(baseline, self.watches[self.main].watched)
            baseline.run(self.main.day)
            self.baseline = baseline
        elif not on and self.baseline is not None:
            self.watches.pop(self.baseline)
            self.baseline = None

    def worlds(self) -> dict[str, TrustModel]:
        """The worlds shown: ``policies`` (the chosen policies), after ``baseline`` in two-world mode."""
        if self.baseline is None:
            return {"policies": self.main}
        return {"baseline": self.baseline, "policies": self.main}

    def label(self, key: str) -> str:
        """A world's name on the page: the baseline, or the policies switched on."""
        if self.history:
            return history_view.label(key)
        if key == "baseline":
            return BASELINE_LABEL
        on = self.main.config.policies.enabled()
        if not on:
            return "No policy (the baseline)" if self.baseline is None else "Policies: none switched on"
        return "Policies: " + " + ".join(POLICIES[p].label for p in on)

    @property
    def day(self) -> int:
        return self.main.day

    @property
    def config(self):
        return self.main.config

    def network_sample(self) -> tuple[nx.Graph, dict]:
        """The residents drawn on the page and their positions (computed once: both worlds have
        the same network, drawn from the seed's own stream)."""
        if self._network_sample is None:
            self._network_sample = network_sample(self.main)
        return self._network_sample

    # ----- the resident followed --------------------------------------------------------------
    def watched(self) -> list[int]:
        """The residents whose story is recorded: those drawn in the network, and the one followed."""
        sample, _ = self.network_sample()
        return [self.view.resident, *(int(r) for r in sample.nodes if int(r) != self.view.resident)]

    @property
    def resident(self) -> int:
        return self.view.resident

    def follow(self, resident: int) -> None:
        """Follow ``resident``'s story (watched from the next day if not watched yet)."""
        resident = int(resident)
        if self.released is not None:
            return
        SESSIONS.touch(self.view)
        if not 0 <= resident < self.main.patients.n:
            raise ValueError(f"resident {resident} does not exist (residents 0-{self.main.patients.n - 1})")
        self.view.resident = resident
        for watch in self.watches.values():
            watch.add([resident])

    def story_worlds(self) -> dict[str, tuple[TrustModel, Watch]]:
        return {self.label(key): (world, self.watches[world]) for key, world in self.worlds().items()}


def baseline_settings(settings: dict) -> dict:
    """The same settings with every policy switched off: the pre-reform baseline of the same seed."""
    return {**settings, **dict.fromkeys(POLICY_NAMES, False)}


# ---------------------------------------------------------------------------------------------
# Page components: each takes the model and returns a solara element (SolaraViz re-renders
# them after every step)
# ---------------------------------------------------------------------------------------------
def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    return fig, fig.subplots()


def _show(fig: Figure):
    return solara.FigureMatplotlib(fig, format="png")


def _ls(key: str) -> str:
    """Line style of a world: the baseline dashed, the policies solid."""
    return "--" if key == "baseline" else "-"


def run_note(app: TrustApp) -> str:
    """What a chart shows, in one line: runs, seed, scale and days (every chart says it)."""
    cfg, world = app.config, app.main
    runs = "one run per world" if app.two_worlds else "one run"
    days = f"days 0-{world.day - 1}" if world.day > 0 else "day 0"
    if app.history:
        days = history_view.dates_note(world)
    return f"{runs} (no interval), seed {cfg.seed}, scale {cfg.scale.name} ({world.patients.n:,} residents), {days}"


def _finish(fig: Figure, ax, app: TrustApp, title: str, frame=None) -> None:
    _, x_label = time_axis(frame) if frame is not None and len(frame) else ("day", "Day")
    ax.set_title(title)
    ax.set_xlabel(x_label.lower())
    if app.history:
        history_view.mark_reforms(ax, app.main)
    fig.suptitle(run_note(app), fontsize=8, color="0.3")


def _series(app: TrustApp):
    """(key, daily frame, x values) of each world shown."""
    out = []
    for key, world in app.worlds().items():
        frame = world.timeseries()
        column, _ = time_axis(frame) if len(frame) else ("day", "Day")
        out.append((key, frame, frame[column] if len(frame) else frame.get("day")))
    return out


def _who(app: TrustApp, key: str) -> str:
    """A world's short tag in a legend entry, in two-world mode only."""
    if not app.two_worlds:
        return ""
    if app.history:
        return " (without reforms)" if key == "baseline" else " (reforms)"
    return f" ({key})"


def DisputesChart(app: TrustApp):
    """Disputes filed per day, with a trailing 30-day mean from the first full window (day 29)."""
    fig, ax = _figure()
    frame = None
    for key, frame, x in _series(app):
        if not len(frame):
            continue
        disputes = frame["disputes"]
        colour = "0.35" if key == "baseline" else "tab:orange"
        ax.plot(x, disputes, color=colour, alpha=0.25, lw=0.7, ls=_ls(key))
        ax.plot(x, disputes.rolling(WINDOW, min_periods=WINDOW).mean(), color=colour, lw=2, ls=_ls(key),
                label=f"{app.label(key)}: {WINDOW}-day mean")  # fmt: skip
    if frame is not None and len(frame):
        ax.legend(loc="upper left", fontsize=7, title=f"thin: per day; thick: mean from day {WINDOW - 1}",
                  title_fontsize=7)  # fmt: skip
    ax.set_ylabel("disputes per day")
    _finish(fig, ax, app, "Disputes filed", frame)
    return _show(fig)


def ViolenceChart(app: TrustApp):
    """Violent incidents (disturbances and assaults) and injured doctors since day 0."""
    fig, ax = _figure()
    frame = None
    for key, frame, x in _series(app):
        if not len(frame):
            continue
        ls, who = _ls(key), _who(app, key)
        ax.step(x, frame["violent_incidents"].cumsum(), where="post", color="tab:red", ls=ls,
                label=f"violent incidents{who}")  # fmt: skip
        ax.step(x, frame["doctors_injured"].cumsum(), where="post", color="black", ls=ls,
                label=f"doctors injured{who}")  # fmt: skip
    if frame is not None and len(frame):
        ax.legend(loc="upper left", fontsize=7)
    ax.set_ylabel("count since day 0")
    _finish(fig, ax, app, "Violence against doctors (cumulative)", frame)
    return _show(fig)


def TrustChart(app: TrustApp):
    """Mean trust in doctors and in primary clinics, and the dispute system's legitimacy."""
    fig, ax = _figure()
    frame = None
    for key, frame, x in _series(app):
        if not len(frame):
            continue
        ls, who = _ls(key), _who(app, key)
        ax.plot(x, frame["mean_trust"], color="tab:green", lw=2, ls=ls, label=f"trust in doctors{who}")
        ax.plot(x, frame["mean_trust_primary"], color="tab:olive", ls=ls, label=f"trust in primary clinics{who}")
        ax.plot(x, frame["system_legitimacy"], color="tab:blue", ls=ls, lw=1, label=f"dispute-system legitimacy{who}")
    if frame is not None and len(frame):
        ax.legend(loc="lower left", fontsize=7, ncols=2 if app.two_worlds else 1)
    ax.set(ylim=(0, 1), ylabel="mean over residents (0-1)")
    _finish(fig, ax, app, "Mean trust", frame)
    return _show(fig)


#: The difference chart's panels: (daily column, title, cumulate the daily values?). A panel is
#: drawn when both worlds' daily series have the column: a new daily quantity (e.g. what the
#: policies cost, once runs have costs) joins by a line here.
DIFFERENCES = [
    ("disputes", "disputes filed\n(cumulative)", True),
    ("violent_incidents", "violent incidents\n(cumulative)", True),
    ("mean_trust", "mean trust in\ndoctors", False),
]


def DifferenceChart(app: TrustApp):
    """What the policies changed: policies minus baseline, day by day (two-world mode)."""
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    if not app.two_worlds:
        message = f'One world. Switch on\n"{TWO_WORLDS_LABEL}"\nto see what the policies change'
        message_figure(fig, message, "Policies minus baseline")
        return _show(fig)
    base, main = app.baseline.timeseries(), app.main.timeseries()
    panels = [(c, title, cum) for c, title, cum in DIFFERENCES if c in main.columns and c in base.columns]
    axes = np.atleast_1d(fig.subplots(1, max(1, len(panels))))
    if len(main):
        column, x_label = time_axis(main)
        for ax, (name, title, cumulative) in zip(axes, panels, strict=False):
            a, b = main[name].astype(float), base[name].astype(float)
            diff = a.cumsum() - b.cumsum() if cumulative else a - b
            ax.axhline(0, color="0.5", lw=0.8)
            ax.plot(main[column], diff, color="tab:purple", lw=1.8)
            if app.history:
                history_view.mark_reforms(ax, app.main, names=False)
            ax.set_title(title, fontsize=8)
            ax.set_xlabel(x_label.lower(), fontsize=8)
            ax.tick_params(labelsize=7)
    no_policy = not app.main.config.policies.enabled()
    fig.suptitle(
        "Policies minus baseline: same residents, same illnesses"
        + (" (no policy is on: the worlds are the same)" if no_policy else "")
        + "\n"
        + run_note(app),
        fontsize=8,
    )
    return _show(fig)


def NetworkView(app: TrustApp):
    """A sample of the social network, coloured by trust in doctors, in each world."""
    worlds = app.worlds()
    fig = Figure(figsize=(6 if len(worlds) == 1 else 9, 5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(worlds)))
    sample, positions = app.network_sample()
    for ax, (key, world) in zip(axes, worlds.items(), strict=True):
        draw_trust_network(ax, world, sample, positions, colourbar=ax is axes[-1])
        if app.resident in positions:  # the resident whose story is told
            x, y = positions[app.resident]
            ax.scatter([x], [y], marker="*", s=260, facecolor="none", edgecolor="blue", linewidths=1.5, zorder=4)
            ax.annotate(str(app.resident), (x, y), xytext=(6, 6), textcoords="offset points", color="blue", fontsize=8)
        ax.set_title(app.label(key) if len(worlds) > 1 else "", fontsize=9)
    fig.suptitle(
        f"{sample.number_of_nodes()} residents around resident 0, day {app.day}"
        + (": the same residents in both worlds" if len(worlds) > 1 else "")
        + f" (ring: open dispute; star: resident {app.resident}, followed below)",
        fontsize=9,
    )
    return _show(fig)


def policy_labels(model: TrustModel) -> list[str]:
    """The switched-on policies with their main intensity, e.g. ``mediation (uptake 0.65)``."""
    policies = model.config.policies
    labels = []
    for policy in policies.enabled():
        name = MAIN_INTENSITY[policy]
        value = getattr(getattr(policies, policy), name)
        labels.append(f"{POLICIES[policy].label} ({name.replace('_', ' ')} {value:g})")
    return labels


HEADLINE_ROWS = (
    ("disputes", "disputes_per_hospital_year", "{:.1f}"),
    ("violent incidents", "violent_incidents_per_hospital_year", "{:.2f}"),
    ("doctors injured", "doctors_injured_per_hospital_year", "{:.2f}"),
)


def Headlines(app: TrustApp):
    """The switch between one world and two, and the run so far in the summary's own figures
    (``sim.engine.metrics``). Plain HTML: solara's Markdown would fetch KaTeX from a CDN."""

    def switch(on: bool) -> None:
        app.set_two_worlds(on)
        force_update()

    def play_history(on: bool, scale: str | None = None) -> None:
        app.set_history(on, scale)
        force_update()

    s = summarise(app.main)
    on = "; ".join(policy_labels(app.main)) or "none (pre-reform baseline)"
    start = app.config.policies
    reform_day = max((getattr(start, p).start_day for p in s["policies"]), default=0)
    when = f", from day {reform_day}" if reform_day else ""
    note = " (a tiny hospital serves 1,000 residents: not comparable)" if s["scale"] == "tiny" else ""
    policies_line = f"Policies on: {html.escape(on)}{when}"
    date = ""
    if app.history:
        policies_line = html.escape(history_view.headline(app))
        date = f' <span class="headline-date">{history_view.today(app.main).date()}</span>'
    if app.two_worlds:
        b = summarise(app.baseline)
        head = "<th>baseline</th><th>policies</th><th>difference</th>"
        cells = [
            (k, fmt.format(b[key]), fmt.format(s[key]), ("{:+" + fmt[2:]).format(s[key] - b[key]))
            for k, key, fmt in HEADLINE_ROWS
        ]
        table = "".join(f"<tr><td>{k}</td>" + "".join(f"<td style='text-align:right'>{v}</td>" for v in vs) + "</tr>"
                        for k, *vs in cells)  # fmt: skip
        trust = (
            f"<p>Mean trust in doctors {s['mean_trust']:.3f} (baseline {b['mean_trust']:.3f}); "
            f"in primary clinics {s['mean_trust_primary']:.3f} (baseline {b['mean_trust_primary']:.3f}); "
            f"dispute-system legitimacy {s['system_legitimacy']:.3f} (baseline {b['system_legitimacy']:.3f}). "
            "Both worlds: the same seed, residents, network and illnesses.</p>"
        )
    else:
        head = "<th>so far</th>"
        table = "".join(
            f"<tr><td>{k}</td><td style='text-align:right'>{fmt.format(s[key])}</td></tr>"
            for k, key, fmt in HEADLINE_ROWS
        )
        trust = (
            f"<p>Mean trust in doctors {s['mean_trust']:.3f}; in primary clinics {s['mean_trust_primary']:.3f}; "
            f"dispute-system legitimacy {s['system_legitimacy']:.3f}; "
            f"out-of-pocket share {s['out_of_pocket_share']:.2f}.</p>"
        )
    with solara.Column() as column:
        solara.Switch(label=TWO_WORLDS_LABEL, value=app.two_worlds, on_value=switch)
        with solara.Row():
            solara.Switch(label=history_view.HISTORY_LABEL, value=app.history, on_value=play_history)
            if app.history:
                solara.Select(
                    "History scale",
                    values=list(history_view.HISTORY_SCALES),
                    value=app.view.history_scale,
                    on_value=lambda scale: play_history(True, scale),
                )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"""<p><b class="headline-day">Day {app.day}</b>{date} &mdash; scale {s["scale"]}
({s["n_patients"]:,} residents, {s["n_hospitals"]} hospitals, {s["n_doctors"]} doctors), seed {s["seed"]}</p>
<p class="headline-policies">{policies_line}</p>
<table><tr><th style='text-align:left'>per hospital per year{note}</th>{head}</tr>{table}</table>
{trust}""",
        )
    return column


def ResidentStory(app: TrustApp):
    """A resident's story: their trust over the days with their episodes, what they were told,
    disputes and violence marked, what they paid; the latest events listed (``sim.analysis.story``)."""

    def pick(value) -> None:
        try:
            app.follow(int(value))
        except (TypeError, ValueError):
            return
        force_update()

    def most_eventful() -> None:
        main = app.watches[app.main]
        app.follow(story.most_eventful(app.main, main))
        force_update()

    worlds = app.story_worlds()
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    story.draw_story(fig, worlds, app.resident)
    fig.suptitle(f"Resident {app.resident}: {run_note(app)}", fontsize=8, color="0.3")
    rows = []
    for key, world in app.worlds().items():
        frame = story.timeline(world, app.watches[world], app.resident)
        frame = frame[~((frame["kind"] == "trust") & frame["text"].str.endswith("no change"))]
        rows += [(r.day, key, r.kind, r.text) for r in frame.itertuples()]
    rows = sorted(rows, key=lambda r: r[0])[-STORY_ROWS:]
    body = "".join(
        f"<tr><td>{day}</td>"
        + (f"<td>{key}</td>" if len(worlds) > 1 else "")
        + f"<td>{html.escape(kind)}</td><td>{html.escape(text)}</td></tr>"
        for day, key, kind, text in reversed(rows)
    )
    world_head = "<th>world</th>" if len(worlds) > 1 else ""
    # the grid item has a fixed height: the story scrolls inside it (or drag its corner to enlarge it)
    with solara.Column(style={"height": "100%", "overflow-y": "auto"}) as column:
        with solara.Row():
            solara.InputInt("Resident (number)", value=app.resident, on_value=pick, continuous_update=False)
            solara.Button("A resident with a story", on_click=most_eventful, outlined=True)
        _show(fig)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"""<div class="resident-story" style="font-size:12px">
<table style="border-spacing:8px 2px"><tr><th>day</th>{world_head}<th>what</th><th></th></tr>{body}</table></div>""",
        )
    return column


def HistoryChart(app: TrustApp):
    """Observed against modelled, by calendar year, in history mode (``sim.app.history_view``)."""
    return history_view.observed_chart(app, run_note(app))


def _unless_released(component):
    """The component, or, once the session's worlds were released, the reason (on every panel)."""

    def shown(app: TrustApp):
        if app.released is not None:
            return solara.Warning(app.released, classes=["session-released"])
        return component(app)

    shown.__name__ = shown.__qualname__ = component.__name__
    shown.__doc__ = component.__doc__
    return shown


COMPONENTS = [
    _unless_released(c)
    for c in (
        NetworkView,
        Headlines,
        DisputesChart,
        ViolenceChart,
        TrustChart,
        DifferenceChart,
        HistoryChart,
        ResidentStory,
    )
]


def model_params(view: PageView | None = None) -> dict:
    """SolaraViz widgets: scale, seed, reform day, then a switch and a slider per policy; ``view``
    (what the page shows: one world or two, the resident followed) is handed to each new model."""
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
    if view is not None:
        params["view"] = view  # a fixed parameter (not a widget): kept across Reset
    return params


def _redraw_in(context):
    """A function that redraws the page of a kernel context (from any thread), or None outside a server."""
    if context is None:
        return None
    context = weakref.ref(context)

    def redraw() -> None:
        ctx = context()
        if ctx is None or ctx.closed_event.is_set():
            return
        try:
            with ctx:
                force_update()
        except Exception:  # the page may be closing meanwhile: it has nothing to show then
            logger.debug("could not redraw an evicted page", exc_info=True)

    return redraw


def _current_kernel_context():
    try:
        from solara.server import kernel_context
    except ImportError:  # pragma: no cover
        return None
    return kernel_context.get_current_context() if kernel_context.has_current_context() else None


@solara.component
def Page():
    """One model per browser session, built from the default settings; the session's worlds are
    released when the page is closed (its kernel closes: the effect's cleanup) and bounded across
    sessions by :data:`SESSIONS`."""
    view = solara.use_memo(PageView, [])
    view.on_evicted = solara.use_memo(lambda: _redraw_in(_current_kernel_context()), [])
    model = solara.use_memo(lambda: TrustApp(view=view, **default_settings()), [])
    solara.use_effect(lambda: view.close, [])  # cleanup on unmount: the kernel context closed
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(view),
        name="Doctor-patient trust, disputes and violence",
        render_interval=DAYS_PER_STEP,
        play_interval=50,
    )
