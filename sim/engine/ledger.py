"""The day's ledger: what happened today, totals since day 0, and the logs of rare events.

Mechanisms write here (``ledger.today["disputes"] += 1``, ``ledger.note(...)``); the daily
series (``sim.engine.metrics.REPORTERS``) and the summary read it. At the end of the burn-in
everything counted so far is forgotten (:meth:`Ledger.forget`), the state of the world is kept.
"""

from __future__ import annotations

from collections import defaultdict

#: What is counted each day (one column each in the daily series).
DAILY_COUNTS = (
    "visits",
    "visits_primary",
    "visits_hospital",
    "disputes",
    "disputes_hospital",
    "disputes_closed",
    "disturbances",
    "assaults",
    "violent_incidents_hospital",
    "doctors_injured",
    "doctors_left",
    "doctors_hired",
    "media_stories",
    "compensation_yuan",
    "cost_yuan",
    "out_of_pocket_yuan",
    "failures",
    "referrals",
    "policy_spending_yuan",
)


class Ledger:
    def __init__(self, record_episodes: bool = False):
        self.record_episodes = record_episodes
        self.today: dict[str, float] = dict.fromkeys(DAILY_COUNTS, 0.0)
        self.totals: dict[str, float] = defaultdict(float)
        #: the day's incidents for the media: (kind, facility, magnitude, patient)
        self.incidents: list[tuple] = []
        #: doctor posts vacated and filled today (the model keeps its Doctor agents in step)
        self.left: list[int] = []
        self.hired: list[int] = []
        self.violence_log: list[dict] = []
        #: every mediation case that ended: (day, agreed?)
        self.mediation_log: list[tuple[int, bool]] = []
        self.onset_log: list[tuple] = []
        self.episode_log: list[dict] = []
        #: notable events of each resident (``patient.history``)
        self.history: dict[int, list[dict]] = {}
        self.wait_sum = self.satisfaction_sum = 0.0
        self.wait_today = 0.0
        self.satisfaction_today = float("nan")

    def new_day(self) -> None:
        self.today = dict.fromkeys(DAILY_COUNTS, 0.0)
        self.incidents = []
        self.left, self.hired = [], []

    def close_day(self) -> None:
        for key, value in self.today.items():
            self.totals[key] += value

    def note(self, patient: int, day: int, **event) -> None:
        """A notable event in a resident's history (a dispute, a violent act)."""
        self.history.setdefault(patient, []).append({"day": day, **event})

    def forget(self) -> None:
        """End of the burn-in: what was counted so far is forgotten."""
        self.totals.clear()
        self.wait_sum = self.satisfaction_sum = 0.0
        self.violence_log.clear()
        self.mediation_log.clear()
        self.onset_log.clear()
        self.episode_log.clear()
        self.history.clear()
