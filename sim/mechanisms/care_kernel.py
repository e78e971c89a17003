"""The care mechanism's day, compiled (numba), with the arithmetic of its numpy definition in
:mod:`sim.mechanisms.care` (bit for bit). ``Care.setup`` uses it only for long or large runs
(``COMPILED_FROM``, the trust kernels' condition: by then numba is loaded anyway).

In numpy a day of care is some hundred calls over the day's ~1,200 episodes (at 10^5 residents):
three tiers' utilities, the choice, the hospital, the referral, the queue, the doctor, the
outcome, the bill, the satisfaction and the residents' records, each a handful of temporaries.
Nearly all of its ~1.5 ms is call overhead. Here the same rules run as four passes over the
episodes, and numpy keeps what a compiled loop cannot repeat bit for bit: its exponentials and
logarithms (numpy's own vectorised versions, whose last bits LLVM's need not share) and its
pairwise sums (the day's totals, ``care.tally``):

1. ``_choice_terms``: each episode's contract, trust, and the arguments of the choice's logarithms
   (price over daily income and remembered wait, by tier), and its three uniforms clipped;
   numpy then takes ``log1p`` of the arguments and ``-log(-log(u))`` of the uniforms (Gumbel);
2. ``_treat``: the utilities and the choice, the hospital and the referral; the queue at every
   facility; the wait, the consultation, the doctor, the outcome and the harm; the bill and the
   argument of the cost burden's logarithm; numpy takes that ``log1p``;
3. ``_judge``: the doctor's explanation, the expectation and the satisfaction's logit; numpy takes
   the exponential;
4. ``_record``: the satisfaction, and the episodes' traces in the residents' state.

numpy applies its vectorised logarithms and exponentials element by element, so taking them on
one array of all tiers gives each element the value the per-tier arrays gave it.

The rounding is numpy 2's (NEP 50): a Python float meeting a float32 array is cast to float32 and
the arithmetic stays float32 (the contract and insurance draws' thresholds, a literacy gain, the
baseline expectation's shift); a float32 meeting a float64 array becomes float64. Each such
rounding is an explicit float32 value or operation here. Where a resident has several episodes in
a day, the residents' records take numpy's fancy-indexed semantics: the last write wins, and
``visits += 1`` or the running maxima read the values from before the day's writes.
``tests/test_care_kernel.py`` checks every day of a history against the numpy code.

Measured on a default-scale year (10^5 residents, ~1,150 episodes a day, 2026-12-08): the care
step 1.10 -> 0.61 ms a day. The four passes take ~0.1 ms replayed with warm caches and ~0.3 ms
inside the run: each episode touches some 25 of the residents' arrays at its resident's slot,
which the day's other mechanisms have pushed out of the cache.
"""

from __future__ import annotations

import numba  # imported only when a run uses the kernel: sim.mechanisms.care imports this lazily
import numpy as np

from sim.config.schema import CareParams, CostParams, SatisfactionParams
from sim.engine.state import PRIMARY, SECONDARY, TERTIARY

# columns of the care draws (care.DRAWS); the first three are the tiers' noise
GATE, FAMILY, HOSPITAL, REFERRAL, DOCTOR, OUTCOME, HARM = 3, 4, 5, 6, 7, 8, 9
#: np.clip's bounds of a uniform turned into Gumbel noise (care.gumbel)
U_LOW, U_HIGH = 1e-12, 1 - 1e-12


