"""Mechanisms 2-6 (care): where patients go, how crowded it is, how care turns out, what it costs,
and how satisfied patients are. One vectorised pass over the day's episodes.

Sources (MISSION.md): weak primary care and big-hospital concentration (tier choice, prestige),
delayed referral (cases beyond a clinic's capability), crowding and doctors' workload
(consultation time, burnout), irreducible medical risk, self-financing hospitals that over-test
(financial pressure), incomplete insurance (out-of-pocket share), information asymmetry and
excessive expectations raised by money paid ("I paid, so you must cure me"), and doctors who
explain risk in plain language.

Every random number an episode needs is drawn at once from the ``care`` stream, a fixed number
per episode (:data:`DRAWS`), so the draws an episode gets do not depend on the policy arm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.schema import CareParams, CostParams, SatisfactionParams
from sim.engine.state import PRIMARY, SECONDARY, TERTIARY, DoctorArrays, Episodes, FacilityArrays, PatientArrays
from sim.engine.world import World
from sim.mechanisms.base import Mechanism
from sim.mechanisms.trust import COMPILED_FROM
from sim.policies.levers import Levers

#: Uniform draws per episode, one column each.
DRAWS = (
    "noise_primary",
    "noise_secondary",
    "noise_tertiary",
    "gate",
    "family",
    "hospital",
    "referral",
    "doctor",
    "outcome",
    "harm",
)
COL = {name: i for i, name in enumerate(DRAWS)}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Roster:
    """Doctors on duty today, grouped by facility, for vectorised assignment."""

    slots: np.ndarray  # on-duty doctor slots sorted by facility
    start: np.ndarray  # per facility: first position in ``slots``
    count: np.ndarray  # per facility: doctors on duty
    redirect: np.ndarray  # per facility: where its patients go if it has nobody on duty

    @classmethod
    def build(cls, doctors: DoctorArrays, facilities: FacilityArrays, day: int) -> Roster:
        """Who is on duty where; a facility with nobody on duty sends its patients to the
        nearest staffed one. A health system never closes: on a day with nobody on duty
        anywhere (every doctor injured or gone, only at extreme parameter values), injured
        doctors are called back, and with every post vacant locums take the posts."""
        on = np.flatnonzero(doctors.on_duty(day))
        if on.size == 0:
            on = np.flatnonzero(~doctors.vacant())
        if on.size == 0:
            on = np.arange(doctors.n)
        order = np.argsort(doctors.facility[on], kind="stable")
        slots = on[order]
        count = np.bincount(doctors.facility[slots], minlength=facilities.n)
        start = np.zeros(facilities.n, np.int64)
        np.cumsum(count[:-1], out=start[1:])
        redirect = np.arange(facilities.n)
        staffed = count > 0
        if not staffed.all():
            for f in np.flatnonzero(~staffed):
                # same tier if possible, else the nearest tier above, else any staffed facility
                tiers = facilities.tier
                for tier in [tiers[f], *range(tiers[f] + 1, 3), *range(tiers[f] - 1, -1, -1)]:
                    candidates = np.flatnonzero(staffed & (tiers == tier))
                    if candidates.size:
                        redirect[f] = candidates[f % candidates.size]
                        break
        return cls(slots=slots, start=start, count=count, redirect=redirect)


class TierLayout:
    """What the daily choice needs of the facilities that never changes within a run: each tier's
    facilities, whether the tier exists, and the hospitals of each tier with their cumulative
    shares of the doctors' posts (a hospital is picked in proportion to its size). Built from the
    world's arrays and kept while the world holds the same arrays (a loaded burn-in replaces them)."""

    def __init__(self, tier: np.ndarray, weights: np.ndarray):
        self.source = (tier, weights)
        self.members = tuple(np.flatnonzero(tier == t) for t in range(3))
        self.present = tuple(m.size > 0 for m in self.members)
        self.cumulative = {}
        for t in (SECONDARY, TERTIARY):
            if self.present[t]:
                cumulative = np.cumsum(weights[self.members[t]])
                cumulative /= cumulative[-1]
                self.cumulative[t] = cumulative

    def holds(self, tier: np.ndarray, weights: np.ndarray) -> bool:
        return self.source[0] is tier and self.source[1] is weights


