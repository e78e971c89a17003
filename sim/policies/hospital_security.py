"""Hospital security: guards and police posts in hospitals.

Mechanism: at a secured hospital guards stop part of the assaults before anyone is injured, and
a police post on site punishes part of the violent acts on the spot, which raises the net risk
of acting (Epstein 2002) on top of what the courts do (legal deterrence, a policy of its own). Until coverage is
resolved facility by facility, ``secured_share`` acts as the expected share: the levers are the
share of all assaults stopped and the chance of an on-site arrest averaged over hospitals.
Sources: HISTORY.md A3 (2012-04 joint notice on order in hospitals; 2012-05 police posts
required in grade II and above hospitals; 2013 guideline: guards at least 3 % of staff; 2014-02
police officers in about 1,000 top hospitals; by 2017-02, 85 % of large hospitals had police
offices).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class HospitalSecurityParams(PolicyParams):
    secured_share: float = unit(
        0.85,
        "share of hospitals with a police post and guards at the guideline level (3 % of staff)",
        "HISTORY.md A3: 85 % of large hospitals had police offices by 2017-02",
        null=0.0,
    )
    interception: float = unit(0.5, "share of assaults at a secured hospital stopped before anyone is injured")
    on_site_arrest: float = unit(0.3, "chance a violent act at a secured hospital is punished on the spot")


@dataclass
class HospitalSecurityPrices(PolicyPrices):
    staff_per_doctor: float = price(
        2.5, 2.0, 3.5, "hospital staff per doctor: nurses, technicians, administration (ratio)"
    )
    guard_share_of_staff: float = price(
        0.03, 0.02, 0.06, "guards per member of hospital staff (ratio)", "HISTORY.md A3: 2013 guideline, at least 3 %"
    )
    guard_yuan_per_year: float = price(45_000, 30_000, 70_000, "a contracted security guard, yuan per year")
    police_post_yuan_per_hospital_year: float = price(
        100_000,
        50_000,
        300_000,
        "a hospital police post, yuan per secured hospital-year (about one officer-year for a model hospital; "
        "a real grade-II hospital's post has 2-3 officers, HISTORY.md A3)",
    )
    equipment_yuan_per_hospital_year: float = price(
        30_000,
        10_000,
        100_000,
        "alarms linked to the police, cameras, gates, annualised, yuan per secured hospital-year",
    )


class HospitalSecurity(Policy):
    name = "hospital_security"
    label = "Hospital security"
    summary = "Guards and police posts in hospitals."
    Params = HospitalSecurityParams
    main_intensity = "secured_share"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    assumed = ("interception", "on_site_arrest")
    moves = ("security", "police_arrest")
    Prices = HospitalSecurityPrices

    def levers(self, base):
        p = self.params
        return {"security": p.secured_share * p.interception, "police_arrest": p.secured_share * p.on_site_arrest}

    def spending(self, books):
        """Guards at the guideline's share of staff, a police post and equipment in every secured
        hospital (``secured_share`` of them); the on-site arrests above the pre-reform chance of
        punishment, each a prosecution."""
        secured = self.params.secured_share * books.year
        return {
            "guards": programme(
                books.hospital_doctors_in_post * secured,
                "staff_per_doctor",
                "guard_share_of_staff",
                "guard_yuan_per_year",
            ),
            "police_posts": programme(books.hospitals * secured, "police_post_yuan_per_hospital_year"),
            "equipment": programme(books.hospitals * secured, "equipment_yuan_per_hospital_year"),
            "prosecutions": programme(books.punishments_added(self.name), "shared.prosecution_yuan_per_case"),
        }