class CompiledCare:
    """``Care.treat`` and ``record_episodes``' writes to the residents, compiled: :meth:`treat`.
    Holds the rules' parameters as the numpy code's arithmetic sees them."""

    def __init__(self, care: CareParams, cost: CostParams, satisfaction: SatisfactionParams):
        c, k, s = care, cost, satisfaction
        self.choice = np.array(
            [c.choice_trust_weight, c.choice_severity_weight, c.choice_price_weight, c.choice_wait_weight,
             0.0, c.prestige_secondary, c.prestige_tertiary],
        )  # fmt: skip
        self.tier_cost = np.array([k.base_cost_primary_yuan, k.base_cost_secondary_yuan, k.base_cost_tertiary_yuan])
        self.care = np.array(
            [c.consults_per_doctor_day_primary, c.consults_per_doctor_day_hospital, c.wait_memory_days,
             c.referral_delay_days, c.delay_harm_per_day, c.fit_penalty, c.rush_quality_loss,
             c.burnout_quality_loss, c.irreducible_risk],
        )  # fmt: skip
        self.cost = np.array(
            [k.severity_cost_factor, k.drug_markup_price_share, k.drug_markup_pressure_share, k.overtest_rate,
             k.defensive_cost],
        )  # fmt: skip
        self.satisfaction = np.array(
            [s.paid_expectation_gain, s.explanation_expectation_cut, s.baseline, s.outcome_weight, s.wait_weight,
             s.cost_weight, s.overtest_weight],
        )  # fmt: skip
        # met with float32 literacy: numpy casts it to float32
        self.literacy_cut = np.float32(s.literacy_expectation_cut)
        self._layout, self._tiers = None, ()

    def treat(self, ep, world, roster, layout, tier_wait: np.ndarray) -> np.ndarray:
        """Mechanisms 2-6 for ``ep`` and the episodes' traces in the residents' state, as
        ``Care.treat`` then ``record_episodes`` make them (without the day's totals:
        ``care.tally``); returns the visits per facility."""
        pa, fa, doctors, levers = world.patients, world.facilities, world.doctors, world.levers
        n, idx, sev, u = ep.n, ep.patient, ep.severity, ep.draws
        coverage = levers.effective_coverage
        price = world.price_index * (1.0 - self.cost[1] * levers.markup_removed)  # care.price_factor by tier
        contracted = np.empty(n, np.bool_)
        trust_before = np.empty(n, np.float64)
        trust_primary = np.empty(n, np.float64)
        logs = np.empty((n, 6), np.float64)
        gumbel = np.empty((n, 3), np.float64)
        _choice_terms(
            idx, sev, u, pa.income_yuan, world.income_index, pa.trust, pa.trust_primary, pa.contract_draw,
            pa.insurance_draw, fa.wait_reputation, pa.home_clinic, tier_wait, np.float32(levers.family_enrolment),
            levers.family_trust_gain, np.float32(levers.uninsured_share), self.tier_cost, self.cost[0], price,
            coverage, contracted, trust_before, trust_primary, logs, gumbel,
        )  # fmt: skip
        np.log1p(logs, out=logs)
        np.log(gumbel, out=gumbel)
        np.negative(gumbel, out=gumbel)
        np.log(gumbel, out=gumbel)  # -gumbel: care.gumbel before its last negation

        if self._layout is not layout:
            self._layout, self._tiers = layout, tiers_of(layout)
        members, member_start, sizes, cumulative, cum_start, present = self._tiers
        scalars = np.array(
            [levers.emergency_severity, levers.gatekeeping, levers.family_first_contact, levers.referral_probability,
             levers.clinic_capacity_gain, levers.clinic_quality_gain * 0.5, 1 - levers.overtest_decoupling,
             world.income_index],
        )  # fmt: skip
        # what the episodes get: Care.treat's dtypes
        tier, facility, doctor = (np.empty(n, np.int64) for _ in range(3))
        referred, success = (np.empty(n, np.bool_) for _ in range(2))
        severity, wait_days, consult_time, harm, cost_yuan, overtest_share, out_of_pocket, burden = (
            np.empty(n, np.float64) for _ in range(8)
        )
        visits = np.zeros(fa.n, np.int64)
        _treat(
            idx, sev, u, logs, gumbel, contracted, trust_before, trust_primary, self.choice, present, scalars,
            pa.home_clinic, pa.insurance_draw, pa.income_yuan, np.float32(levers.uninsured_share),
            members, member_start, sizes, cumulative, cum_start, roster.redirect, roster.start, roster.count,
            roster.slots, fa.tier, fa.backlog, fa.wait_reputation, fa.overtest_pressure, fa.defensive_fear,
            levers.capability, levers.hospital_capacity_gain, levers.markup_removed, coverage, price, self.care,
            self.cost, self.tier_cost, doctors.skill, doctors.burnout, doctors.overtest_propensity,
            tier, facility, doctor, referred, severity, wait_days, consult_time, success, harm, cost_yuan,
            overtest_share, out_of_pocket, burden, visits,
        )  # fmt: skip
        np.log1p(burden, out=burden)

        explanation, expected, satisfaction = (np.empty(n, np.float64) for _ in range(3))
        _judge(
            idx, tier, doctor, contracted, success, harm, wait_days, consult_time, burden, overtest_share,
            doctors.communication, doctors.burnout, pa.expectation, pa.literacy,
            np.float32(world.expectation_shift), np.float32(levers.literacy_gain), self.literacy_cut,
            levers.communication_gain, levers.family_explanation_gain, self.satisfaction,
            explanation, expected, satisfaction,
        )  # fmt: skip
        np.exp(satisfaction, out=satisfaction)
        _record(
            idx, world.day, severity, wait_days, facility, doctor, cost_yuan, out_of_pocket, success, harm,
            expected, satisfaction, pa.severity, pa.ill_until, pa.facility, pa.doctor, pa.cost_yuan,
            pa.out_of_pocket_yuan, pa.satisfaction, pa.visits, pa.harm, pa.unmet_expectation, pa.harm_facility,
            pa.harm_doctor,
        )  # fmt: skip
        ep.contracted, ep.trust_before = contracted, trust_before
        ep.wait_days, ep.consult_time, ep.success, ep.harm = wait_days, consult_time, success, harm
        ep.cost_yuan, ep.overtest_share, ep.out_of_pocket_yuan, ep.burden = (
            cost_yuan, overtest_share, out_of_pocket, burden
        )  # fmt: skip
        ep.explanation, ep.expectation, ep.satisfaction = explanation, expected, satisfaction
        ep.tier, ep.facility, ep.doctor, ep.referred, ep.severity = tier, facility, doctor, referred, severity
        return visits