def consults_per_doctor_day(tier: np.ndarray, params: CareParams, levers: Levers) -> np.ndarray:
    """Outpatient capacity of one doctor-day; investment in primary care raises the clinics'."""
    primary = params.consults_per_doctor_day_primary * (1 + levers.clinic_capacity_gain)
    return np.where(tier == PRIMARY, primary, params.consults_per_doctor_day_hospital)


def capacity(roster: Roster, facilities: FacilityArrays, params: CareParams, levers: Levers) -> np.ndarray:
    """Consultations per day each facility can give with the doctors on duty (hospital expansion
    adds capacity by tier)."""
    per_doctor = consults_per_doctor_day(facilities.tier, params, levers)
    return roster.count * per_doctor * (1.0 + levers.hospital_capacity_gain[facilities.tier])


def effective_literacy(literacy: np.ndarray, levers: Levers) -> np.ndarray:
    return literacy + levers.literacy_gain * (1.0 - literacy)


def contracted(patients: PatientArrays, idx: np.ndarray, levers: Levers) -> np.ndarray:
    return patients.contract_draw[idx] < levers.family_enrolment


def primary_trust(patients: PatientArrays, idx: np.ndarray, levers: Levers) -> np.ndarray:
    """Trust in primary care, raised for residents with a family-doctor contract."""
    t = patients.trust_primary[idx].astype(float)
    return np.where(contracted(patients, idx, levers), t + levers.family_trust_gain * (1 - t), t)


def out_of_pocket_share(patients: PatientArrays, idx: np.ndarray, tier: np.ndarray, levers: Levers) -> np.ndarray:
    insured = patients.insurance_draw[idx] >= levers.uninsured_share
    return 1.0 - levers.effective_coverage[tier] * insured


def base_cost(tier: np.ndarray, severity: np.ndarray, params: CostParams, price=1.0) -> np.ndarray:
    """The tier's cost of an episode of this severity, times ``price`` (:func:`price_factor`)."""
    per_tier = np.array(
        [params.base_cost_primary_yuan, params.base_cost_secondary_yuan, params.base_cost_tertiary_yuan]
    )
    return per_tier[tier] * (1.0 + params.severity_cost_factor * severity) * price


def price_factor(tier, levers: Levers, params: CostParams, price_index: float = 1.0):
    """Prices relative to the run's start: the price index (``sim.mechanisms.economy``) less the
    drug markup where it was removed (zero-markup policy, by tier)."""
    return price_index * (1.0 - params.drug_markup_price_share * levers.markup_removed[tier])


def gumbel(u):
    """A standard Gumbel variate from a uniform draw (inverse CDF)."""
    return -np.log(-np.log(np.clip(u, 1e-12, 1 - 1e-12)))


def tier_utility(trust, severity, tier: int, prestige: float, price, daily_income, wait, u_noise, care: CareParams):
    """Random utility of one tier for an episode (see :func:`choose_tier`); ``u_noise`` is the
    uniform draw turned into the Gumbel noise. Works on arrays and on scalars."""
    return (
        care.choice_trust_weight * trust
        + care.choice_severity_weight * severity * tier / 2
        + prestige
        - care.choice_price_weight * np.log1p(price / daily_income)
        - care.choice_wait_weight * np.log1p(wait)
        + gumbel(u_noise)
    )


