"""Zero drug markup: public facilities stop adding a 15 % markup to the drugs they sell.

Mechanism: hospitals had kept a 15 % markup on drugs, part of the tests-and-drugs revenue they
must raise (``cost.financial_pressure``), an incentive to over-prescribe. Removing it cuts the
drug part of that pressure (``cost.drug_markup_pressure_share``) and the markup itself from the
bill (``cost.drug_markup_price_share``), tier by tier: each intensity is the share of the
facilities of a tier without the markup. Sources: HISTORY.md A6 (2009 primary facilities, all by
2011; 2012 pilots in hospitals; 2015 county hospitals, 78.3 % by 2015-08; 2017-04 to 2017-09 all
public hospitals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, subsidy


@dataclass
class ZeroMarkupParams(PolicyParams):
    primary: float = unit(
        1.0, "share of primary clinics without the drug markup", "HISTORY.md A6: all by 2011", null=0.0
    )
    secondary: float = unit(
        1.0, "share of secondary hospitals without the drug markup", "HISTORY.md A6: county hospitals 2015", null=0.0
    )
    tertiary: float = unit(
        1.0, "share of tertiary hospitals without the drug markup", "HISTORY.md A6: all public hospitals 2017", null=0.0
    )


@dataclass
class ZeroMarkupPrices(PolicyPrices):
    replacement_share: float = price(
        0.8,
        0.5,
        1.0,
        "share of the revenue a hospital loses without the markup that public subsidies and higher service "
        "fees replace (ratio)",
        "assumption: the reform compensated hospitals mainly through service-fee rises and subsidies (HISTORY A6)",
    )


class ZeroMarkup(Policy):
    name = "zero_markup"
    label = "Zero drug markup"
    summary = "Public facilities stop adding a 15 % markup to the drugs they sell."
    Params = ZeroMarkupParams
    main_intensity = "tertiary"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("markup_removed",)
    Prices = ZeroMarkupPrices

    def levers(self, base):
        p = self.params
        return {"markup_removed": np.array([p.primary, p.secondary, p.tertiary])}

    def spending(self, books):
        """The subsidy replacing the revenue hospitals lose: the markup removed from today's bills
        and the over-testing the smaller revenue pressure no longer earns (computed from the day's
        episodes), times the share replaced."""
        lost = books.markup_revenue_removed(self.name) + books.revenue_removed(self.name)
        return {"revenue_replacement": subsidy(lost, "replacement_share")}
