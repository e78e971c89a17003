"""The per-agent reference: the engine's daily rules written the plain Mesa way.

:class:`~sim.model.TrustModel` runs each day as a few dozen numpy / scipy.sparse operations over
whole arrays. :class:`ReferenceModel` runs the same day agent by agent: every resident's
``step()`` through ``AgentSet.shuffle_do``, word of mouth and DeGroot averaging by walking each
resident's contacts in the network, one Python call per episode, doctor and facility. It exists
for two reasons:

- a cross-check: the two must agree in distribution (``tests/test_reference.py``), which tests
  the vectorisation (masks, gathers, scatters, synchronous updates) against code that reads
  like the rules in docs/ODD.md;
- a yardstick: ``benchmarks/bench.py`` reports how much faster the engine is.

It shares everything but the per-agent arithmetic with the engine: the set-up (population,
network, facilities, doctors, outlets), the formulas (the pure functions of ``sim.care``,
``sim.mechanisms.trust``, ``sim.mechanisms.disputes`` and ``sim.mechanisms.violence``, called
here on scalars) and the rare events, through the same mechanisms (filing a dispute, the
dispute channels, mediation, violent acts, media stories, quitting and hiring). Randomness comes from Mesa's
``model.random`` (the draws cannot be aligned one by one with the engine's anyway), so the two
agree in distribution, not number for number. One difference by construction: the engine
draws the day's onsets as one Poisson count spread uniformly over residents; here each
resident draws a Poisson number of onsets, which has the same joint distribution.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.agents import Doctor, Patient
from sim.engine.model import TrustModel
from sim.engine.state import NO_DISPUTE, PRIMARY, SECONDARY, TERTIARY
from sim.mechanisms import care, trust
from sim.mechanisms.disputes import dispute_probability
from sim.mechanisms.violence import net_risk


class Episode:
    """One illness episode, from onset to satisfaction (the engine's ``care.Episodes``, one row)."""

    __slots__ = (
        "burden",
        "clinic",
        "cost_yuan",
        "doctor",
        "facility",
        "harm",
        "out_of_pocket_yuan",
        "patient",
        "referred",
        "satisfaction",
        "severity",
        "success",
        "tier",
        "trust_before",
        "unmet",
        "wait_days",
    )

    def __init__(self, patient: ReferencePatient, severity: float):
        self.patient, self.severity = patient, severity
        self.clinic = -1  # the clinic of a referred case
        self.referred = False


def poisson(random, mean: float) -> int:
    """A Poisson draw by inversion (``random.Random`` has none); ``mean`` is small here."""
    u, k, p = random.random(), 0, math.exp(-mean)
    cumulative = p
    while u > cumulative:
        k += 1
        p *= mean / k
        cumulative += p
    return k


class ReferencePatient(Patient):
    """A resident whose daily rules run one at a time (state: the array-backed attributes of
    :class:`~sim.agents.Patient`)."""

    _store = None  # the model's patient arrays, held directly rather than looked up per access

    def __init__(self, model: ReferenceModel, index: int):
        super().__init__(model, index)
        self._store = model.patients
        self.contacts: list[ReferencePatient] = []
        self.episodes: list[Episode] = []
        self.heard = [0.0, 0.0]  # word of mouth heard today: trust in hospitals, in clinics
        self.contacts_mean = (0.0, 0.0)

    # 1. illness ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Fall ill (a Poisson number of onsets today, usually none)."""
        m = self.model
        ill = m.config.params.illness
        self.episodes = [
            Episode(self, m.random.betavariate(ill.severity_a, ill.severity_b))
            for _ in range(poisson(m.random, ill.episodes_per_person_year / 365.0))
        ]
        m.episodes.extend(self.episodes)

    # 2. choice of tier and facility -------------------------------------------------------------
    def choose_care(self, ep: Episode) -> None:
        m, levers, cp = self.model, self.model.levers, self.model.config.params.care
        fa, pa, rnd = m.facilities, m.patients, m.random.random
        prestige = (0.0, cp.prestige_secondary, cp.prestige_tertiary)
        world, cost = m.world, m.config.params.cost
        daily_income = self.income_yuan * world.income_index / 365.0
        best, best_utility = PRIMARY, -math.inf
        for tier in (PRIMARY, SECONDARY, TERTIARY):
            trust_in_tier = float(care.primary_trust(pa, self.index, levers)) if tier == PRIMARY else self.trust
            price = care.base_cost(tier, ep.severity, cost, care.price_factor(tier, levers, cost, world.price_index))
            price = price * care.out_of_pocket_share(pa, self.index, tier, levers)
            wait = m.wait_heard[tier] if tier > PRIMARY else float(fa.wait_reputation[pa.home_clinic[self.index]])
            utility = care.tier_utility(
                trust_in_tier, ep.severity, tier, prestige[tier], price, daily_income, wait, rnd(), cp
            )
            if m.tier_present[tier] and utility > best_utility:
                best, best_utility = tier, utility
        non_emergency = ep.severity < levers.emergency_severity
        gated = non_emergency and rnd() < levers.gatekeeping
        contracted = bool(care.contracted(pa, self.index, levers))
        family_first = non_emergency and contracted and rnd() < levers.family_first_contact
        if m.tier_present[PRIMARY] and (gated or family_first):
            best = PRIMARY
        facility = int(pa.home_clinic[self.index]) if best == PRIMARY else m.pick_hospital(best)
        facility = int(m.roster.redirect[facility])
        if (
            fa.tier[facility] == PRIMARY
            and ep.severity > levers.capability[PRIMARY]
            and rnd() < levers.referral_probability
        ):
            up = SECONDARY if ep.severity <= levers.capability[SECONDARY] and m.tier_present[SECONDARY] else TERTIARY
            ep.referred, ep.clinic = True, facility
            m.visits_today[facility] += 1
            facility = int(m.roster.redirect[m.pick_hospital(up)])
        ep.facility, ep.tier = facility, int(fa.tier[facility])
        m.visits_today[facility] += 1

    # 3-6. care, cost, satisfaction --------------------------------------------------------------
    def receive_care(self, ep: Episode) -> None:
        m, levers, params = self.model, self.model.levers, self.model.config.params
        cp, rnd, f = params.care, m.random.random, ep.facility
        ep.trust_before = self.trust
        ep.wait_days = m.wait_at[f] + ep.referred * cp.referral_delay_days
        consult_time = float(care.consultation_time(m.load_at[f]))
        severity = float(care.worsened_by_delay(ep.severity, ep.wait_days, cp)) if ep.referred else ep.severity
        doctor = m.doctor(m.random.choice(m.on_duty_at[f]))
        m.consultations[doctor.index] += 1
        ep.doctor = doctor.index
        skill = doctor.skill if ep.tier != PRIMARY else care.clinic_skill(doctor.skill, levers)
        burnout = doctor.burnout
        p_success = care.success_probability(skill, severity, levers.capability[ep.tier], burnout, consult_time, cp)
        ep.success = bool(rnd() < p_success)
        ep.harm = float(care.harm_of(ep.success, severity, rnd()))
        overtest, defensive = care.extra_cost_shares(
            doctor.overtest_propensity,
            m.facilities.overtest_pressure[f],
            m.facilities.defensive_fear[f],
            levers,
            params.cost,
            ep.tier,
        )
        world = m.world
        cost, overtest_share = care.episode_cost(
            ep.tier,
            severity,
            ep.referred,
            overtest,
            defensive,
            params.cost,
            care.price_factor(ep.tier, levers, params.cost, world.price_index),
            care.price_factor(PRIMARY, levers, params.cost, world.price_index),
        )
        ep.cost_yuan = float(cost)
        ep.out_of_pocket_yuan = ep.cost_yuan * float(care.out_of_pocket_share(m.patients, self.index, ep.tier, levers))
        ep.burden = float(care.cost_burden(ep.out_of_pocket_yuan, self.income_yuan * world.income_index))
        contracted = bool(care.contracted(m.patients, self.index, levers))
        family_gain = contracted * (ep.tier == PRIMARY) * levers.family_explanation_gain
        explanation = care.explanation_quality(doctor.communication, consult_time, burnout, family_gain, levers)
        literacy = care.effective_literacy(self.literacy, levers)
        expectation = care.expectation(
            self.expectation + world.expectation_shift, literacy, ep.burden, explanation, params.satisfaction
        )
        ep.satisfaction = float(
            care.satisfaction_of(
                ep.success, ep.harm, expectation, ep.wait_days, ep.burden, overtest_share, params.satisfaction
            )
        )
        ep.unmet = float(care.unmet_expectation(ep.success, ep.harm, expectation))
        ep.severity = severity
        self.remember(ep)

    def remember(self, ep: Episode) -> None:
        """The episode's traces in the resident's state (the engine's ``_record_episodes``)."""
        m = self.model
        self.severity, self.facility, self.doctor = ep.severity, ep.facility, ep.doctor
        m.patients.ill_until[self.index] = m.day + 1 + math.ceil(ep.wait_days)
        self.cost_yuan, self.out_of_pocket_yuan, self.satisfaction = (
            ep.cost_yuan,
            ep.out_of_pocket_yuan,
            ep.satisfaction,
        )
        self.visits += 1
        if ep.harm > 0:
            self.harm = max(self.harm, ep.harm)
            self.unmet_expectation = max(self.unmet_expectation, ep.unmet)
            m.patients.harm_facility[self.index], m.patients.harm_doctor[self.index] = ep.facility, ep.doctor

    # 7. trust -------------------------------------------------------------------------------------
    def judge(self, ep: Episode) -> None:
        """Own experience: the trust in the tier visited moves towards the satisfaction; a clinic
        visit also moves trust in doctors, with weight ``clinic_spillover``, a hospital visit trust
        in primary clinics, with weight ``hospital_spillover``."""
        tp = self.model.config.params.trust
        attribute = "trust_primary" if ep.tier == PRIMARY else "trust"
        current = getattr(self, attribute)
        moved = current + trust.pull(ep.satisfaction - current, tp.own_experience_rate, tp.negativity_bias)
        setattr(self, attribute, min(1.0, max(0.0, moved)))
        if ep.tier == PRIMARY:  # part of a clinic visit's lesson carries over to trust in doctors
            spill = tp.clinic_spillover * trust.pull(
                ep.satisfaction - self.trust, tp.own_experience_rate, tp.negativity_bias
            )
            self.trust = min(1.0, max(0.0, self.trust + spill))
        elif tp.hospital_spillover > 0:  # and a hospital visit's to trust in primary clinics
            spill = tp.hospital_spillover * trust.pull(
                ep.satisfaction - self.trust_primary, tp.own_experience_rate, tp.negativity_bias
            )
            self.trust_primary = min(1.0, max(0.0, self.trust_primary + spill))

    def tell_contacts(self, ep: Episode) -> None:
        """Word of mouth: every contact hears the satisfaction and notes how far it would move
        them (applied to all at once in :meth:`take_in_word_of_mouth`)."""
        tp = self.model.config.params.trust
        which = 1 if ep.tier == PRIMARY else 0
        for contact in self.contacts:
            delta = ep.satisfaction - (contact.trust_primary if which else contact.trust)
            if abs(delta) < tp.confidence_bound:
                contact.heard[which] += float(trust.pull(delta, tp.word_of_mouth_rate, tp.negativity_bias))

    def take_in_word_of_mouth(self) -> None:
        if self.heard[0]:
            self.trust = min(1.0, max(0.0, self.trust + self.heard[0]))
        if self.heard[1]:
            self.trust_primary = min(1.0, max(0.0, self.trust_primary + self.heard[1]))
        self.heard = [0.0, 0.0]

    def look_at_contacts(self) -> None:
        """DeGroot, first half: the mean trust of one's contacts (one's own without contacts, like
        the engine's row-normalised weights)."""
        n = len(self.contacts)
        if n:
            self.contacts_mean = (
                sum(c.trust for c in self.contacts) / n,
                sum(c.trust_primary for c in self.contacts) / n,
            )
        else:
            self.contacts_mean = (self.trust, self.trust_primary)

    def average_trust(self) -> None:
        """DeGroot, second half (see :func:`sim.trust.degroot`): t <- (1 - mu) t + mu mean(contacts)."""
        mu = self.model.config.params.trust.degroot_rate
        self.trust = (1 - mu) * self.trust + mu * self.contacts_mean[0]
        self.trust_primary = (1 - mu) * self.trust_primary + mu * self.contacts_mean[1]

    # 8. disputes ----------------------------------------------------------------------------------
    def consider_dispute(self, ep: Episode) -> None:
        p = dispute_probability(ep.harm, ep.satisfaction, ep.trust_before, ep.burden, self.model.config.params.disputes)
        if self.model.random.random() < p and self.model.patients.open_dispute[self.index] == NO_DISPUTE:
            self.file_dispute(ep.harm, ep.severity)

    # 10. violence ---------------------------------------------------------------------------------
    def consider_violence(self) -> None:
        """Epstein's rule for a resident with a grievance; harm fades outside an open dispute."""
        m, p = self.model, self.model.config.params.violence
        has_dispute = m.patients.open_dispute[self.index] != NO_DISPUTE
        if self.harm <= 0.005 and not has_dispute:
            return
        g = self.grievance
        if g - net_risk(self.risk_aversion, m.levers.punishment_probability) > p.threshold:
            if m.random.random() < p.daily_action_probability:
                self.act_violently(g)
        if not has_dispute:
            self.harm *= 1 - p.hardship_decay
            self.unmet_expectation *= 1 - p.hardship_decay
            if self.harm < 0.005:
                self.harm = 0.0


def doctor_day(doctor: Doctor) -> None:
    """A doctor's end of day: workload, burnout, perhaps quitting (the rules of ``sim.workforce.daily``)."""
    m, p = doctor.model, doctor.model.config.params.workforce
    per_day = float(care.consults_per_doctor_day(m.facilities.tier[doctor.facility], m.config.params.care, m.levers))
    doctor.workload = m.consultations[doctor.index] / per_day
    m.consultations[doctor.index] = 0
    relief = 1.0 - m.levers.pay_rise
    burnout = doctor.burnout
    burnout += p.overload_burnout_rate * max(0.0, doctor.workload - 1.0) * relief - p.burnout_recovery * burnout
    doctor.burnout = min(1.0, max(0.0, burnout))
    if m.random.random() < (p.attrition_base + p.attrition_burnout * doctor.burnout**2) * relief:
        m.mechanisms["workforce"].leave(
            m.world, doctor.index, m.day + 1 + int(m.random.expovariate(1.0 / p.hiring_days))
        )


class ReferenceModel(TrustModel):
    """:class:`~sim.engine.model.TrustModel` with its day run agent by agent (same set-up, same
    mechanisms for the rare events)."""

    patient_class = ReferencePatient

    def setup(self) -> ReferenceModel:
        super().setup()
        # the residents' agents are reference patients (patient_class), made here rather than on demand
        graph = self.graph
        for patient in self.patient_agents:
            patient.contacts = [self.patient_agents[j] for j in graph.neighbors(patient.index)]
        self.consultations = [0] * self.doctors.n  # today's consultations, per doctor post
        self.episodes: list[Episode] = []
        return self

    def pick_hospital(self, tier: int) -> int:
        """A hospital of the tier, with probability proportional to its size."""
        members = np.flatnonzero(self.facilities.tier == tier)
        return int(self.random.choices(members, weights=self.world.hospital_weights[members])[0])

    def step(self) -> None:
        world, params = self.world, self.config.params
        day = world.day
        if self.policies.dynamic or day in self._change_days:
            world.levers = self.policies.levers_on(day)
        world.ledger.new_day()
        for mechanism in self.mechanisms.values():
            mechanism.start_day(world)
        fa, patients = self.facilities, self.agents_by_type[ReferencePatient]
        self.mechanisms["economy"].step(world)  # incomes and prices: no per-agent rule

        # facility bookkeeping: who is on duty where, the waits residents have heard of
        self.roster = care.Roster.build(self.doctors, fa, day)
        self.on_duty_at = {
            f: [int(s) for s in self.roster.slots[self.roster.start[f] : self.roster.start[f] + self.roster.count[f]]]
            for f in range(fa.n)
        }
        self.tier_present = [bool((fa.tier == t).any()) for t in range(3)]
        self.wait_heard = [
            float(fa.wait_reputation[fa.tier == t].mean()) if self.tier_present[t] else 0.0 for t in range(3)
        ]

        # 1-2. illness, choice
        self.episodes = []
        patients.shuffle_do("step")
        self.visits_today = np.zeros(fa.n, np.int64)
        for ep in self.episodes:
            ep.patient.choose_care(ep)
        # 3. crowding, one facility at a time
        capacity = care.capacity(self.roster, fa, params.care, self.levers)
        self.load_at, self.wait_at = {}, {}
        for f in range(fa.n):
            load, wait, fa.backlog[f] = care.queue(fa.backlog[f], self.visits_today[f], capacity[f])
            self.load_at[f], self.wait_at[f] = float(load), float(wait)
            if capacity[f] > 0:
                fa.wait_reputation[f] += (wait - fa.wait_reputation[f]) / params.care.wait_memory_days
        # 4-6. outcome, cost, satisfaction
        for ep in self.episodes:
            ep.patient.receive_care(ep)
        self._count_episodes()
        # doctors
        self.agents_by_type[Doctor].shuffle_do(doctor_day)
        fa.defensive_fear *= 1.0 - params.workforce.defensive_decay
        for slot in np.flatnonzero(self.doctors.vacant() & (self.doctors.vacant_until <= day)):
            self.mechanisms["workforce"].hire(world, int(slot))

        # 7. trust: own experience, word of mouth (synchronous), DeGroot (synchronous)
        for ep in self.episodes:
            ep.patient.judge(ep)
        for ep in self.episodes:
            ep.patient.tell_contacts(ep)
        patients.do("take_in_word_of_mouth")
        patients.do("look_at_contacts")
        patients.do("average_trust")

        # 8-9. disputes
        for ep in self.episodes:
            ep.patient.consider_dispute(ep)
        self.mechanisms["disputes"].advance(world)
        self.mechanisms["mediation"].step(world)
        # 10-11. violence, media
        patients.shuffle_do("consider_violence")
        self.mechanisms["media"].step(world)
        self.sync_agents()
        world.ledger.close_day()
        if day >= 0:
            self.datacollector.collect(self)
        world.day += 1

    def _count_episodes(self) -> None:
        eps, fa, ledger = self.episodes, self.facilities, self.ledger
        t = ledger.today
        fa.visits += self.visits_today
        t["visits"] = float(self.visits_today.sum())
        t["visits_primary"] = float(self.visits_today[fa.tier == PRIMARY].sum())
        t["visits_hospital"] = t["visits"] - t["visits_primary"]
        t["cost_yuan"] = sum(ep.cost_yuan for ep in eps)
        t["out_of_pocket_yuan"] = sum(ep.out_of_pocket_yuan for ep in eps)
        t["failures"] = float(sum(not ep.success for ep in eps))
        t["referrals"] = float(sum(ep.referred for ep in eps))
        waits = [ep.wait_days for ep in eps]
        ledger.wait_today = sum(waits) / len(eps) if eps else 0.0
        ledger.wait_sum += sum(waits)
        ledger.satisfaction_sum += sum(ep.satisfaction for ep in eps)
        ledger.satisfaction_today = sum(ep.satisfaction for ep in eps) / len(eps) if eps else float("nan")
