"""Accounting: what the policies in force spent today, at the end of the day.

The last step of the schedule. It changes no state and draws no random number, so a run's
results are the same with or without it (tests/test_economics.py; the golden runs): costs never
feed back into behaviour. Each policy in force with a cost model says what it spent today
(``Policy.spending``: quantities computed from the day's :class:`Books`, each times the unit
prices it names, ``sim.policies.costs``); the accounting multiplies by the configured prices
(``config.prices``) and writes the yuan into the ledger: ``policy_spending_yuan`` (a column of
the daily series) and one entry per policy and item (``spending|<policy>|<item>``), whose totals
since day 0 the summary reports per hospital-year (``sim.engine.metrics``). The mechanism is the
only one that reads the policies themselves (their spending rules), never their levers'
effects on anyone.

Where several policies move the same quantity (e.g. insurance's coverage and tiered care's
price differential both raise what insurance reimburses), :meth:`Books.attributed` shares it
out in the registry's order: the first policy moving it gets what its levers alone add to the
pre-reform levers, the next what its levers add to those, and so on, so the shares add up to
the whole effect of the levers in force.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.engine.state import PRIMARY
from sim.engine.world import World
from sim.mechanisms.base import Mechanism
from sim.mechanisms.care import base_cost, out_of_pocket_share
from sim.policies.costs import DAYS_PER_YEAR, KINDS, price_key, yuan
from sim.policies.levers import Levers, combine

#: Prefix of a ledger entry of one policy's item: ``spending|<policy>|<item>|<kind>``.
SPENDING = "spending"
#: Prefix of the yuan proportional to a price: ``exposure|<price key>|<kind>``.
EXPOSURE = "exposure"
#: Levers whose values change what insurance reimburses, and what over-testing earns.
REIMBURSEMENT_LEVERS = ("coverage", "uninsured_share", "clinic_price_gain")
OVERTEST_LEVERS = ("overtest_decoupling", "markup_removed")
MARKUP_LEVERS = ("markup_removed",)
PUNISHMENT_LEVERS = ("punishment_probability", "police_arrest")


def spending_key(policy: str, item: str, kind: str) -> str:
    return f"{SPENDING}|{policy}|{item}|{kind}"


def exposure_key(price: str, kind: str) -> str:
    """Ledger entry of the yuan of ``kind`` proportional to the price ``price`` (a config key)."""
    return f"{EXPOSURE}|{price}|{kind}"


def parse_spending_key(key: str) -> tuple[str, str, str] | None:
    parts = key.split("|")
    return tuple(parts[1:]) if len(parts) == 4 and parts[0] == SPENDING else None


def reimbursed(world: World, levers: Levers) -> float:
    """What insurance pays for today's episodes under ``levers``: cost x (1 - out-of-pocket share),
    the share taken from each patient's insurance draw and the episode's tier (``sim.mechanisms.care``)."""
    ep = world.episodes
    if ep is None or ep.n == 0 or ep.cost_yuan is None:
        return 0.0
    share = out_of_pocket_share(world.patients, ep.patient, ep.tier, levers)
    return float((ep.cost_yuan * (1.0 - share)).sum())


class Books:
    """The day as the spending rules see it (read only): counts of what the policies pay for and
    quantities computed from the day's episodes and events, under the levers in force."""

    #: Share of a year one day is (annual prices x this = today's cost).
    year = 1.0 / DAYS_PER_YEAR

    def __init__(self, world: World, accounting: Accounting):
        self.world, self._acc = world, accounting
        w = world
        tier = w.facilities.tier
        in_post = ~w.doctors.vacant()
        at_clinic = tier[w.doctors.facility] == PRIMARY
        self.day = w.day
        self.levers = w.levers
        self.base = accounting.base
        self.residents = w.patients.n
        self.hospitals = int((tier > PRIMARY).sum())
        self.clinics = int((tier == PRIMARY).sum())
        self.outlets = len(w.outlets)
        self.doctors_in_post = int(in_post.sum())
        self.clinic_doctors_in_post = int((in_post & at_clinic).sum())
        self.hospital_doctors_in_post = self.doctors_in_post - self.clinic_doctors_in_post
        self.tertiary_doctors_in_post = int((in_post & (tier[w.doctors.facility] == 2)).sum())
        self.mediators = sum(m.active for m in w.mediation.mediators)
        self.centres = len(w.mediation.centres)
        started = sum(len(m.durations) for m in w.mediation.mediators)
        self.mediation_cases_started = started - accounting.cases_started_before
        accounting.cases_started_before = started
        self.violent_acts = w.ledger.today["disturbances"] + w.ledger.today["assaults"]
        #: the day's incidents: disputes filed and violent acts (what crisis PR responds to)
        self.incidents = len(w.ledger.incidents)

    def contracted(self, enrolment: float) -> int:
        """Residents with a family-doctor contract at an enrolment of ``enrolment``."""
        return int((self.world.patients.contract_draw < enrolment).sum())

    def attributed(self, policy: str, levers: tuple[str, ...], quantity: Callable[[Levers], float]) -> float:
        """``policy``'s share of the change in ``quantity(levers)`` that the levers in force make,
        against the pre-reform levers (module docstring: shared out in the registry's order)."""
        return self._acc.attributed(self.world, policy, levers, quantity)

    def extra_reimbursement(self, policy: str) -> float:
        """Yuan insurance paid today beyond what it would have paid for the same episodes at the
        pre-reform coverage and enrolment: ``policy``'s share."""
        return self.attributed(policy, REIMBURSEMENT_LEVERS, lambda levers: reimbursed(self.world, levers))

    def markup_revenue_removed(self, policy: str) -> float:
        """Yuan of drug-markup revenue removed from today's bills (the markup itself, where it is
        removed, by tier, as in ``sim.mechanisms.care.price_factor``): ``policy``'s share."""
        return self.attributed(policy, MARKUP_LEVERS, self._acc.markup_revenue(self.world))

    def revenue_removed(self, policy: str) -> float:
        """Yuan of over-testing revenue that decoupling removed from today's episodes (base cost x
        over-testing rate x the doctor's propensity x the facility's pressure x decoupling, as in
        ``sim.mechanisms.care.extra_cost_shares``): ``policy``'s share."""
        return self.attributed(policy, OVERTEST_LEVERS, self._acc.overtest_revenue(self.world))

    def punishments_added(self, policy: str) -> float:
        """Punishments of today's violent acts beyond the pre-reform chance (expected: acts x the
        added chance): ``policy``'s share."""
        acts = self.violent_acts
        return self.attributed(policy, PUNISHMENT_LEVERS, lambda levers: acts * levers.punished_probability)