def choose_tier(
    ep: Episodes,
    patients: PatientArrays,
    facilities: FacilityArrays,
    levers: Levers,
    care: CareParams,
    cost: CostParams,
    wait_heard: np.ndarray,
    income_index: float = 1.0,
    price_index: float = 1.0,
) -> np.ndarray:
    """Mechanism 2: random-utility choice among the tiers, then gatekeeping and contracts.

    U_t = w_trust * trust_t + w_sev * severity * t / 2 + prestige_t
          - w_price * log(1 + expected out-of-pocket_t / daily income)
          - w_wait * log(1 + wait_t) + Gumbel
    where wait_t is the tier's average wait as residents remember it (moving average).
    """
    idx, sev, u = ep.patient, ep.severity, ep.draws
    n = idx.size
    daily_income = patients.income_yuan[idx] * income_index / 365.0
    trust_hospital = patients.trust[idx].astype(float)
    utility = np.empty((n, 3))
    prestige = (0.0, care.prestige_secondary, care.prestige_tertiary)
    present = np.bincount(facilities.tier, minlength=3) > 0
    for tier in (PRIMARY, SECONDARY, TERTIARY):
        trust = primary_trust(patients, idx, levers) if tier == PRIMARY else trust_hospital
        price = base_cost(tier, sev, cost, price_factor(tier, levers, cost, price_index))
        price = price * out_of_pocket_share(patients, idx, tier, levers)
        utility[:, tier] = tier_utility(
            trust, sev, tier, prestige[tier], price, daily_income, wait_heard[:, tier], u[:, tier], care
        )
        if not present[tier]:
            utility[:, tier] = -np.inf
    tier = utility.argmax(axis=1)
    non_emergency = sev < levers.emergency_severity
    gated = non_emergency & (u[:, COL["gate"]] < levers.gatekeeping)
    family_first = non_emergency & ep.contracted & (u[:, COL["family"]] < levers.family_first_contact)
    if present[PRIMARY]:
        tier = np.where(gated | family_first, PRIMARY, tier)
    return tier


def pick_hospital(tier: np.ndarray, u: np.ndarray, layout: TierLayout) -> np.ndarray:
    """A hospital of the chosen tier, with probability proportional to its size."""
    out = np.full(tier.size, -1, np.int64)
    for t in (SECONDARY, TERTIARY):
        choose = tier == t
        if not choose.any():
            continue
        members, cumulative = layout.members[t], layout.cumulative[t]
        out[choose] = members[np.minimum(np.searchsorted(cumulative, u[choose]), members.size - 1)]
    return out


def queue(backlog, visits, capacity_):
    """Crowding at a facility: (load, mean wait in days, backlog carried to tomorrow).

    Today's patients queue behind the backlog; on average a patient waits for the backlog and
    half of today's demand to be seen."""
    cap = np.maximum(capacity_, 1e-9)
    return visits / cap, (backlog + visits / 2.0) / cap, np.maximum(0.0, backlog + visits - capacity_)


def consultation_time(load):
    """Share of a full consultation a patient gets when the doctor is ``load`` times overbooked."""
    return np.minimum(1.0, 1.0 / np.maximum(load, 1e-9))


def worsened_by_delay(severity, wait_days, care: CareParams):
    """Severity of a referred case after waiting ``wait_days``."""
    return np.minimum(1.0, severity * (1 + care.delay_harm_per_day * wait_days))


def clinic_skill(skill, levers: Levers):
    """A clinic doctor's skill after investment in primary care."""
    return skill + levers.clinic_quality_gain * 0.5 * (1 - skill)


def success_probability(skill, severity, capability, burnout, consult_time, care: CareParams):
    """P(cure) = (1 - irreducible risk x severity) x skill x tier fit x (1 - burnout loss) x (1 - rush loss)."""
    fit = np.clip(1.0 - care.fit_penalty * np.maximum(0.0, severity - capability), 0.0, 1.0)
    rushed = 1 - care.rush_quality_loss * (1 - consult_time)
    quality = skill * fit * (1 - care.burnout_quality_loss * burnout) * rushed
    return (1.0 - care.irreducible_risk * severity) * quality


def harm_of(success, severity, u_harm):
    """Harm of a failed episode: 30-100% of its severity; none after a cure."""
    return np.where(success, 0.0, severity * (0.3 + 0.7 * u_harm))


def extra_cost_shares(
    overtest_propensity, overtest_pressure, defensive_fear, levers: Levers, cost: CostParams, tier=None
):
    """(over-testing, defensive medicine) as shares added to the base cost. The revenue pressure
    behind over-testing shrinks where pay is decoupled from tests and drugs and where the drug
    markup, its drug part, is removed (by the facility's ``tier``)."""
    pressure = overtest_pressure
    if tier is not None:
        pressure = pressure * (1.0 - cost.drug_markup_pressure_share * levers.markup_removed[tier])
    overtest = cost.overtest_rate * overtest_propensity * pressure * (1 - levers.overtest_decoupling)
    return overtest, cost.defensive_cost * defensive_fear


