"""Levers: every quantity of the daily rules that a policy can move, and how policies combine.

The mechanisms never ask "is policy X on?". They read a :class:`Levers` object: the value in
force today of every quantity a policy can move. Its pre-reform values come from the
behavioural parameters (:meth:`Levers.pre_reform`); each policy in force proposes values for
the levers it moves (``Policy.levers``), computed from the pre-reform values alone, and each
lever declares once how several proposals combine (:class:`Combine`). Because no proposal
depends on another policy's, and proposals are combined in the registry's order, a set of
policies gives the same levers whatever the order it was listed in. Policies change no state
and draw no random numbers, which keeps the common random numbers of every arm aligned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import reduce
from typing import Any

import numpy as np

from sim.config.fields import ConfigError


class Combine(Enum):
    """How the proposals of several policies for one lever make the value in force."""

    AT_LEAST = "at least"  # the largest of the pre-reform value and every proposal
    AT_MOST = "at most"  # the smallest of them
    SUM = "sum"  # the pre-reform value plus every proposal (proposals are increments)
    REPLACE = "replace"  # the one proposal; two policies proposing it is a configuration error


AT_LEAST, AT_MOST, SUM, REPLACE = Combine.AT_LEAST, Combine.AT_MOST, Combine.SUM, Combine.REPLACE


def lever(combine: Combine, doc: str, qualifier: bool = False) -> Any:
    """A lever's field: how proposals combine, and what it means. No default: the pre-reform
    values come from the behavioural parameters (:meth:`Levers.pre_reform`). A ``qualifier``
    says how a policy acts where it acts (a mediator's capacity, a doctor's first contact): partial
    coverage scales the levers that say how much it acts, not its qualifiers (:func:`blend`)."""
    return field(metadata={"combine": combine, "doc": doc, "qualifier": qualifier})


@dataclass
class Levers:
    # care (tiered care, family doctor)
    gatekeeping: float = lever(AT_LEAST, "share of non-emergency episodes that must start at a clinic")
    emergency_severity: float = lever(AT_MOST, "severity above which gatekeeping is bypassed", qualifier=True)
    referral_probability: float = lever(AT_LEAST, "chance a clinic refers a case beyond its capability")
    capability: np.ndarray = lever(AT_LEAST, "highest severity each tier treats well (by tier)")  # noqa: RUF009
    clinic_quality_gain: float = lever(AT_LEAST, "share of clinic doctors' skill gap closed")
    clinic_capacity_gain: float = lever(AT_LEAST, "extra clinic consultations per doctor-day (share)")
    family_enrolment: float = lever(AT_LEAST, "share of residents with a family-doctor contract")
    family_first_contact: float = lever(
        AT_LEAST, "chance a contracted resident goes to the family doctor first", qualifier=True
    )
    family_trust_gain: float = lever(AT_LEAST, "trust in primary care gained by contracted residents", qualifier=True)
    family_explanation_gain: float = lever(
        AT_LEAST, "extra explanation quality from continuity of care", qualifier=True
    )
    # money (insurance, tiered-care price differential, pay reform)
    coverage: np.ndarray = lever(AT_LEAST, "insurance reimbursement share (by tier)")  # noqa: RUF009
    clinic_price_gain: float = lever(AT_LEAST, "extra reimbursement at clinics: share of the remaining gap closed")
    uninsured_share: float = lever(AT_MOST, "share of residents without insurance")
    overtest_decoupling: float = lever(AT_LEAST, "share of the tests-and-drugs revenue incentive removed")
    markup_removed: np.ndarray = lever(AT_LEAST, "share of facilities without the drug markup (by tier)")  # noqa: RUF009
    hospital_capacity_gain: np.ndarray = lever(AT_LEAST, "extra daily capacity of facilities (by tier)")  # noqa: RUF009
    pay_rise: float = lever(AT_LEAST, "burnout accumulation and attrition cut by better pay")
    # communication and literacy
    communication_gain: float = lever(AT_LEAST, "share of the gap to perfect communication closed")
    literacy_gain: float = lever(AT_LEAST, "share of the gap to full medical literacy closed")
    # disputes: third-party mediation (centres open once the uptake is above zero)
    mediation_uptake: float = lever(AT_LEAST, "share of new disputes taken to mediation")
    mediators_per_100k: float = lever(AT_LEAST, "mediators per 100,000 residents")
    mediator_capacity: int = lever(REPLACE, "cases one mediator handles in parallel", qualifier=True)
    mediator_impartiality: float = lever(REPLACE, "impartiality and professionalism of mediators", qualifier=True)
    mediation_days: float = lever(REPLACE, "mean duration of a mediation case (days)", qualifier=True)
    mediation_max_success: float = lever(REPLACE, "agreement rate of a fully impartial mediator", qualifier=True)
    # violence
    punishment_probability: float = lever(AT_LEAST, "chance violence is punished by the courts")
    police_arrest: float = lever(AT_LEAST, "chance violence is punished on the spot by a hospital police post")
    security: float = lever(AT_LEAST, "share of assaults stopped by hospital security before injury")
    # media and crisis PR
    sensationalism_cut: float = lever(AT_LEAST, "share of outlets' sensationalism removed")
    positive_story_rate: float = lever(SUM, "positive stories per outlet per day")
    transparency: float = lever(AT_LEAST, "chance a hospital responds openly to an incident")
    forgiveness: float = lever(AT_LEAST, "chance an open response turns a story's tone positive", qualifier=True)

    @classmethod
    def pre_reform(cls, params) -> Levers:
        """The levers with no policy in force, from the behavioural parameters
        (``sim.config.schema.BehaviourParams``)."""
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
            clinic_price_gain=0.0,
            uninsured_share=cost.uninsured_share,
            overtest_decoupling=0.0,
            markup_removed=np.zeros(3),
            hospital_capacity_gain=np.zeros(3),
            pay_rise=0.0,
            communication_gain=0.0,
            literacy_gain=0.0,
            mediation_uptake=0.0,
            mediators_per_100k=0.0,
            mediator_capacity=0,
            mediator_impartiality=0.0,
            mediation_days=1.0,
            mediation_max_success=0.0,
            punishment_probability=params.violence.punishment_probability,
            police_arrest=0.0,
            security=0.0,
            sensationalism_cut=0.0,
            positive_story_rate=params.media.positive_story_rate,
            transparency=0.0,
            forgiveness=0.0,
        )

    @property
    def effective_coverage(self) -> np.ndarray:
        """Reimbursement share by tier of an insured patient: insurance's coverage, with the
        clinics' price differential closing a further share of the gap there."""
        coverage = self.coverage.copy()
        coverage[0] += self.clinic_price_gain * (1 - coverage[0])
        return coverage

    @property
    def punished_probability(self) -> float:
        """Chance a violent act is punished: by the courts, or on the spot by a police post."""
        return 1 - (1 - self.punishment_probability) * (1 - self.police_arrest)


