"""What a policy costs: unit prices declared with the policy, spending computed from the run.

A policy module may declare, beside its ``Params``,

- a ``Prices`` dataclass deriving from :class:`PolicyPrices`, each unit price declared with
  :func:`price` (allowed range: not negative; a plausible range for the sensitivity analysis;
  the unit in its meaning; a source, or "assumption" where none was found). The configuration
  schema takes it over as ``prices.<policy>.<item>`` (``sim.config.schema.PricesConfig``);
- a method ``spending(books) -> {item: Cost}``: what the policy spends today, computed from the
  run (``books``: a read-only view of the day, ``sim.mechanisms.accounting.Books``), each item
  a quantity times the unit prices it names (:class:`Cost`). The accounting mechanism multiplies
  by the configured prices; the rule itself never sees a price value, so the same runs can be
  re-priced (every item is proportional to each price it names: see the summary's exposures).

Prices shared by several policies and by the system's own accounts (a doctor's salary, the cost
of replacing a doctor who quits, of prosecuting a violent act) are :class:`SharedPrices`
(``prices.shared.<item>``), named ``"shared.<item>"`` in a :class:`Cost`.

Spending never feeds back into behaviour: it is bookkeeping at the end of the day.

Kinds of spending (the perspectives of ``sim.analysis.economics`` add them up differently):

- ``programme``: resources a programme uses (salaries, equipment, campaigns, fees);
- ``reimbursement``: extra payments by insurance for care (already part of what care costs,
  a transfer from the insurer to patients: counted by the public purse, not again by the
  health system);
- ``subsidy``: public money replacing revenue a hospital loses (a transfer to hospitals:
  counted by the public purse only).

Prices are in yuan at 2010-2015 levels, undiscounted; "per hospital" means per model hospital,
a catchment of 25,000 residents with its clinics (docs/ODD.md, "Scaling").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROGRAMME, REIMBURSEMENT, SUBSIDY = "programme", "reimbursement", "subsidy"
KINDS = (PROGRAMME, REIMBURSEMENT, SUBSIDY)
#: Prefix of a shared price's name in a :class:`Cost` (``prices.shared.<item>``).
SHARED = "shared"
DAYS_PER_YEAR = 365.0


def price(default: float, low: float, high: float, doc: str, source: str = "assumption") -> Any:
    """A unit price (yuan, or a ratio that multiplies one): allowed range ``[0, 10 x high]`` (a
    negative cost is a configuration error; a value ten times the plausible top is a typo, not a
    scenario), plausible range ``[low, high]`` (the sensitivity analysis's,
    ``sim.analysis.sensitivity.UNCERTAIN``), meaning with its unit, and source."""
    if not 0 <= low <= default <= high:
        raise ValueError(f"price {doc!r}: need 0 <= low <= default <= high, got {low}, {default}, {high}")
    return field(
        default=default,
        metadata={
            "range": (0.0, 10.0 * high),
            "plausible": (low, high),
            "doc": f"{doc} (plausible {low:,g}-{high:,g})",
            "source": source,
            "null": None,
        },
    )


@dataclass
class PolicyPrices:
    """Base of a policy's unit prices (``prices.<policy>``)."""


@dataclass
class SharedPrices(PolicyPrices):
    """Prices used by several policies and by the system's own accounts (``prices.shared``)."""

    doctor_salary_yuan_per_year: float = price(
        60_000,
        40_000,
        120_000,
        "employer's cost of one doctor for a year, yuan (pay rises, extra clinic staff, training time)",
        "assumption, anchored on the NBS average wage in health and social work (about 52,600 yuan in 2012, "
        "recalled, not re-checked offline) plus employer contributions",
    )
    clinic_pay_ratio: float = price(
        0.7, 0.5, 1.0, "pay of a primary-care doctor relative to the average doctor (ratio)"
    )
    replacement_yuan_per_doctor: float = price(
        60_000,
        20_000,
        200_000,
        "cost of replacing a doctor who quit (recruitment, induction, lost output while new), yuan per hire",
        "assumption: about one year's pay, the order of magnitude of physician-turnover cost estimates",
    )
    prosecution_yuan_per_case: float = price(
        30_000,
        10_000,
        100_000,
        "police investigation, prosecution and trial of one punished violent act, yuan",
    )


@dataclass(frozen=True)
class Cost:
    """One item of a day's spending: ``quantity`` x the product of the named unit prices (own
    prices by field name, shared ones as ``"shared.<field>"``), of a kind (:data:`KINDS`).
    An item with no price is already in yuan (e.g. extra reimbursement computed from episodes)."""

    quantity: float
    prices: tuple[str, ...] = ()
    kind: str = PROGRAMME

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of spending {self.kind!r}: one of {KINDS}")


def programme(quantity: float, *prices: str) -> Cost:
    return Cost(float(quantity), prices, PROGRAMME)


def reimbursement(yuan: float) -> Cost:
    return Cost(float(yuan), (), REIMBURSEMENT)


def subsidy(quantity: float, *prices: str) -> Cost:
    return Cost(float(quantity), prices, SUBSIDY)


def price_key(policy: str, name: str) -> str:
    """The config key of a price named in a :class:`Cost` of ``policy``: ``prices.<policy>.<name>``
    or, for ``shared.<name>``, ``prices.shared.<name>``."""
    return f"prices.{name}" if name.startswith(f"{SHARED}.") else f"prices.{policy}.{name}"


def price_value(prices_config, policy: str, name: str) -> float:
    """The configured value of a price named in a :class:`Cost` of ``policy``."""
    group, _, field_name = price_key(policy, name).removeprefix("prices.").partition(".")
    return float(getattr(getattr(prices_config, group), field_name))


def yuan(cost: Cost, prices_config, policy: str) -> float:
    value = cost.quantity
    for name in cost.prices:
        value *= price_value(prices_config, policy, name)
    return value
