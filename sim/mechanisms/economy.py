"""The economy: incomes and prices of care grow, and richer patients expect more of care.

Each day incomes and the prices of care grow by their yearly rates (``population.
income_growth_per_year``, ``cost.price_growth_per_year``), as indices relative to the run's first
day: a resident's income is the drawn income times the income index, the cost of an episode the
tier's cost times the price index. Expectations of a good outcome rise with log income
(``satisfaction.expectation_income_elasticity``): the sources' "I paid, so you must cure me" and
excessive expectations of a consumer of care, which grew with incomes (MISSION.md, causes 1 and
2). This is the secular driver the history needs: incomes grew faster than the cost of care fell
for patients, yet disputes and violence escalated until 2013. With both rates and the elasticity
at 0 (the default) nothing changes.
"""

from __future__ import annotations

import math

from sim.config.schema import CostParams, PopulationParams, SatisfactionParams
from sim.engine.world import World
from sim.mechanisms.base import Mechanism


class Economy(Mechanism):
    name = "economy"

    def __init__(self, population: PopulationParams, cost: CostParams, satisfaction: SatisfactionParams):
        self.income_daily = (1.0 + population.income_growth_per_year) ** (1 / 365)
        self.price_daily = (1.0 + cost.price_growth_per_year) ** (1 / 365)
        self.elasticity = satisfaction.expectation_income_elasticity

    @classmethod
    def from_config(cls, config, streams) -> Economy:
        p = config.params
        return cls(p.population, p.cost, p.satisfaction)

    def step(self, world: World) -> None:
        if self.income_daily != 1.0:
            world.income_index *= self.income_daily
            world.expectation_shift = self.elasticity * math.log(world.income_index)
        if self.price_daily != 1.0:
            world.price_index *= self.price_daily
