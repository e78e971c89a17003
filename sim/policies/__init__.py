"""The policies: the remedies the sources propose, each one module, and the one list of them.

``POLICIES`` maps each policy's name to its class, in the order figures and tables show them.
It is the only list of policies: the configuration schema (``policies.<name>``), the page's
switches and sliders, plot labels, the comparison arms, the dose-response series, validation
scenarios, the benchmark and the tests all derive from it. Adding a policy is one module here
(see ``sim/policies/base.py`` for what it holds), one line below, its generated YAML
(``python -m sim.policies.yaml --write``) and a paragraph in docs/ODD.md.

:class:`PolicySet` is a run's policies: which are switched on, and the levers in force on a
given day (``sim.policies.levers``).
"""

from __future__ import annotations

import datetime as dt

from sim.policies import (
    communication_training,
    crisis_pr,
    family_doctor,
    health_literacy,
    hospital_expansion,
    hospital_security,
    insurance,
    legal_deterrence,
    media_responsibility,
    mediation,
    pay_reform,
    tiered_care,
    zero_markup,
)
from sim.policies.base import Policy, PolicyParams
from sim.policies.levers import Levers, blend, combine
from sim.policies.schedule import Schedule, parse_date

POLICIES: dict[str, type[Policy]] = {
    policy.name: policy
    for policy in (
        tiered_care.TieredCare,
        mediation.Mediation,
        insurance.Insurance,
        legal_deterrence.LegalDeterrence,
        hospital_security.HospitalSecurity,
        communication_training.CommunicationTraining,
        health_literacy.HealthLiteracy,
        media_responsibility.MediaResponsibility,
        crisis_pr.CrisisPR,
        pay_reform.PayReform,
        family_doctor.FamilyDoctor,
        zero_markup.ZeroMarkup,
        hospital_expansion.HospitalExpansion,
    )
}
POLICY_NAMES: tuple[str, ...] = tuple(POLICIES)

#: Named packages of policies compared as arms of their own (besides "all policies"): the three
#: remedies the mission names first.
PACKAGES: dict[str, tuple[str, ...]] = {
    "mission_package": (tiered_care.TieredCare.name, mediation.Mediation.name, insurance.Insurance.name),
}


def comparison_arms() -> list[list[str]]:
    """The arms of a policy comparison: the baseline, each policy alone, each package, all."""
    return [[], *([name] for name in POLICY_NAMES), *(list(p) for p in PACKAGES.values()), list(POLICY_NAMES)]


def moving(lever: str) -> list[str]:
    """The policies that move ``lever`` (each policy's declared ``moves``), in registry order."""
    return [name for name, policy in POLICIES.items() if lever in policy.moves]


def label(name: str) -> str:
    """Readable name of a policy (``POLICIES[name].label``)."""
    return POLICIES[name].label


class PolicySet:
    """The policies of a run (``config.policies``, a ``PoliciesConfig``) over the pre-reform
    levers of its behavioural parameters, on the run's calendar (``start_date``: day 0's date,
    or ``None`` for a run counted in days only)."""

    def __init__(self, policies_config, params, start_date: dt.date | None = None):
        self.base = Levers.pre_reform(params)
        self.start_date = start_date
        self.policies: list[Policy] = [
            POLICIES[name](getattr(policies_config, name))
            for name in POLICY_NAMES
            if getattr(policies_config, name).enabled
        ]
        self.start_days = {p.name: self._start_day(p) for p in self.policies}
        self._by_name = {p.name: p for p in self.policies}
        #: some intensity or coverage follows a schedule: the levers change from day to day
        self.dynamic = any(p.params.schedule or p.params.coverage.is_set for p in self.policies)
        # policy name -> (its scheduled values, its proposal, a version number): kept while the
        # values hold (a history's ramps move some every day, its steps rarely)
        self._proposals: dict[str, tuple[tuple, dict, int]] = {}
        self._made = 0  # proposals made so far: the next version number
        self._checked: tuple[int | None, set[str]] = (None, set())  # the day, the policies read on it
        self._levers: tuple[tuple | None, Levers | None] = (None, None)

    def _start_day(self, policy: Policy) -> int:
        if policy.params.start_date and self.start_date is not None:
            return (parse_date(policy.params.start_date, "").toordinal()) - self.start_date.toordinal()
        return policy.params.start_day

    def date(self, day: int) -> dt.date | None:
        return None if self.start_date is None else self.start_date + dt.timedelta(days=day)

    def in_force(self, day: int) -> list[Policy]:
        return [p for p in self.policies if self.start_days[p.name] <= day]

    def levers_on(self, day: int) -> Levers:
        """The levers in force on ``day``: pre-reform values moved by every policy started by then,
        each at its scheduled intensities and coverage of that day (combined in the registry's
        order, whatever order the policies were listed in). The same object as the day before
        while no proposal changed (levers are never changed in place)."""
        in_force = self.in_force(day)
        key = self.versions([p.name for p in in_force], day)
        if self._levers[0] != key:
            self._levers = (key, combine(self.base, ((p.name, self.proposal(p, day)) for p in in_force)))
        return self._levers[1]

    def proposal(self, policy: Policy, day: int) -> dict:
        """What ``policy`` proposes on ``day``: its levers at that day's intensities, blended by its
        coverage (kept while they hold: the accounting's attribution asks again several times a day)."""
        return self._proposal(policy, day)[1]

    def versions(self, names, day: int) -> tuple:
        """A key of the named policies' proposals on ``day``: equal keys, equal proposals."""
        return tuple((name, self._proposal(self._by_name[name], day)[2]) for name in names)

    def _proposal(self, policy: Policy, day: int) -> tuple[tuple, dict, int]:
        if self._checked[0] != day:
            self._checked = (day, set())
        cached = self._proposals.get(policy.name)
        if policy.name not in self._checked[1]:  # its values are read once a day
            self._checked[1].add(policy.name)
            date = self.date(day)
            values = policy.scheduled(date)
            if cached is None or cached[0] != values:
                self._made += 1
                made = blend(self.base, policy.on(date).levers(self.base), policy.coverage_on(date))
                cached = self._proposals[policy.name] = (values, made, self._made)
        return cached

    def change_days(self) -> set[int]:
        """The days on which a policy starts (with ``dynamic``: the levers change every day)."""
        return set(self.start_days.values())


__all__ = [
    "PACKAGES",
    "POLICIES",
    "POLICY_NAMES",
    "Levers",
    "Policy",
    "PolicyParams",
    "PolicySet",
    "Schedule",
    "label",
    "moving",
]