def tiers_of(layout) -> tuple:
    """A ``care.TierLayout`` as flat arrays: every tier's facilities one after the other, where
    each tier's start and how many; the hospitals' cumulative shares of posts (tiers 1 and 2, one
    after the other) and where each tier's start; which tiers exist."""
    members = np.concatenate(layout.members)
    sizes = np.array([m.size for m in layout.members], np.int64)
    member_start = np.array([0, sizes[0], sizes[0] + sizes[1]], np.int64)
    cumulative = np.concatenate([layout.cumulative.get(t, np.zeros(0)) for t in (PRIMARY, SECONDARY, TERTIARY)])
    cum_start = np.array([0, 0, layout.cumulative[SECONDARY].size if layout.present[SECONDARY] else 0], np.int64)
    return members, member_start, sizes, cumulative, cum_start, np.array(layout.present, np.bool_)


@numba.njit(cache=True, nogil=True)
def _np_max(a, b):
    # np.maximum(a, b) of two floats: a NaN in either gives NaN
    return a if (a >= b or a != a) else b


@numba.njit(cache=True, nogil=True)
def _np_min(a, b):
    return a if (a <= b or a != a) else b


@numba.njit(cache=True, nogil=True)
def _np_clip01(x):
    # np.clip(x, 0.0, 1.0)
    x = x if (x > 0.0 or x != x) else 0.0
    return x if (x < 1.0 or x != x) else 1.0


@numba.njit(cache=True, nogil=True)
def _choice_terms(
    idx, sev, u, income, income_index, trust, trust_primary, contract_draw, insurance_draw, wait_reputation,
    home_clinic, tier_wait, family_enrolment, family_trust_gain, uninsured_share, tier_cost, severity_factor,
    price, coverage, contracted, trust_before, primary, logs, gumbel,
):  # fmt: skip
    for i in range(idx.size):
        p = idx[i]
        contracted[i] = contract_draw[p] < family_enrolment  # float32 against float32
        trust_before[i] = np.float64(trust[p])
        t = np.float64(trust_primary[p])
        if contracted[i]:
            t = t + family_trust_gain * (1.0 - t)
        primary[i] = t
        daily_income = income[p] * income_index / 365.0
        insured = 1.0 if insurance_draw[p] >= uninsured_share else 0.0
        for tier in range(3):
            cost = tier_cost[tier] * (1.0 + severity_factor * sev[i]) * price[tier]
            logs[i, tier] = cost * (1.0 - coverage[tier] * insured) / daily_income
        logs[i, 3] = wait_reputation[home_clinic[p]]
        logs[i, 4] = tier_wait[1]
        logs[i, 5] = tier_wait[2]
        for tier in range(3):
            gumbel[i, tier] = _np_min(_np_max(u[i, tier], U_LOW), U_HIGH)


@numba.njit(cache=True, nogil=True)
def _pick(tier, draw, members, member_start, sizes, cumulative, cum_start):
    # care.pick_hospital: the first hospital whose cumulative share reaches the draw
    m = sizes[tier]
    c = cum_start[tier]
    k = np.searchsorted(cumulative[c : c + m], draw)
    return members[member_start[tier] + (k if k < m - 1 else m - 1)]