def episode_cost(tier, severity, referred, overtest, defensive, cost: CostParams, price=1.0, clinic_price=1.0):
    """(total cost in yuan, share of it that is over-testing and defensive medicine): the tier's
    base cost marked up by both, plus the clinic visit of a referred case."""
    total = base_cost(tier, severity, cost, price) * (1 + overtest + defensive)
    total = total + referred * base_cost(np.zeros_like(tier), severity, cost, clinic_price)
    return total, (overtest + defensive) / (1 + overtest + defensive)


def cost_burden(out_of_pocket_yuan, income_yuan):
    """log(1 + out of pocket / monthly income)."""
    return np.log1p(out_of_pocket_yuan / (income_yuan / 12.0))


def explanation_quality(communication, consult_time, burnout, family_gain, levers: Levers):
    """How well the doctor explains risk: trained communication x time x (1 - burnout), plus the
    family doctor's continuity (``family_gain``: the episode's gain, 0 when not applicable)."""
    communication = communication + levers.communication_gain * (1 - communication)
    return np.clip(communication * consult_time * (1 - burnout) + family_gain, 0.0, 1.0)


def expectation(
    base: np.ndarray, literacy: np.ndarray, burden: np.ndarray, explanation: np.ndarray, p: SatisfactionParams
) -> np.ndarray:
    """E = base * (1 - cut_lit * literacy) + gain_paid * burden - cut_expl * explanation, in [0, 1].

    Literacy and a doctor's explanation of risk make expectations realistic; money paid raises them.
    """
    e = (
        base * (1 - p.literacy_expectation_cut * literacy)
        + p.paid_expectation_gain * burden
        - p.explanation_expectation_cut * explanation
    )
    return np.clip(e, 0.0, 1.0)


def outcome_value(success, harm):
    """What an episode gave, on the scale of expectations: 1 for a cure, 0.4 (1 - harm) for a failure."""
    return np.where(success, 1.0, 0.4 * (1.0 - harm))


def unmet_expectation(success, harm, expect):
    """max(0, E - O): how far the episode fell short of what the patient expected. Anger at a bad
    outcome grows with what was expected of it (MISSION.md cause 2: heavy out-of-pocket costs
    raise expectations, and unmet expectations turn into anger); the violence mechanism's hardship."""
    return np.clip(expect - outcome_value(success, harm), 0.0, 1.0)


def satisfaction_of(success, harm, expect, wait_days, burden, overtest_share, p: SatisfactionParams):
    """S = sigmoid(c + w_o (O - E) - w_w wait - w_c burden - w_t over-testing), where O is the
    outcome value (:func:`outcome_value`)."""
    outcome = outcome_value(success, harm)
    return sigmoid(
        p.baseline
        + p.outcome_weight * (outcome - expect)
        - p.wait_weight * wait_days
        - p.cost_weight * burden
        - p.overtest_weight * overtest_share
    )


