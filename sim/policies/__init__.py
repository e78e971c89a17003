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

from sim.policies import (
    communication_training,
    crisis_pr,
    family_doctor,
    health_literacy,
    hospital_security,
    insurance,
    legal_deterrence,
    media_responsibility,
    mediation,
    pay_reform,
    tiered_care,
)
from sim.policies.base import Policy, PolicyParams
from sim.policies.levers import Levers, combine

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
    levers of its behavioural parameters."""

    def __init__(self, policies_config, params):
        self.base = Levers.pre_reform(params)
        self.policies: list[Policy] = [
            POLICIES[name](getattr(policies_config, name))
            for name in POLICY_NAMES
            if getattr(policies_config, name).enabled
        ]

    def in_force(self, day: int) -> list[Policy]:
        return [p for p in self.policies if p.params.start_day <= day]

    def levers_on(self, day: int) -> Levers:
        """The levers in force on ``day``: pre-reform values moved by every policy started by then
        (combined in the registry's order, whatever order the policies were listed in)."""
        return combine(self.base, ((p.name, p.levers(self.base)) for p in self.in_force(day)))

    def change_days(self) -> set[int]:
        """The days on which the levers in force change."""
        return {p.params.start_day for p in self.policies}


__all__ = ["PACKAGES", "POLICIES", "POLICY_NAMES", "Levers", "Policy", "PolicyParams", "PolicySet", "label", "moving"]