@numba.njit(cache=True, nogil=True)
def _treat(
    idx, sev, u, logs, gumbel, contracted, trust_before, primary, choice, present, scalars,
    home_clinic, insurance_draw, income, uninsured_share,
    members, member_start, sizes, cumulative, cum_start, redirect, start, count, slots,
    facility_tier, backlog, wait_reputation, overtest_pressure, defensive_fear,
    capability, capacity_gain, markup_removed, coverage, price, care, cost, tier_cost,
    skill, burnout, overtest_propensity,
    tier_out, facility_out, doctor_out, referred_out, severity_out, wait_out, consult_out, success_out, harm_out,
    cost_out, overtest_out, oop_out, burden_out, visits,
):  # fmt: skip
    n = idx.size
    emergency, gatekeeping, family_first, referral = scalars[0], scalars[1], scalars[2], scalars[3]
    clinic_gain, quality_half, keep_overtest, income_index = scalars[4], scalars[5], scalars[6], scalars[7]
    w_trust, w_severity, w_price, w_wait = choice[0], choice[1], choice[2], choice[3]
    clinic_visits = np.zeros(visits.size, np.int64)
    # 2. choice of tier (care.choose_tier), facility and referral (Care.route)
    for i in range(n):
        s = sev[i]
        best = 0
        best_u = 0.0
        for t in range(3):
            trust = primary[i] if t == PRIMARY else trust_before[i]
            utility = (
                w_trust * trust + w_severity * s * t / 2 + choice[4 + t] - w_price * logs[i, t]
                - w_wait * logs[i, 3 + t] + -gumbel[i, t]
            )  # fmt: skip
            if not present[t]:
                utility = -np.inf
            # argmax: the first largest, or the first NaN
            if t == 0 or (utility > best_u and best_u == best_u) or (utility != utility and best_u == best_u):
                best, best_u = t, utility
        non_emergency = s < emergency
        gated = non_emergency and u[i, GATE] < gatekeeping
        family = non_emergency and contracted[i] and u[i, FAMILY] < family_first
        if present[PRIMARY] and (gated or family):
            best = PRIMARY
        if best == PRIMARY:
            f = np.int64(home_clinic[idx[i]])
        else:
            f = _pick(best, u[i, HOSPITAL], members, member_start, sizes, cumulative, cum_start)
        f = redirect[f]
        refer = facility_tier[f] == PRIMARY and s > capability[PRIMARY] and u[i, REFERRAL] < referral
        if refer:
            clinic_visits[f] += 1
            up = SECONDARY if (s <= capability[SECONDARY] and present[SECONDARY]) else TERTIARY
            f = redirect[_pick(up, u[i, HOSPITAL], members, member_start, sizes, cumulative, cum_start)]
        facility_out[i] = f
        referred_out[i] = refer
        visits[f] += 1
    # 3. crowding (care.capacity, care.queue): demand against capacity, backlog, remembered waits
    nf = visits.size
    load = np.empty(nf)
    wait = np.empty(nf)
    for f in range(nf):
        visits[f] += clinic_visits[f]
        ft = facility_tier[f]
        per_doctor = care[0] * (1 + clinic_gain) if ft == PRIMARY else care[1]
        capacity = count[f] * per_doctor * (1.0 + capacity_gain[ft])
        cap = _np_max(capacity, 1e-9)
        v = np.float64(visits[f])
        load[f] = v / cap
        wait[f] = (backlog[f] + v / 2.0) / cap
        backlog[f] = _np_max(0.0, backlog[f] + v - capacity)
        if capacity > 0:
            wait_reputation[f] += (wait[f] - wait_reputation[f]) / care[2]
    # 3-5 for each episode (Care.crowd, Care.outcome, Care.bill)
    delay, harm_per_day, fit_penalty, rush_loss, burnout_loss, risk = care[3:9]
    severity_factor, pressure_share, overtest_rate, defensive_cost = cost[0], cost[2], cost[3], cost[4]
    clinic_price = price[PRIMARY]
    for i in range(n):
        f = facility_out[i]
        refer = referred_out[i]
        wd = wait[f] + (1.0 if refer else 0.0) * delay
        wait_out[i] = wd
        consult = _np_min(1.0, 1.0 / _np_max(load[f], 1e-9))
        consult_out[i] = consult
        s = sev[i]
        if refer:
            s = _np_min(1.0, s * (1 + harm_per_day * wd))
        severity_out[i] = s
        t = np.int64(facility_tier[f])
        tier_out[i] = t
        position = start[f] + np.int64(np.floor(u[i, DOCTOR] * count[f]))
        d = slots[position if position < slots.size - 1 else slots.size - 1]
        doctor_out[i] = d
        k = skill[d]
        if t == PRIMARY:
            k = k + quality_half * (1 - k)
        fit = _np_clip01(1.0 - fit_penalty * _np_max(0.0, s - capability[t]))
        rushed = 1 - rush_loss * (1 - consult)
        quality = k * fit * (1 - burnout_loss * burnout[d]) * rushed
        cured = u[i, OUTCOME] < (1.0 - risk * s) * quality
        success_out[i] = cured
        harm_out[i] = 0.0 if cured else s * (0.3 + 0.7 * u[i, HARM])
        pressure = overtest_pressure[f] * (1.0 - pressure_share * markup_removed[t])
        overtest = overtest_rate * overtest_propensity[d] * pressure * keep_overtest
        defensive = defensive_cost * defensive_fear[f]
        total = tier_cost[t] * (1.0 + severity_factor * s) * price[t] * (1 + overtest + defensive)
        total = total + (1.0 if refer else 0.0) * (tier_cost[PRIMARY] * (1.0 + severity_factor * s) * clinic_price)
        cost_out[i] = total
        overtest_out[i] = (overtest + defensive) / (1 + overtest + defensive)
        p = idx[i]
        insured = 1.0 if insurance_draw[p] >= uninsured_share else 0.0
        oop = total * (1.0 - coverage[t] * insured)
        oop_out[i] = oop
        burden_out[i] = oop / (income[p] * income_index / 12.0)  # numpy's log1p follows