class Care(Mechanism):
    """Mechanisms 2-6 for today's episodes (``world.episodes``): choice of tier and facility,
    crowding, outcome, cost, satisfaction; the episodes' traces in the residents' state."""

    name = "care"

    def __init__(
        self,
        care: CareParams,
        cost: CostParams,
        satisfaction: SatisfactionParams,
        rng: np.random.Generator,
        days: int = 0,
    ):
        self.care, self.cost, self.satisfaction = care, cost, satisfaction
        self.rng = rng
        self.days = days  # days the run will step (burn-in included): is compiling worth it?
        self.compiled = None  # sim.mechanisms.care_kernel.CompiledCare, for long or large runs
        self._layout: TierLayout | None = None

    @classmethod
    def from_config(cls, config, streams) -> Care:
        p = config.params
        return cls(p.care, p.cost, p.satisfaction, streams.generator("care"), config.days + config.burn_in_days)

    def setup(self, world: World) -> None:
        # The compiled day gives the numbers of the numpy one, ~1 ms a day sooner at 10^5
        # residents; under the trust kernels' condition numba is loaded anyway. Its rounding is
        # numpy's for these dtypes and for parameters that are Python floats only.
        pa = world.patients
        float32 = (pa.trust, pa.trust_primary, pa.contract_draw, pa.insurance_draw, pa.expectation, pa.literacy)
        params = (self.care, self.cost, self.satisfaction)
        typed = (
            all(a.dtype == np.float32 for a in float32)
            and pa.income_yuan.dtype == np.float64
            and all(type(v) is float for p in params for v in vars(p).values() if not isinstance(v, bool | str))
        )
        if typed and pa.n * self.days >= COMPILED_FROM:
            from sim.mechanisms.care_kernel import CompiledCare

            self.compiled = CompiledCare(self.care, self.cost, self.satisfaction)

    def layout(self, world: World) -> TierLayout:
        """The facilities' :class:`TierLayout`, made again only if the world's arrays were replaced."""
        if self._layout is None or not self._layout.holds(world.facilities.tier, world.hospital_weights):
            self._layout = TierLayout(world.facilities.tier, world.hospital_weights)
        return self._layout

    def step(self, world: World) -> None:
        roster = Roster.build(world.doctors, world.facilities, world.day)
        ep = world.episodes
        ep.draws = self.rng.random((ep.n, len(DRAWS)))
        if self.compiled is not None and compiled_rounding(world):
            layout = self.layout(world)
            visits = self.compiled.treat(ep, world, roster, layout, remembered_waits(world.facilities, layout))
        else:
            visits = self.treat(ep, world, roster)
            record_in_residents(world, ep)
        tally(world, ep, visits)

    def treat(self, ep: Episodes, world: World, roster: Roster) -> np.ndarray:
        """Mechanisms 2-6 for ``ep``; fills it in and returns visits per facility (a referred
        patient visits twice: the clinic and the hospital)."""
        cap = capacity(roster, world.facilities, self.care, world.levers)
        ep.contracted = contracted(world.patients, ep.patient, world.levers)
        ep.trust_before = world.patients.trust[ep.patient].astype(float)
        facility, referred, clinic_visit = self.route(ep, world, roster)
        visits, sev = self.crowd(ep, world, cap, facility, referred, clinic_visit)
        tier = world.facilities.tier[facility].astype(np.int64)
        doctor = self.outcome(ep, world, roster, tier, facility, sev)
        self.bill(ep, world, tier, facility, doctor, referred, sev)
        self.judge(ep, world, tier, doctor)
        ep.tier, ep.facility, ep.doctor, ep.referred, ep.severity = tier, facility, doctor, referred, sev
        return visits

    def route(self, ep: Episodes, world: World, roster: Roster):
        """2. Choice of tier, facility and referral: (facility, referred?, the clinic a referred
        case passed through)."""
        facilities, patients, levers = world.facilities, world.patients, world.levers
        u, idx, sev = ep.draws, ep.patient, ep.severity
        layout = self.layout(world)
        # residents know their own clinic's waits, and the hospitals' on average
        wait_heard = np.broadcast_to(remembered_waits(facilities, layout), (idx.size, 3)).copy()
        wait_heard[:, PRIMARY] = facilities.wait_reputation[patients.home_clinic[idx]]
        first_tier = choose_tier(
            ep, patients, facilities, levers, self.care, self.cost, wait_heard, world.income_index, world.price_index
        )
        facility = np.where(first_tier == PRIMARY, patients.home_clinic[idx], 0).astype(np.int64)
        at_hospital = first_tier > PRIMARY
        facility[at_hospital] = pick_hospital(first_tier[at_hospital], u[at_hospital, COL["hospital"]], layout)
        facility = roster.redirect[facility]
        beyond = (facilities.tier[facility] == PRIMARY) & (sev > levers.capability[PRIMARY])
        referred = beyond & (u[:, COL["referral"]] < levers.referral_probability)
        clinic_visit = facility[referred]
        if referred.any():
            has_secondary = layout.present[SECONDARY]
            up = np.where((sev[referred] <= levers.capability[SECONDARY]) & has_secondary, SECONDARY, TERTIARY)
            facility[referred] = roster.redirect[pick_hospital(up, u[referred, COL["hospital"]], layout)]
        return facility, referred, clinic_visit

    def crowd(self, ep: Episodes, world: World, cap, facility, referred, clinic_visit):
        """3. Crowding: demand against capacity, backlog, consultation time; a referred case
        worsens while it waits. Returns (visits per facility, severity after delay)."""
        facilities, care = world.facilities, self.care
        visits = np.bincount(facility, minlength=facilities.n) + np.bincount(clinic_visit, minlength=facilities.n)
        load, wait, facilities.backlog = queue(facilities.backlog, visits, cap)
        staffed = cap > 0  # a facility with nobody on duty sends its patients elsewhere (Roster.redirect)
        facilities.wait_reputation[staffed] += (
            wait[staffed] - facilities.wait_reputation[staffed]
        ) / care.wait_memory_days
        ep.wait_days = wait[facility] + referred * care.referral_delay_days
        ep.consult_time = consultation_time(load[facility])
        # a referred case worsens while it waits; one the clinic keeps is treated beyond its
        # capability (poor tier fit below): both are the sources' "delayed referral"
        sev = np.where(referred, worsened_by_delay(ep.severity, ep.wait_days, care), ep.severity)
        return visits, sev

    def outcome(self, ep: Episodes, world: World, roster: Roster, tier, facility, sev) -> np.ndarray:
        """4. The doctor (uniformly among those on duty at the facility) and the outcome: skill x
        tier fit x (burnout, rushed consultation), irreducible risk. Returns the doctor slots."""
        u, doctors, levers = ep.draws, world.doctors, world.levers
        position = roster.start[facility] + np.floor(u[:, COL["doctor"]] * roster.count[facility]).astype(np.int64)
        doctor = roster.slots[np.minimum(position, roster.slots.size - 1)]
        skill = doctors.skill[doctor]
        skill = np.where(tier == PRIMARY, clinic_skill(skill, levers), skill)
        p_success = success_probability(
            skill, sev, levers.capability[tier], doctors.burnout[doctor], ep.consult_time, self.care
        )
        ep.success = u[:, COL["outcome"]] < p_success
        ep.harm = harm_of(ep.success, sev, u[:, COL["harm"]])
        return doctor

    def bill(self, ep: Episodes, world: World, tier, facility, doctor, referred, sev) -> None:
        """5. Cost: base + over-testing (financial pressure) + defensive medicine; the part the
        patient pays, and its burden on income."""
        levers = world.levers
        overtest, defensive = extra_cost_shares(
            world.doctors.overtest_propensity[doctor],
            world.facilities.overtest_pressure[facility],
            world.facilities.defensive_fear[facility],
            levers,
            self.cost,
            tier,
        )
        ep.cost_yuan, ep.overtest_share = episode_cost(
            tier,
            sev,
            referred,
            overtest,
            defensive,
            self.cost,
            price_factor(tier, levers, self.cost, world.price_index),
            price_factor(PRIMARY, levers, self.cost, world.price_index),
        )
        ep.out_of_pocket_yuan = ep.cost_yuan * out_of_pocket_share(world.patients, ep.patient, tier, levers)
        ep.burden = cost_burden(ep.out_of_pocket_yuan, world.patients.income_yuan[ep.patient] * world.income_index)

    def judge(self, ep: Episodes, world: World, tier, doctor) -> None:
        """6. Satisfaction: outcome against expectation, wait and cost."""
        patients, levers = world.patients, world.levers
        ep.explanation = explanation_quality(
            world.doctors.communication[doctor],
            ep.consult_time,
            world.doctors.burnout[doctor],
            ep.contracted * (tier == PRIMARY) * levers.family_explanation_gain,
            levers,
        )
        ep.expectation = expectation(
            patients.expectation[ep.patient] + world.expectation_shift,
            effective_literacy(patients.literacy[ep.patient], levers),
            ep.burden,
            ep.explanation,
            self.satisfaction,
        )
        ep.satisfaction = satisfaction_of(
            ep.success, ep.harm, ep.expectation, ep.wait_days, ep.burden, ep.overtest_share, self.satisfaction
        )