class Accounting(Mechanism):
    """The day's spending of every policy in force (module docstring)."""

    name = "accounting"

    def __init__(self, policies, prices, cost_params):
        #: ``sim.policies.PolicySet`` of the run (its policies, in the registry's order, and the
        #: pre-reform levers)
        self.policies, self.prices, self.cost = policies, prices, cost_params
        self.base = policies.base
        self.cases_started_before = 0
        self._combined: dict[tuple[tuple[str, ...], int | None], Levers] = {}

    @classmethod
    def from_config(cls, config, streams, policies) -> Accounting:
        """``policies``: the run's ``sim.policies.PolicySet`` (the schedule builds it)."""
        return cls(policies, config.prices, config.params.cost)

    def step(self, world: World) -> None:
        in_force = self.policies.in_force(world.day)
        today = world.ledger.today
        total = 0.0
        if in_force:
            books = Books(world, self)
            for policy in in_force:
                if not policy.has_cost_model():
                    continue
                for item, cost in policy.spending(books).items():
                    value = yuan(cost, self.prices, policy.name)
                    key = spending_key(policy.name, item, cost.kind)
                    today[key] = today.get(key, 0.0) + value
                    total += value
                    # the yuan proportional to each price (re-pricing without re-running)
                    for name in cost.prices:
                        key = exposure_key(price_key(policy.name, name), cost.kind)
                        today[key] = today.get(key, 0.0) + value
        else:  # keep the count of mediation cases seen in step with the day
            self.cases_started_before = sum(len(m.durations) for m in world.mediation.mediators)
        today["policy_spending_yuan"] = total

    # ----- attribution ---------------------------------------------------------------------------
    def _levers_of(self, names: tuple[str, ...], day: int) -> Levers:
        """The pre-reform levers moved by the proposals of the named policies on ``day`` (at their
        scheduled intensities and coverage; cached while those proposals hold)."""
        key = self.policies.versions(names, day)
        if key not in self._combined:
            if len(self._combined) > 256:  # combinations of proposals that no longer hold
                self._combined.clear()
            chosen = [p for p in self.policies.policies if p.name in names]
            self._combined[key] = combine(self.base, ((p.name, self.policies.proposal(p, day)) for p in chosen))
        return self._combined[key]

    def attributed(self, world: World, policy: str, levers: tuple[str, ...], quantity) -> float:
        movers = [p.name for p in self.policies.in_force(world.day) if set(p.moves) & set(levers)]
        if policy not in movers:
            return 0.0
        k, day = movers.index(policy), world.day
        return quantity(self._levers_of(tuple(movers[: k + 1]), day)) - quantity(
            self._levers_of(tuple(movers[:k]), day)
        )

    def overtest_revenue(self, world: World) -> Callable[[Levers], float]:
        """``levers -> yuan`` of over-testing revenue removed from today's episodes by decoupling
        and by removing the drug markup's part of the revenue pressure (as in
        ``sim.mechanisms.care.extra_cost_shares``)."""
        ep = world.episodes
        if ep is None or ep.n == 0 or ep.cost_yuan is None:
            return lambda levers: 0.0
        at_full = (
            base_cost(ep.tier, ep.severity, self.cost, world.price_index)
            * self.cost.overtest_rate
            * world.doctors.overtest_propensity[ep.doctor]
            * world.facilities.overtest_pressure[ep.facility]
        )
        share, tier = self.cost.drug_markup_pressure_share, ep.tier

        def removed(levers: Levers) -> float:
            kept = (1.0 - share * levers.markup_removed[tier]) * (1.0 - levers.overtest_decoupling)
            return float((at_full * (1.0 - kept)).sum())

        return removed

    def markup_revenue(self, world: World) -> Callable[[Levers], float]:
        """``levers -> yuan`` of drug markup removed from today's bills."""
        ep = world.episodes
        if ep is None or ep.n == 0 or ep.cost_yuan is None:
            return lambda levers: 0.0
        bills = base_cost(ep.tier, ep.severity, self.cost, world.price_index) * self.cost.drug_markup_price_share
        tier = ep.tier
        return lambda levers: float((bills * levers.markup_removed[tier]).sum())