@numba.njit(cache=True, nogil=True)
def _judge(
    idx, tier, doctor, contracted, success, harm, wait_days, consult_time, burden, overtest_share,
    communication, burnout, base_expectation, literacy, shift, literacy_gain, literacy_cut,
    communication_gain, family_explanation_gain, params, explanation_out, expectation_out, logit_out,
):  # fmt: skip
    # 6. satisfaction (Care.judge); writes minus the logit, whose exponential numpy takes
    paid_gain, explanation_cut, baseline, w_outcome, w_wait, w_cost, w_overtest = (
        params[0], params[1], params[2], params[3], params[4], params[5], params[6]
    )  # fmt: skip
    one = np.float32(1.0)
    for i in range(idx.size):
        d = doctor[i]
        c = communication[d]
        c = c + communication_gain * (1 - c)
        family = (1.0 if (contracted[i] and tier[i] == PRIMARY) else 0.0) * family_explanation_gain
        explained = _np_clip01(c * consult_time[i] * (1 - burnout[d]) + family)
        explanation_out[i] = explained
        p = idx[i]
        base = base_expectation[p] + shift  # float32
        lit = literacy[p] + literacy_gain * (one - literacy[p])  # float32
        e = np.float64(base * (one - literacy_cut * lit)) + paid_gain * burden[i] - explanation_cut * explained
        e = _np_clip01(e)
        expectation_out[i] = e
        outcome = 1.0 if success[i] else 0.4 * (1.0 - harm[i])
        x = baseline + w_outcome * (outcome - e) - w_wait * wait_days[i] - w_cost * burden[i]
        logit_out[i] = -(x - w_overtest * overtest_share[i])


@numba.njit(cache=True, nogil=True)
def _record(
    idx, day, severity, wait_days, facility, doctor, cost_yuan, out_of_pocket, success, harm, expected,
    satisfaction, pa_severity, pa_ill_until, pa_facility, pa_doctor, pa_cost, pa_oop, pa_satisfaction,
    pa_visits, pa_harm, pa_unmet, pa_harm_facility, pa_harm_doctor,
):  # fmt: skip
    # record_episodes' writes: a resident with several episodes today keeps the last one's, and
    # numpy's `visits += 1` and running maxima read the values from before today's writes
    n = idx.size
    old_visits = np.empty(n, np.int64)
    old_harm = np.empty(n, np.float64)
    old_unmet = np.empty(n, np.float64)
    for i in range(n):
        p = idx[i]
        old_visits[i] = pa_visits[p]
        old_harm[i] = pa_harm[p]
        old_unmet[i] = pa_unmet[p]
    for i in range(n):
        p = idx[i]
        satisfaction[i] = 1.0 / (1.0 + satisfaction[i])  # care.sigmoid, numpy's exponential taken
        pa_severity[p] = severity[i]
        pa_ill_until[p] = day + 1 + np.int32(np.ceil(wait_days[i]))
        pa_facility[p] = facility[i]
        pa_doctor[p] = doctor[i]
        pa_cost[p] = cost_yuan[i]
        pa_oop[p] = out_of_pocket[i]
        pa_satisfaction[p] = satisfaction[i]
        pa_visits[p] = old_visits[i] + 1
        h = harm[i]
        if h > 0:
            pa_harm[p] = _np_max(old_harm[i], h)
            outcome = 1.0 if success[i] else 0.4 * (1.0 - h)
            pa_unmet[p] = _np_max(old_unmet[i], _np_clip01(expected[i] - outcome))
            pa_harm_facility[p] = facility[i]
            pa_harm_doctor[p] = doctor[i]