def remembered_waits(facilities: FacilityArrays, layout: TierLayout) -> np.ndarray:
    """Each tier's mean remembered wait (0 for a tier without facilities)."""
    return np.array([facilities.wait_reputation[m].mean() if m.size else 0.0 for m in layout.members])


#: the levers the compiled care reads as Python floats (``compiled_rounding``)
FLOAT_LEVERS = (
    "emergency_severity", "gatekeeping", "family_first_contact", "referral_probability", "clinic_capacity_gain",
    "clinic_quality_gain", "overtest_decoupling", "family_enrolment", "family_trust_gain", "uninsured_share",
    "clinic_price_gain", "literacy_gain", "communication_gain", "family_explanation_gain",
)  # fmt: skip
ARRAY_LEVERS = ("capability", "coverage", "markup_removed", "hospital_capacity_gain")


def compiled_rounding(world: World) -> bool:
    """Whether the day's levers and indices have the types whose rounding the compiled care
    (``sim.mechanisms.care_kernel``) replicates: numpy would round a numpy float64 scalar met
    with a float32 array differently from a Python float (NEP 50)."""
    levers = world.levers
    return (
        all(type(getattr(levers, name)) is float for name in FLOAT_LEVERS)
        and all(getattr(levers, name).dtype == np.float64 for name in ARRAY_LEVERS)
        and type(world.income_index) is float
        and type(world.price_index) is float
        and type(world.expectation_shift) is float
    )


