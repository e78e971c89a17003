"""The configuration schema every run is validated against.

Every value the model reads lives here, in dataclasses that Hydra uses as its schema
(so an unknown key or a wrong type fails at composition) and whose ``__post_init__``
checks ranges (so ``seed=-1`` or ``params.violence.threshold=1.5`` fails before a single
day is simulated, naming the key and the allowed range).

Each numeric field is declared with :func:`param`, which records its allowed range, its
meaning and its source in the field's metadata. The ODD parameter tables
(``python -m sim.docs``) and the validation below are generated from that one place.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from sim.config.fields import UNIT, ConfigError, allowed_range, param, unit
from sim.policies import POLICIES, POLICY_NAMES, comparison_arms
from sim.policies.costs import SHARED, SharedPrices
from sim.policies.schedule import Schedule, as_schedule, check_schedule, parse_date

__all__ = ["POLICY_NAMES", "ConfigError", "SimConfig", "param", "parameter_table", "unit", "validate"]


# --------------------------------------------------------------------------------------
# Scale: how many of everything
# --------------------------------------------------------------------------------------
@dataclass
class ScaleConfig:
    """Population size and the health-system infrastructure that serves it."""

    #: the preset's name (configs/scale/<name>.yaml); set by ``scale=<name>``, not overridable
    name: str = "default"
    n_patients: int = param(100_000, 1, 50_000_000, "patients (residents) simulated")
    patients_per_hospital: int = param(
        25_000,
        100,
        1000000,
        "residents per secondary/tertiary hospital: the model hospital is a catchment unit, see docs/ODD.md "
        "'Scaling' (hospitals = n_patients / this, rounded, at least one)",
    )
    tertiary_share: float = unit(
        0.34,
        "share of hospitals that are tertiary, the rest secondary; rounded to whole hospitals, and at least one "
        "is tertiary (so 0 still builds one tertiary hospital)",
    )
    clinics_per_hospital: float = param(
        6.0, 0.1, 100, "primary clinics per hospital (rounded to whole clinics, at least one)"
    )
    doctors_per_1000: float = param(
        1.5,
        0.01,
        20,
        "licensed doctors per 1000 residents, shared among facilities by size and rounded; every hospital and "
        "clinic has at least one doctor, so a low density gives one doctor per facility",
        "China Health Statistics Yearbook 2011: 1.47 per 1000 (2010)",
    )
    hospital_doctor_share: float = unit(0.5, "share of doctors working in secondary/tertiary hospitals")
    patients_per_media_outlet: int = param(
        25_000, 100, 10000000, "residents per media area, each with one local outlet (at least 2)"
    )
    mean_degree: int = param(10, 2, 200, "mean number of social contacts (even)")
    rewiring: float = unit(0.1, "Watts-Strogatz rewiring probability (small world)")


# --------------------------------------------------------------------------------------
# Behavioural parameters, one dataclass per mechanism (docs/ODD.md section 7)
# --------------------------------------------------------------------------------------
@dataclass
class PopulationParams:
    median_income_yuan: float = param(
        15_000,
        1,
        1000000,
        "median annual disposable income per resident (yuan)",
        "NBS 2010: urban 19,109, rural 5,919 yuan",
    )
    income_sigma: float = param(0.8, 0, 3, "log-sd of income (lognormal)")
    income_growth_per_year: float = param(
        0.0,
        -0.2,
        0.3,
        "growth of residents' incomes per year (nominal; 0: incomes stay as drawn)",
        "NBS: urban disposable income per capita 11,759 yuan (2006), 42,359 (2019): +10.4 %/yr",
    )
    literacy_mean: float = unit(0.25, "mean medical literacy (beta distributed)")
    expectation_mean: float = unit(0.75, "mean baseline expectation of a good outcome (excessive expectations)")
    initial_trust: float = unit(0.55, "mean initial trust in doctors")
    initial_trust_primary: float = unit(
        0.35, "mean initial trust in primary clinics", "Duckett et al. 2016: primary distrusted"
    )
    trust_concentration: float = param(8.0, 0.1, 1000, "beta concentration of initial trust")


@dataclass
class IllnessParams:
    episodes_per_person_year: float = param(
        4.3,
        0.1,
        50,
        "care-seeking illness episodes per resident per year",
        "China 2010: 5.8e9 visits / 1.34e9 residents, minus repeat visits",
    )
    severity_a: float = param(1.2, 0.01, 100, "beta(a, b) severity of an episode: a")
    severity_b: float = param(4.0, 0.01, 100, "beta(a, b) severity of an episode: b")


@dataclass
class CareParams:
    consults_per_doctor_day_primary: float = param(12, 0.1, 10_000, "outpatient capacity per doctor-day, clinic")
    consults_per_doctor_day_hospital: float = param(10, 0.1, 10_000, "outpatient capacity per doctor-day, hospital")
    capability_primary: float = unit(0.35, "highest severity a clinic treats well")
    capability_secondary: float = unit(0.65, "highest severity a secondary hospital treats well")
    capability_tertiary: float = unit(1.0, "highest severity a tertiary hospital treats well")
    fit_penalty: float = param(2.0, 0, 20, "loss of quality per unit of severity above capability")
    irreducible_risk: float = unit(0.1, "failure probability at severity 1 under perfect care (medicine's risk)")
    burnout_quality_loss: float = unit(0.15, "quality lost at full burnout")
    rush_quality_loss: float = unit(0.15, "quality lost when consultation time is cut to zero")
    choice_trust_weight: float = param(3.0, 0, 50, "tier choice: weight of trust in the tier")
    choice_severity_weight: float = param(3.0, 0, 50, "tier choice: pull of severity towards higher tiers")
    choice_price_weight: float = param(1.0, 0, 50, "tier choice: weight of log price burden")
    choice_wait_weight: float = param(0.5, 0, 50, "tier choice: weight of log(1 + wait days) as residents hear of it")
    wait_memory_days: float = param(30, 1, 3650, "how long residents remember a facility's waits")
    prestige_secondary: float = param(0.0, -10, 10, "tier choice: reputation premium, secondary")
    prestige_tertiary: float = param(0.3, -10, 10, "tier choice: reputation premium, tertiary (big-city concentration)")
    referral_probability: float = unit(
        0.5, "chance a clinic doctor refers a case beyond its capability (else delayed referral)"
    )
    referral_delay_days: float = param(3.0, 0, 365, "days lost by a referral")
    delay_harm_per_day: float = param(0.01, 0, 1, "severity added per day of delay for cases beyond capability")


@dataclass
class CostParams:
    base_cost_primary_yuan: float = param(120, 0, 1000000, "cost of a mild episode at a clinic (yuan)")
    base_cost_secondary_yuan: float = param(700, 0, 1000000, "cost of a mild episode at a secondary hospital")
    base_cost_tertiary_yuan: float = param(1_800, 0, 1000000, "cost of a mild episode at a tertiary hospital")
    severity_cost_factor: float = param(6.0, 0, 100, "cost multiplier per unit severity")
    coverage_primary: float = unit(0.5, "insurance reimbursement share at clinics before reform")
    coverage_secondary: float = unit(0.45, "reimbursement share at secondary hospitals before reform")
    coverage_tertiary: float = unit(
        0.4,
        "reimbursement share at tertiary hospitals before reform",
        "Zhu et al. 2022: out-of-pocket share 59.9% (2000)",
    )
    uninsured_share: float = unit(0.1, "share of residents without insurance before reform")
    financial_pressure: float = unit(
        0.7, "share of hospital revenue that must come from tests and drugs (self-financing)"
    )
    overtest_rate: float = param(0.8, 0, 10, "extra cost share from over-testing at full pressure and propensity")
    defensive_cost: float = param(0.5, 0, 10, "extra cost share from defensive medicine at full fear")
    drug_markup_pressure_share: float = unit(
        0.5,
        "share of the tests-and-drugs revenue pressure that is the 15 % drug markup (zero-markup policy)",
        "HISTORY.md A6: drugs 50.5 % of the hospital outpatient bill (2006); assumption",
    )
    drug_markup_price_share: float = unit(
        0.066,
        "share of a bill that is the drug markup (0.505 x 15/115)",
        "HISTORY.md A6: drugs 50.5 % of the outpatient bill, 15 % markup",
    )
    price_growth_per_year: float = param(
        0.0,
        -0.2,
        0.3,
        "growth of the prices of care per year (nominal; 0: prices stay)",
        "approximate: NHC bulletins, outpatient cost per visit at general hospitals ~6 %/yr 2006-2019 (s)",
    )


@dataclass
class SatisfactionParams:
    literacy_expectation_cut: float = unit(0.5, "share of excess expectation removed by full literacy")
    paid_expectation_gain: float = param(
        0.15, 0, 5, "expectation added per unit log cost burden ('I paid, so cure me')"
    )
    explanation_expectation_cut: float = unit(0.35, "expectation removed by a doctor who fully explains risk")
    outcome_weight: float = param(6.0, 0, 50, "satisfaction slope in outcome minus expectation")
    wait_weight: float = param(0.08, 0, 5, "satisfaction lost per day of wait")
    cost_weight: float = param(0.5, 0, 20, "satisfaction lost per unit log cost burden")
    overtest_weight: float = param(1.0, 0, 20, "satisfaction lost per unit over-testing share (perceived profiteering)")
    baseline: float = param(1.5, -20, 20, "satisfaction log-odds when outcome meets expectation")
    expectation_income_elasticity: float = param(
        0.0,
        0,
        1,
        "expectation added per unit log growth of incomes: richer patients expect more of care",
        "MISSION.md causes 1-2 (excessive expectations, care seen as a purchase); calibrated in the history",
    )


@dataclass
class TrustParams:
    own_experience_rate: float = unit(0.25, "weight of one's own visit in trust")
    negativity_bias: float = param(
        2.0, 1, 20, "how much more a bad experience moves trust than a good one", "Giardini & Vilone, JASSS 2021"
    )
    word_of_mouth_rate: float = unit(0.15, "weight of a contact's experience told today")
    clinic_spillover: float = unit(0.5, "share of a clinic visit's effect that also moves trust in doctors")
    hospital_spillover: float = unit(
        0.5,
        "share of a hospital visit's effect that also moves trust in primary clinics (doctors are doctors)",
        "the mirror of clinic_spillover; assumption",
    )
    degroot_rate: float = unit(0.02, "daily averaging of trust with one's contacts (DeGroot)")
    confidence_bound: float = unit(
        0.6, "contacts whose trust differs by more than this are ignored (bounded confidence)", "Deffuant et al. 2000"
    )
    system_memory_days: float = param(180, 1, 36500, "memory of dispute outcomes in the dispute system's legitimacy")
    initial_system_legitimacy: float = unit(0.3, "legitimacy of the dispute-resolution system before reform")
    system_prior_cases: float = param(30, 0.1, 100000, "weight of that prior, in dispute closures")


@dataclass
class DisputeParams:
    base_log_odds: float = param(-10.4, -30, 10, "dispute log-odds of a satisfied, trusting patient")
    harm_weight: float = param(4.5, 0, 50, "log-odds per unit harm")
    dissatisfaction_weight: float = param(3.5, 0, 50, "log-odds per unit dissatisfaction")
    distrust_weight: float = param(2.0, 0, 50, "log-odds per unit distrust in doctors")
    burden_weight: float = param(0.4, 0, 50, "log-odds per unit log cost burden")
    negotiation_share: float = unit(0.7, "share of new disputes first taken to the hospital")
    litigation_share: float = unit(0.1, "share of new disputes taken straight to court")
    negotiation_days: float = param(20, 1, 3650, "mean duration of a negotiation (days)")
    negotiation_success: float = unit(0.45, "chance a negotiation ends in agreement")
    transparency_negotiation_gain: float = unit(0.3, "extra agreement chance where the hospital is transparent")
    escalate_to_court: float = unit(0.2, "chance a failed negotiation goes to court")
    litigation_days: float = param(365, 1, 3650, "mean duration of a lawsuit (days)")
    litigation_success: float = unit(0.55, "chance the court awards compensation")
    compensation_median_yuan: float = param(
        45_000, 0, 10000000, "median compensation at harm 0.25 (yuan)", "sources: mean 108,100 yuan, max 3,000,000 yuan"
    )
    compensation_sigma: float = param(1.3, 0, 5, "log-sd of compensation (heavy tail)")
    court_award_factor: float = param(
        2.0, 0, 100, "court awards relative to negotiated payouts", "BMC HSR 2024: median 134,900"
    )
    mediation_award_factor: float = param(
        1.0, 0, 100, "mediated payouts relative to negotiated ones", "Guangdong 2013-15: mean 60,200"
    )
    unresolved_give_up_days: float = param(240, 1, 36500, "mean days before an unresolved grievant gives up")
    mediation_eligible_share: float = unit(
        1.0,
        "share of the model's disputes of the kind the mediation committees take: the mediation policy's uptake "
        "applies to these, the rest follow the other channels",
        "calibrated (configs/calibration/pre_reform.yaml) on the volume mediated in 2011 (HISTORY.md A2: 14,976 "
        "in January-October): the model's disputes are the broad per-hospital count of the mid-2000s, the "
        "committees' and the NHC's count is far narrower (docs/calibration.md)",
    )
    mediation_patience_days: float = param(
        0,
        0,
        3650,
        "days a disputant waits in a mediation queue before leaving it, as after a failed mediation (0: waits as "
        "long as it takes)",
        "assumption, off by default: exploratory (docs/ODD.md, section 10: a queue the centres cannot clear)",
    )
    litigation_harm_weight: float = param(
        2.0,
        0,
        10,
        "the graver the harm, the likelier a court: chances of court x exp(w (harm - 0.25))",
        "stakes: litigation pays more (BMC HSR 2024) and costs more; assumption",
    )


@dataclass
class ViolenceParams:
    threshold: float = unit(0.3, "Epstein threshold T: act when grievance - net risk > T", "Epstein 2002")
    daily_action_probability: float = unit(0.0006, "daily chance an over-threshold grievant acts")
    unmet_expectation_weight: float = param(
        0.15,
        0,
        10,
        "hardship per unit of unmet expectation (what the patient expected minus what the harmful episode gave)",
        "MISSION.md cause 2: heavy out-of-pocket costs raise expectations, and unmet expectations turn into anger; "
        "calibrated in the history",
    )
    time_weight: float = param(0.6, 0, 10, "hardship per year unresolved")
    hardship_decay: float = unit(0.02, "daily decay of hardship outside an open dispute")
    doctor_trust_weight: float = unit(0.5, "weight of trust in doctors in legitimacy (rest: dispute system)")
    punishment_probability: float = unit(0.15, "chance violence is punished before reform")
    assault_share: float = unit(0.45, "chance an act is an assault (scaled by grievance) rather than a disturbance")
    injury_probability: float = unit(0.8, "chance an assault injures a doctor without hospital security")
    failed_dispute_legitimacy_loss: float = unit(
        0.5,
        "share of a resident's view of the dispute system's legitimacy lost when their own dispute fails",
        "Tyler 2006, procedural justice: legitimacy comes from one's own experience of the institution; assumption",
    )


@dataclass
class WorkforceParams:
    initial_burnout: float = unit(0.2, "mean burnout at start")
    overload_burnout_rate: float = param(0.02, 0, 1, "daily burnout per unit workload above capacity")
    burnout_recovery: float = unit(0.01, "daily recovery share of burnout")
    violence_burnout_shock: float = unit(0.05, "burnout added to every doctor of a hospital by violence there")
    defensive_shock: float = unit(0.15, "defensive-medicine fear added to a hospital by violence there")
    defensive_decay: float = unit(0.005, "daily decay of defensive fear")
    injury_days: float = param(30, 0, 3650, "days an injured doctor is off work")
    attrition_base: float = unit(0.00015, "daily quit probability of a doctor without burnout")
    attrition_burnout: float = unit(0.001, "extra daily quit probability at full burnout")
    hiring_days: float = param(120, 1, 3650, "mean days to replace a doctor who left")


@dataclass
class MediaParams:
    audience_share: float = unit(0.6, "share of its area's residents an outlet reaches")
    sensationalism: float = unit(0.7, "mean sensationalism of outlets before reform")
    coverage_dispute: float = unit(0.1, "chance an outlet covers a dispute (at full sensationalism)")
    coverage_violence: float = unit(0.4, "chance an outlet covers a violent incident (at full sensationalism)")
    story_impact: float = unit(0.02, "trust moved in the audience by one neutral-toned story")
    ostrich_amplification: float = param(
        1.5,
        1,
        10,
        "tone multiplier when the hospital hides (ostrich policy)",
        "crisis-PR deck: hiding grew the crisis",
    )
    positive_story_rate: float = param(0.0, 0, 10, "positive stories per outlet per day before reform")
    primary_share: float = unit(
        0.5,
        "share of a story's effect on trust in doctors that also moves trust in primary clinics",
        "a story on an incident is about doctors, read by residents who also see clinic doctors; assumption",
    )


@dataclass
class BehaviourParams:
    population: PopulationParams = field(default_factory=PopulationParams)
    illness: IllnessParams = field(default_factory=IllnessParams)
    care: CareParams = field(default_factory=CareParams)
    cost: CostParams = field(default_factory=CostParams)
    satisfaction: SatisfactionParams = field(default_factory=SatisfactionParams)
    trust: TrustParams = field(default_factory=TrustParams)
    disputes: DisputeParams = field(default_factory=DisputeParams)
    violence: ViolenceParams = field(default_factory=ViolenceParams)
    workforce: WorkforceParams = field(default_factory=WorkforceParams)
    media: MediaParams = field(default_factory=MediaParams)


# --------------------------------------------------------------------------------------
# Policies: one field per policy of the registry (sim.policies), holding that policy's own
# parameter dataclass; the multi-select group ``policies`` switches them on (enabled=true)
# --------------------------------------------------------------------------------------
def _enabled(self) -> list[str]:
    """The switched-on policies, in the registry's order."""
    return [name for name in POLICY_NAMES if getattr(self, name).enabled]


