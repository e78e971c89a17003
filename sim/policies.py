"""Policies as levers: what each remedy the sources propose changes in the daily rules.

The mechanisms never test "is policy X on?". They read a :class:`Levers` object: the effective
value of every quantity a policy can move. The pre-reform values come from the behavioural
parameters; on its ``start_day`` each switched-on policy moves its levers (``apply_*`` below),
and the model rebuilds the levers from scratch, so policies compose in any combination and
can start mid-run (the ``reform_path`` experiment). Policies change no state arrays and draw
no random numbers, which keeps the common random numbers of every arm aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import POLICY_NAMES, BehaviourParams, PoliciesConfig


@dataclass
class Levers:
    # care (tiered care, family doctor)
    gatekeeping: float
    emergency_severity: float
    referral_probability: float
    capability: np.ndarray  # by tier
    clinic_quality_gain: float  # share of clinic doctors' skill gap closed
    clinic_capacity_gain: float  # extra clinic consultations per doctor-day (share)
    family_enrolment: float
    family_first_contact: float
    family_trust_gain: float
    family_explanation_gain: float
    # money (insurance, tiered-care price differential, pay reform)
    coverage: np.ndarray  # by tier
    uninsured_share: float
    overtest_decoupling: float
    pay_rise: float
    # communication and literacy
    communication_gain: float
    literacy_gain: float
    # disputes and violence
    mediation_on: bool
    punishment_probability: float
    security: float
    # media and crisis PR
    sensationalism_cut: float
    positive_story_rate: float
    transparency: float
    forgiveness: float

    @classmethod
    def pre_reform(cls, params: BehaviourParams) -> Levers:
        care, cost = params.care, params.cost
        return cls(
            gatekeeping=0.0,
            emergency_severity=1.0,
            referral_probability=care.referral_probability,
            capability=np.array([care.capability_primary, care.capability_secondary, care.capability_tertiary]),
            clinic_quality_gain=0.0,
            clinic_capacity_gain=0.0,
            family_enrolment=0.0,
            family_first_contact=0.0,
            family_trust_gain=0.0,
            family_explanation_gain=0.0,
            coverage=np.array([cost.coverage_primary, cost.coverage_secondary, cost.coverage_tertiary]),
            uninsured_share=cost.uninsured_share,
            overtest_decoupling=0.0,
            pay_rise=0.0,
            communication_gain=0.0,
            literacy_gain=0.0,
            mediation_on=False,
            punishment_probability=params.violence.punishment_probability,
            security=0.0,
            sensationalism_cut=0.0,
            positive_story_rate=params.media.positive_story_rate,
            transparency=0.0,
            forgiveness=0.0,
        )


def apply_tiered_care(levers: Levers, p) -> None:
    levers.gatekeeping = p.gatekeeping
    levers.emergency_severity = p.emergency_severity
    levers.referral_probability = max(levers.referral_probability, p.referral_probability)
    cap = levers.capability
    cap[0] = cap[0] + p.primary_investment * (cap[1] - cap[0])
    levers.clinic_quality_gain = p.primary_investment
    levers.clinic_capacity_gain = p.primary_investment  # staff and equipment: 1 doubles capacity
    levers.coverage[0] = levers.coverage[0] + p.price_differential * (1 - levers.coverage[0])


def apply_mediation(levers: Levers, p) -> None:
    levers.mediation_on = True  # centres and mediators are created by the model


def apply_insurance(levers: Levers, p) -> None:
    levers.coverage[1:] = np.maximum(levers.coverage[1:], p.coverage)
    levers.coverage[0] = max(levers.coverage[0], p.coverage_primary)
    levers.uninsured_share = min(levers.uninsured_share, p.uninsured_share)


def apply_legal_deterrence(levers: Levers, p) -> None:
    levers.punishment_probability = max(levers.punishment_probability, p.punishment_probability)
    levers.security = p.security


def apply_communication_training(levers: Levers, p) -> None:
    levers.communication_gain = p.skill_gain


def apply_health_literacy(levers: Levers, p) -> None:
    levers.literacy_gain = p.literacy_gain


def apply_media_responsibility(levers: Levers, p) -> None:
    levers.sensationalism_cut = p.sensationalism_cut
    levers.positive_story_rate = levers.positive_story_rate + p.positive_story_rate


def apply_crisis_pr(levers: Levers, p) -> None:
    levers.transparency = p.transparency
    levers.forgiveness = p.forgiveness


def apply_pay_reform(levers: Levers, p) -> None:
    levers.overtest_decoupling = p.decoupling
    levers.pay_rise = p.pay_rise


def apply_family_doctor(levers: Levers, p) -> None:
    levers.family_enrolment = p.enrolment
    levers.family_first_contact = p.first_contact
    levers.family_trust_gain = p.trust_gain
    levers.family_explanation_gain = p.explanation_gain


APPLY = {name: globals()[f"apply_{name}"] for name in POLICY_NAMES}


def levers_on(day: int, params: BehaviourParams, policies: PoliciesConfig) -> Levers:
    """The levers in force on ``day``: pre-reform values moved by every policy started by then."""
    levers = Levers.pre_reform(params)
    for name in active_policies(day, policies):
        APPLY[name](levers, getattr(policies, name))
    return levers


def active_policies(day: int, policies: PoliciesConfig) -> list[str]:
    return [name for name in policies.enabled() if getattr(policies, name).start_day <= day]


def start_days(policies: PoliciesConfig) -> set[int]:
    return {getattr(policies, name).start_day for name in policies.enabled()}