def record_episodes(world: World, ep: Episodes, visits: np.ndarray) -> None:
    """The episodes' traces in the residents' state and the day's counts."""
    record_in_residents(world, ep)
    tally(world, ep, visits)


def record_in_residents(world: World, ep: Episodes) -> None:
    """The episodes' traces in the residents' state (a resident with several episodes today
    keeps the last one's)."""
    pa = world.patients
    who = ep.patient
    pa.severity[who] = ep.severity
    pa.ill_until[who] = world.day + 1 + np.ceil(ep.wait_days).astype(np.int32)
    pa.facility[who], pa.doctor[who] = ep.facility, ep.doctor
    pa.cost_yuan[who], pa.out_of_pocket_yuan[who] = ep.cost_yuan, ep.out_of_pocket_yuan
    pa.satisfaction[who] = ep.satisfaction
    pa.visits[who] += 1
    harmed = ep.harm > 0
    h = who[harmed]
    pa.harm[h] = np.maximum(pa.harm[h], ep.harm[harmed])
    unmet = unmet_expectation(ep.success[harmed], ep.harm[harmed], ep.expectation[harmed])
    pa.unmet_expectation[h] = np.maximum(pa.unmet_expectation[h], unmet)
    pa.harm_facility[h], pa.harm_doctor[h] = ep.facility[harmed], ep.doctor[harmed]


def tally(world: World, ep: Episodes, visits: np.ndarray) -> None:
    """The day's counts and totals in the ledger (and the episode log if asked for); the
    facilities' visits."""
    pa, fa, ledger = world.patients, world.facilities, world.ledger
    who = ep.patient
    fa.visits += visits
    t = ledger.today
    t["visits"] = float(visits.sum())
    t["visits_primary"] = float(visits[fa.tier == PRIMARY].sum())
    t["visits_hospital"] = t["visits"] - t["visits_primary"]
    t["cost_yuan"] = float(ep.cost_yuan.sum())
    t["out_of_pocket_yuan"] = float(ep.out_of_pocket_yuan.sum())
    t["failures"] = float((~ep.success).sum())
    t["referrals"] = float(ep.referred.sum())
    ledger.wait_today = float(ep.wait_days.mean()) if ep.n else 0.0
    ledger.wait_sum += float(ep.wait_days.sum())
    ledger.satisfaction_sum += float(ep.satisfaction.sum())
    ledger.satisfaction_today = float(ep.satisfaction.mean()) if ep.n else float("nan")
    if ledger.record_episodes:
        ledger.episode_log.append(
            {
                "day": np.full(ep.n, world.day),
                "patient": who,
                "severity": ep.severity,
                "tier": ep.tier,
                "facility": ep.facility,
                "doctor": ep.doctor,
                "referred": ep.referred,
                "success": ep.success,
                "harm": ep.harm,
                "cost_yuan": ep.cost_yuan,
                "out_of_pocket_yuan": ep.out_of_pocket_yuan,
                "wait_days": ep.wait_days,
                "satisfaction": ep.satisfaction,
                "trust_before": ep.trust_before,
                "trust_primary_before": pa.trust_primary[who].copy(),
            }
        )