PoliciesConfig = dataclasses.make_dataclass(
    "PoliciesConfig",
    [(name, policy.Params, field(default_factory=policy.Params)) for name, policy in POLICIES.items()],
    namespace={"enabled": _enabled, "__doc__": "Every policy of the registry, switched off unless selected."},
)
PoliciesConfig.__module__ = __name__  # pickled by reference (joblib, submitit)

# Unit prices: ``prices.shared`` (used by several policies and by the system's own accounts)
# and one field per policy of the registry that has a cost model (``sim.policies.costs``).
# Prices never act on behaviour: they only turn the run's quantities into money.
assert SHARED not in POLICIES, f"a policy may not be called {SHARED!r} (the shared prices)"
PricesConfig = dataclasses.make_dataclass(
    "PricesConfig",
    [(SHARED, SharedPrices, field(default_factory=SharedPrices))]
    + [
        (name, policy.Prices, field(default_factory=policy.Prices))
        for name, policy in POLICIES.items()
        if policy.Prices
    ],
    namespace={"__doc__": "Unit prices: shared ones and each costed policy's (prices.<policy>.<item>)."},
)
PricesConfig.__module__ = __name__


@dataclass
class SimConfig:
    """One run: seed, length, scale, behaviour and the policies switched on."""

    seed: int = param(0, 0, 2**63 - 1, "master seed of the run")
    days: int = param(365, 1, 36_500, "simulated days (one step = one day); set by end_date when that is given")
    start_date: str = param("", doc="calendar date of day 0 (ISO, e.g. 2006-01-01); empty: a run counted in days only")
    end_date: str = param("", doc="last simulated date (ISO; needs start_date): sets days to the days up to it")
    burn_in_days: int = param(
        180, 0, 36_500, "pre-reform days simulated before day 0 and not observed (removes the start-up transient)"
    )
    replicates: int = param(
        1,
        1,
        100_000,
        "seeds one job runs in turn: seed, seed+1, ..., seed+replicates-1, each a run of its own "
        "(sweeps of short runs batch seeds so that a launcher's per-job overhead does not dominate)",
    )
    record_episodes: bool = False
    burn_in_cache: str = param(
        "",
        doc="directory where the state after the burn-in is saved, and loaded by runs that differ from "
        "this one only in their policies (the arms of a sweep; sim.engine.snapshot); empty: no reuse",
    )
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    params: BehaviourParams = field(default_factory=BehaviourParams)
    policies: PoliciesConfig = field(default_factory=PoliciesConfig)
    prices: PricesConfig = field(default_factory=PricesConfig)

    def __post_init__(self) -> None:
        validate(self)