LEVER_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Levers))
#: each lever's combination rule, read once: ``combine`` runs several times a day in a history
_RULES: tuple[tuple[str, Combine], ...] = tuple((f.name, f.metadata["combine"]) for f in dataclasses.fields(Levers))
_RULE: dict[str, Combine] = dict(_RULES)
_QUALIFIER: dict[str, bool] = {f.name: bool(f.metadata["qualifier"]) for f in dataclasses.fields(Levers)}
_LEVER_SET = frozenset(LEVER_NAMES)


def _at_least(a, b):
    return np.maximum(a, b) if isinstance(a, np.ndarray) else max(a, b)


def _at_most(a, b):
    return np.minimum(a, b) if isinstance(a, np.ndarray) else min(a, b)


def blend(base: Levers, proposal: dict[str, Any], coverage: float) -> dict[str, Any]:
    """A policy's proposal where it covers only a share ``coverage`` of the country, as the
    expected lever over the country: ``base + coverage x (proposal - base)`` for every lever
    that says how much the policy acts; switches hold wherever it acts; qualifiers unchanged.
    (The model's hospitals are catchment units of a national average: a policy in force in 70 %
    of the country is represented as acting at 70 % of its strength everywhere, not fully in 70 %
    of the catchments; exact for levers that act linearly, an approximation otherwise.)"""
    if coverage >= 1.0:
        return proposal
    out = {}
    for name, value in proposal.items():
        before = getattr(base, name)
        if _QUALIFIER[name] or isinstance(value, bool):
            out[name] = value if coverage > 0 or _QUALIFIER[name] else before
        else:
            out[name] = before + coverage * (value - before)
    return out


def combine(base: Levers, proposals: Iterable[tuple[str, dict[str, Any]]]) -> Levers:
    """The levers in force: ``base`` moved by each ``(policy name, {lever: value})`` proposal,
    each lever by its own :class:`Combine` rule. ``base`` is left unchanged (its arrays are copied)."""
    offers: dict[str, list[tuple[str, Any]]] = {}
    for who, offer in proposals:
        unknown = offer.keys() - _LEVER_SET
        if unknown:
            raise ValueError(f"policy {who!r} proposes unknown lever(s) {sorted(unknown)}")
        for name, value in offer.items():
            offers.setdefault(name, []).append((who, value))
    # a history recombines the levers several times a day: only the offered ones are folded
    values = {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in vars(base).items()}
    for name, offered in offers.items():
        rule, value = _RULE[name], values[name]
        if rule is AT_LEAST:
            value = reduce(_at_least, (v for _, v in offered), value)
        elif rule is AT_MOST:
            value = reduce(_at_most, (v for _, v in offered), value)
        elif rule is SUM:
            value = reduce(lambda a, b: a + b, (v for _, v in offered), value)
        else:  # REPLACE
            if len(offered) > 1:
                raise ConfigError(
                    f"policies {[who for who, _ in offered]} all set lever {name!r}, which does not combine "
                    "(rule 'replace'): switch on only one of them"
                )
            value = offered[0][1]
        values[name] = value
    return Levers(**values)