__all__ = [
    "KINDS",
    "Accounting",
    "Books",
    "exposure_key",
    "parse_spending_key",
    "price_key",
    "reimbursed",
    "spending_key",
]


def cost_summary(world: World, config, per_hospital_year: float) -> dict:
    """The summary's money figures (yuan per hospital-year, over the observed days): each switched-on
    policy's cost (``policy_cost.<policy>``, NaN for a policy without a cost model, never zero) and
    its items (``policy_cost.<policy>.<item>``), their total, the system's accounts, the costs of
    the two perspectives of ``sim.analysis.economics`` and, per price, the yuan proportional to it
    (``exposure_public.<price key>``, ``exposure_health_system.<price key>``: re-pricing one price
    by a factor f moves the cost by (f - 1) x its exposure)."""
    from sim.policies.costs import PROGRAMME, REIMBURSEMENT, SUBSIDY

    tot = world.ledger.totals
    out: dict[str, float | str] = {}
    by_kind = dict.fromkeys(KINDS, 0.0)
    # the policies that take effect within the run (one starting after it never acts: its arm is the
    # baseline, sim.runs.collect.arm_label, and so are its accounts)
    enabled = [n for n in config.policies.enabled() if getattr(config.policies, n).start_day < config.days]
    costed = [n for n in enabled if getattr(config.prices, n, None) is not None]
    uncosted = [n for n in enabled if n not in costed]
    for name in costed:
        out[f"policy_cost.{name}"] = 0.0
    exposures: dict[str, dict[str, float]] = {"public": {}, "health_system": {}}
    for key, value in sorted(tot.items()):
        parsed = parse_spending_key(key)
        if parsed is not None:
            policy, item, kind = parsed
            out[f"policy_cost.{policy}"] += value * per_hospital_year
            out[f"policy_cost.{policy}.{item}"] = value * per_hospital_year
            by_kind[kind] += value * per_hospital_year
        elif key.startswith(f"{EXPOSURE}|"):
            _, price, kind = key.split("|")
            for perspective, kinds in (("public", (PROGRAMME, SUBSIDY)), ("health_system", (PROGRAMME,))):
                if kind in kinds:
                    exposures[perspective][price] = exposures[perspective].get(price, 0.0) + value * per_hospital_year
    for name in uncosted:
        out[f"policy_cost.{name}"] = float("nan")
    nan_if_uncosted = float("nan") if uncosted else 0.0
    care = tot["cost_yuan"] * per_hospital_year
    oop = tot["out_of_pocket_yuan"] * per_hospital_year
    replacement_price = config.prices.shared.replacement_yuan_per_doctor
    replacement = tot["doctors_hired"] * replacement_price * per_hospital_year
    exposures["health_system"]["prices.shared.replacement_yuan_per_doctor"] = replacement
    programme_ = by_kind[PROGRAMME] + nan_if_uncosted
    out.update(
        {
            "policy_cost_per_hospital_year": sum(by_kind.values()) + nan_if_uncosted,
            "policy_programme_cost_per_hospital_year": programme_,
            "extra_reimbursement_per_hospital_year": by_kind[REIMBURSEMENT],
            "revenue_subsidy_per_hospital_year": by_kind[SUBSIDY],
            "care_spending_per_hospital_year": care,
            "out_of_pocket_per_hospital_year": oop,
            "insurance_paid_per_hospital_year": care - oop,
            "compensation_per_hospital_year": tot["compensation_yuan"] * per_hospital_year,
            "doctor_replacement_per_hospital_year": replacement,
            "public_cost_per_hospital_year": programme_ + by_kind[SUBSIDY] + care - oop,
            "health_system_cost_per_hospital_year": programme_
            + care
            + tot["compensation_yuan"] * per_hospital_year
            + replacement,
            "uncosted_policies": "+".join(uncosted),
        }
    )
    for perspective, values in exposures.items():
        out.update({f"exposure_{perspective}.{price}": v for price, v in sorted(values.items())})
    return out