def _walk(obj: Any, prefix: str):
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, Schedule):
            yield from _walk(value, key + ".")
        else:
            yield key, f, value


_TYPE_NAMES = {"bool": "a boolean (true or false)", "str": "a string", "int": "an integer", "float": "a number"}


def validate(cfg: SimConfig) -> None:
    """Check every value against its declared range; raise :class:`ConfigError` naming the key."""
    for key, f, value in _walk(cfg, ""):
        lo, hi = f.metadata.get("range", (None, None))
        # the declared type (a config changed after composition is not converted by OmegaConf)
        expected = {"bool": (bool,), "str": (str,), "int": (int,), "float": (int, float)}.get(f.type)
        if expected and (not isinstance(value, expected) or (f.type != "bool" and isinstance(value, bool))):
            raise ConfigError(f"{key}={value!r} is not {_TYPE_NAMES[f.type]}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{key}={value!r} is not a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            allowed = allowed_range(f)
            kind = " (a probability or share)" if (lo, hi) == UNIT else ""
            raise ConfigError(f"{key}={value!r} is out of range: allowed {allowed}{kind}")
    if cfg.scale.mean_degree % 2:
        raise ConfigError(f"scale.mean_degree={cfg.scale.mean_degree} must be even (ring lattice)")
    if cfg.scale.mean_degree >= cfg.scale.n_patients:
        raise ConfigError(
            f"scale.mean_degree={cfg.scale.mean_degree} must be below scale.n_patients={cfg.scale.n_patients}"
        )
    _validate_calendar(cfg)
    # A changed intensity of a policy that is not switched on would be silently ignored.
    for name in POLICY_NAMES:
        policy = getattr(cfg.policies, name)
        if policy.enabled:
            continue
        default = type(policy)()
        changed = [f.name for f in dataclasses.fields(policy) if getattr(policy, f.name) != getattr(default, f.name)]
        if changed:
            raise ConfigError(
                f"policies.{name}.{changed[0]} was set but policy '{name}' is not switched on: "
                f"add it to policies=[...] (allowed: {', '.join(POLICY_NAMES)})"
            )


def _validate_calendar(cfg: SimConfig) -> None:
    """Dates, the end date, policies' start dates, schedules and coverage (``sim.policies.schedule``)."""
    start = parse_date(cfg.start_date, "start_date") if cfg.start_date else None
    if cfg.end_date:
        if start is None:
            raise ConfigError(f"end_date={cfg.end_date!r} needs start_date (the calendar date of day 0)")
        end = parse_date(cfg.end_date, "end_date")
        if end < start:
            raise ConfigError(f"end_date={cfg.end_date!r} is before start_date={cfg.start_date!r}")
        cfg.days = (end - start).days + 1
    for name in POLICY_NAMES:
        policy = getattr(cfg.policies, name)
        key = f"policies.{name}"
        dated = [k for k in ("start_date",) if getattr(policy, k)]
        dated += ["schedule"] if policy.schedule else []
        dated += ["coverage"] if policy.coverage.is_set else []
        if dated and start is None:
            raise ConfigError(f"{key}.{dated[0]} is dated but the run has no calendar: set start_date")
        if policy.start_date:
            parse_date(policy.start_date, f"{key}.start_date")
            if policy.start_day:
                raise ConfigError(f"{key}: give start_day or start_date, not both")
        intensities = {f.name: f for f in POLICIES[name].intensities()}
        for intensity, raw in policy.schedule.items():
            try:
                schedule = as_schedule(raw)
            except ConfigError as err:
                raise ConfigError(f"{key}.schedule.{intensity}: {err}") from None
            if intensity not in intensities:
                raise ConfigError(
                    f"{key}.schedule.{intensity}: not an intensity of {name}; allowed: {', '.join(intensities)}"
                )
            lo, hi = intensities[intensity].metadata["range"]
            check_schedule(schedule, f"{key}.schedule.{intensity}", lo, hi)
        check_schedule(policy.coverage, f"{key}.coverage", 0.0, 1.0)


def parameter_table(configured: SimConfig | None = None) -> list[dict[str, Any]]:
    """Every parameter with its schema default, its value in ``configured`` (e.g. the composed
    default config, calibration included), range, meaning and source (for docs and analysis)."""
    values = {key: value for key, _, value in _walk(configured or SimConfig(), "")}
    rows = []
    for key, f, value in _walk(SimConfig(), ""):
        if isinstance(value, dict | Schedule):  # dated schedules: docs/history.md, not a parameter
            continue
        lo, hi = f.metadata.get("range", (None, None))
        rows.append(
            {
                "key": key,
                "default": value,
                "configured": values[key],
                "min": lo,
                "max": hi,
                "meaning": f.metadata.get("doc", ""),
                "source": f.metadata.get("source", ""),
            }
        )
    return rows


def comparison_arms_override() -> str:
    """The arms of a policy comparison as a sweep value, ``[],[a],[b],...,[a,b,c],[all]``: the
    baseline, each policy alone, each package, all policies (``sim.policies.comparison_arms``)."""
    return ",".join(f"[{','.join(arm)}]" for arm in comparison_arms())


def register_schema() -> None:
    """Make :class:`SimConfig` the schema of ``configs/config.yaml`` (defaults: ``sim_schema``), and
    register the resolvers presets use: ``${sim.arms:}`` (the comparison arms, from the registry)."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    ConfigStore.instance().store(name="sim_schema", node=SimConfig)
    OmegaConf.register_new_resolver("sim.arms", comparison_arms_override, replace=True)


register_schema()
