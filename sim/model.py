"""The doctor-patient trust model: a Mesa model that owns the run.

One step is one day. The order of the day (docs/ODD.md, "Process overview"):

1. policies starting today move their levers (``sim.policies``);
2. illness onsets (``sim.illness``);
3. care: tier choice, crowding, outcome, cost, satisfaction (``sim.care``);
4. doctors: workload, burnout, attrition, hiring (``sim.workforce``);
5. trust: own experience, word of mouth, DeGroot averaging (``sim.trust``);
6. disputes filed, then the day's events of open disputes and mediation (``sim.disputes``);
7. violence (``sim.violence``);
8. media coverage of the day's incidents (``sim.media``);
9. the DataCollector records the day.
"""

from __future__ import annotations

import itertools
import weakref
from collections import defaultdict

import mesa
import numpy as np

from sim import care, illness, media, trust, violence, workforce
from sim.agents import Doctor, Hospital, MediaOutlet, Mediator, Patient
from sim.config import SimConfig, validate
from sim.disputes import DisputeSystem
from sim.health_system import PRIMARY, build_doctors, build_facilities, doctor_posts, new_doctor
from sim.mediation import MediationCentre
from sim.network import row_normalised, small_world, to_networkx
from sim.policies import levers_on, start_days
from sim.population import NO_DISPUTE, build_patients
from sim.rng import Streams


class _AgentIdCounters(weakref.WeakKeyDictionary):
    """Mesa 3.3.1's per-model counters of agent ids, without keeping the models alive.

    ``mesa.Agent._ids`` is a class-level ``defaultdict`` keyed by model: every model ever built
    stays in memory for the life of the process (mesa/mesa#3179, fixed upstream by #3180; Mesa
    3.4+ needs Python 3.12). A sweep running several seeds in one process grew by a whole
    model per run (~40 MB at the small scale, ~0.9 GB at the large one), and joblib's workers
    were restarted by loky's leak detection. Keyed weakly, a model's counter goes with it; ids
    still count from 1 in each model.
    """

    def __getitem__(self, model):
        try:
            return self.data[weakref.ref(model)]  # (WeakKeyDictionary's own lookup, without the call)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


if not isinstance(mesa.Agent._ids, _AgentIdCounters):
    mesa.Agent._ids = _AgentIdCounters()

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
)


class TrustModel(mesa.Model):
    """Patients, doctors, mediators and media outlets over a social network.

    Args:
        config: a validated :class:`~sim.config.SimConfig` (see ``sim.api.compose`` to build one
            from Hydra override strings). ``None`` composes the default configuration of
            ``configs/`` (the calibrated pre-reform baseline).

    After construction: ``model.agents_by_type[Patient]`` (and ``Doctor``, ``Mediator``,
    ``MediaOutlet``) hold the agents; ``model.hospitals`` the facilities; ``model.graph`` the
    social network as networkx; ``model.datacollector`` the daily series.
    """

    def __init__(self, config: SimConfig | None = None):
        if config is None:
            from sim.api import compose

            config = compose()
        validate(config)  # it may have been changed since it was composed (issue 12, item 12)
        self.streams = Streams(config.seed)
        # Mesa's own generators get a child of the same seed: nothing here draws from them.
        super().__init__(rng=np.random.default_rng(np.random.SeedSequence(config.seed).spawn(1)[0]))
        self.config = config
        # the pre-reform burn-in runs on negative days, so day 0 is the first observed day
        self.day = -config.burn_in_days
        scale, params = config.scale, config.params

        # environment: facilities and doctor posts
        self.facilities = build_facilities(scale, params.cost.financial_pressure)
        self.doctors = build_doctors(
            doctor_posts(scale, self.facilities.tier),
            self.facilities.tier,
            params.workforce.initial_burnout,
            self.streams.workforce,
        )
        n_clinics = int((self.facilities.tier == PRIMARY).sum())
        self.patients = build_patients(scale.n_patients, n_clinics, params.population, self.streams.population)
        self.adjacency = small_world(scale.n_patients, scale.mean_degree, scale.rewiring, self.streams.network)
        self.contact_weights = row_normalised(self.adjacency)
        self._graph = None
        # hospitals are picked in proportion to their size (posts)
        self.hospital_weights = np.bincount(self.doctors.facility, minlength=self.facilities.n).astype(float)

        # agents
        self.patient_agents = [Patient(self, i) for i in range(scale.n_patients)]
        self.doctor_agents = [Doctor(self, i) for i in range(self.doctors.n)]
        self.former_doctors: list[Doctor] = []
        self.hospitals = [Hospital(self, i) for i in range(self.facilities.n)]
        # local media: one outlet per area, reaching residents of its area and reporting on its
        # facilities, so a resident's exposure does not grow with the size of the city
        n_outlets = max(2, round(scale.n_patients / scale.patients_per_media_outlet))
        mp = params.media
        self.facility_area = media.areas(self.facilities.tier, n_outlets)
        patient_area = self.facility_area[self.patients.home_clinic]
        follows = self.streams.media.random(scale.n_patients) < mp.audience_share
        self.outlets = []
        for i in range(n_outlets):
            audience = np.flatnonzero(follows & (patient_area == i)).astype(np.int32)
            sens = float(np.clip(self.streams.media.normal(mp.sensationalism, 0.1), 0.0, 1.0))
            self.outlets.append(MediaOutlet(self, i, audience, sens))
        self.centres: list[MediationCentre] = []
        self._mediators_by_id: dict[int, Mediator] = {}

        # bookkeeping
        self.disputes = DisputeSystem(self)
        self.history: dict[int, list[dict]] = {}
        self.violence_log: list[dict] = []
        self.incidents: list[tuple] = []
        self.onset_log: list[tuple[np.ndarray, np.ndarray]] = []
        self.episode_log: list[dict] = []
        self.totals: dict[str, float] = defaultdict(float)
        self.today: dict[str, float] = dict.fromkeys(DAILY_COUNTS, 0.0)
        self._wait_sum = self._satisfaction_sum = 0.0
        self._policy_days = start_days(config.policies)
        self.levers = levers_on(self.day, params, config.policies)
        self._started_mediation = False
        self._start_mediation_if_due()
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        if self.day < 0:
            while self.day < 0:
                self.step()
            self._start_observation()

    def _start_observation(self) -> None:
        """End of the burn-in: what was counted so far is forgotten, the state is kept."""
        fa = self.facilities
        for counts in (fa.visits, fa.disputes, fa.disturbances, fa.assaults, fa.injuries):
            counts[:] = 0
        self.totals.clear()
        self._wait_sum = self._satisfaction_sum = 0.0
        self.violence_log.clear()
        self.onset_log.clear()
        self.episode_log.clear()
        self.history.clear()
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.steps = 0  # Mesa's step counter counts observed days, as ``day`` does

    # ----- the day ----------------------------------------------------------------------------
    def begin_day(self) -> None:
        """Policies starting today move their levers; the day's counters start from zero."""
        if self.day in self._policy_days:
            self.levers = levers_on(self.day, self.config.params, self.config.policies)
            self._start_mediation_if_due()
        self.today = dict.fromkeys(DAILY_COUNTS, 0.0)
        self.incidents = []

    def step(self) -> None:
        day, params = self.day, self.config.params
        self.begin_day()

        roster = care.Roster.build(self.doctors, self.facilities, day)
        who, severity = illness.onsets(self.patients.n, params.illness, self.streams.illness)
        if self.config.record_episodes:
            self.onset_log.append((who.copy(), severity.copy()))
        ep = care.Episodes(patient=who, severity=severity, draws=self.streams.care.random((who.size, len(care.DRAWS))))
        complaint_draw = self.streams.complaints.random(who.size)
        visits = care.treat(
            ep,
            self.patients,
            self.facilities,
            self.doctors,
            roster,
            self.levers,
            params.care,
            params.cost,
            params.satisfaction,
            self.hospital_weights,
        )
        self._record_episodes(ep, visits)
        workforce.daily(self, ep)

        # trust: own experience, then word of mouth, then averaging
        pa, tp = self.patients, params.trust
        at_clinic = ep.tier == PRIMARY
        trust.own_experience(pa.trust, who[~at_clinic], ep.satisfaction[~at_clinic], tp)
        trust.own_experience(pa.trust_primary, who[at_clinic], ep.satisfaction[at_clinic], tp)
        # a clinic doctor is a doctor too: part of a clinic visit's lesson carries over
        trust.own_experience(pa.trust, who[at_clinic], ep.satisfaction[at_clinic], tp, tp.clinic_spillover)
        trust.word_of_mouth(pa.trust, self.adjacency, who[~at_clinic], ep.satisfaction[~at_clinic], tp)
        trust.word_of_mouth(pa.trust_primary, self.adjacency, who[at_clinic], ep.satisfaction[at_clinic], tp)
        trust.degroot(pa.trust, self.contact_weights, tp.degroot_rate)
        trust.degroot(pa.trust_primary, self.contact_weights, tp.degroot_rate)

        # disputes: new complaints, then the day's events
        from sim.disputes import dispute_probability

        p_dispute = dispute_probability(ep.harm, ep.satisfaction, ep.trust_before, ep.burden, params.disputes)
        filing = np.flatnonzero(complaint_draw < p_dispute)
        for k in filing:
            i = int(who[k])
            if pa.open_dispute[i] == NO_DISPUTE:
                self.patient(i).file_dispute(float(ep.harm[k]), float(ep.severity[k]))
        self.disputes.advance(day)
        for centre in self.centres:
            centre.assign(day)

        violence.daily(self)
        media.daily(self)
        for key, value in self.today.items():
            self.totals[key] += value
        if day >= 0:
            self.datacollector.collect(self)
        self.day += 1

    def _record_episodes(self, ep: care.Episodes, visits: np.ndarray) -> None:
        pa, fa = self.patients, self.facilities
        who = ep.patient
        pa.severity[who] = ep.severity
        pa.ill_until[who] = self.day + 1 + np.ceil(ep.wait_days).astype(np.int32)
        pa.facility[who], pa.doctor[who] = ep.facility, ep.doctor
        pa.cost_yuan[who], pa.out_of_pocket_yuan[who] = ep.cost_yuan, ep.out_of_pocket_yuan
        pa.satisfaction[who] = ep.satisfaction
        pa.visits[who] += 1
        harmed = ep.harm > 0
        h = who[harmed]
        pa.harm[h] = np.maximum(pa.harm[h], ep.harm[harmed])
        pa.loss_burden[h] = np.maximum(pa.loss_burden[h], ep.burden[harmed])
        pa.harm_facility[h], pa.harm_doctor[h] = ep.facility[harmed], ep.doctor[harmed]
        fa.visits += visits
        t = self.today
        t["visits"] = float(visits.sum())
        t["visits_primary"] = float(visits[fa.tier == PRIMARY].sum())
        t["visits_hospital"] = t["visits"] - t["visits_primary"]
        t["cost_yuan"] = float(ep.cost_yuan.sum())
        t["out_of_pocket_yuan"] = float(ep.out_of_pocket_yuan.sum())
        t["failures"] = float((~ep.success).sum())
        t["referrals"] = float(ep.referred.sum())
        self._wait_today = float(ep.wait_days.mean()) if ep.n else 0.0
        self._wait_sum += float(ep.wait_days.sum())
        self._satisfaction_sum += float(ep.satisfaction.sum())
        self._satisfaction_today = float(ep.satisfaction.mean()) if ep.n else float("nan")
        if self.config.record_episodes:
            self.episode_log.append(
                {
                    "day": np.full(ep.n, self.day),
                    "patient": who,
                    "severity": ep.severity,
                    "tier": ep.tier,
                    "facility": ep.facility,
                    "doctor": ep.doctor,
                    "referred": ep.referred,
                    "success": ep.success,
                    "harm": ep.harm,
                    "cost_yuan": ep.cost_yuan,
                    "out_of_pocket_yuan": ep.out_of_pocket_yuan,
                    "wait_days": ep.wait_days,
                    "satisfaction": ep.satisfaction,
                    "trust_before": ep.trust_before,
                    "trust_primary_before": pa.trust_primary[who].copy(),
                }
            )

    def run(self, days: int | None = None) -> TrustModel:
        """Step ``days`` more days (default: up to the configured ``days``)."""
        for _ in range(self.config.days - self.day if days is None else days):
            self.step()
        return self

    # ----- lookups and events used by agents ----------------------------------------------------
    def patient(self, index: int) -> Patient:
        return self.patient_agents[index]

    def doctor(self, slot: int) -> Doctor:
        return self.doctor_agents[slot]

    def mediator(self, unique_id: int) -> Mediator:
        return self._mediators_by_id[unique_id]

    def victim(self, doctor_slot: int, facility: int) -> Doctor | None:
        """The doctor an assault injures: the treating doctor if at work, else anyone on duty there."""
        on_duty = self.doctors.on_duty(self.day)
        if doctor_slot >= 0 and on_duty[doctor_slot] and self.doctors.facility[doctor_slot] == facility:
            return self.doctor(doctor_slot)
        here = np.flatnonzero(on_duty & (self.doctors.facility == facility))
        if here.size == 0:
            return None
        return self.doctor(int(here[self.streams.violence.integers(here.size)]))

    def hire(self, slot: int) -> Doctor:
        new_doctor(self.doctors, slot, int(self.facilities.tier[self.doctors.facility[slot]]), self.streams.workforce)
        agent = Doctor(self, slot)
        self.doctor_agents[slot] = agent
        self.today["doctors_hired"] += 1
        return agent

    def mediation_uptake(self) -> float:
        """Chance a new dispute goes to mediation: the policy's uptake once centres exist."""
        return self.config.policies.mediation.uptake if self.levers.mediation_on and self.centres else 0.0

    def mediation_centre_for(self, facility: int) -> MediationCentre:
        return self.centres[facility % len(self.centres)]

    def _start_mediation_if_due(self) -> None:
        if self._started_mediation or not self.levers.mediation_on:
            return
        self._started_mediation = True
        p = self.config.policies.mediation
        n_patients = self.config.scale.n_patients
        n_centres = max(1, round(n_patients / 100_000))
        n_mediators = max(1, round(n_patients / 100_000 * p.mediators_per_100k)) if p.mediators_per_100k > 0 else 0
        self.centres = [MediationCentre(i) for i in range(n_centres)]
        for k in range(n_mediators):
            centre = self.centres[k % n_centres]
            mediator = Mediator(self, centre, p.capacity, p.impartiality, p.mean_duration_days, p.max_success)
            centre.mediators.append(mediator)
            self._mediators_by_id[mediator.unique_id] = mediator

    # ----- views --------------------------------------------------------------------------------
    @property
    def graph(self):
        """The social network as a networkx graph (built on first use)."""
        if self._graph is None:
            self._graph = to_networkx(self.adjacency)
        return self._graph

    @property
    def mediators(self) -> list[Mediator]:
        return [m for c in self.centres for m in c.mediators]

    @property
    def n_hospitals(self) -> int:
        return int((self.facilities.tier > PRIMARY).sum())

    def timeseries(self):
        """The DataCollector's daily frame, one row per day."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame.index.name = "step"
        return frame.reset_index(drop=True)


def _mean_on_duty(model: TrustModel, values: np.ndarray) -> float:
    on = model.doctors.on_duty(model.day)
    return float(values[on].mean()) if on.any() else float("nan")


REPORTERS = {
    "day": lambda m: m.day,
    **{key: (lambda k: lambda m: m.today[k])(key) for key in DAILY_COUNTS},
    "violent_incidents": lambda m: m.today["disturbances"] + m.today["assaults"],  # all facilities
    "mean_trust": lambda m: float(m.patients.trust.mean()),
    "mean_trust_primary": lambda m: float(m.patients.trust_primary.mean()),
    "system_legitimacy": lambda m: m.disputes.legitimacy,
    "open_disputes": lambda m: m.disputes.n_open,
    "mediation_queue": lambda m: sum(len(c.queue) for c in m.centres),
    "mediation_caseload": lambda m: sum(c.caseload for c in m.centres),
    "doctors_on_duty": lambda m: int(m.doctors.on_duty(m.day).sum()),
    "doctors_vacant": lambda m: int(m.doctors.vacant().sum()),
    "mean_burnout": lambda m: _mean_on_duty(m, m.doctors.burnout),
    "mean_defensive_fear": lambda m: float(m.facilities.defensive_fear[m.facilities.tier > PRIMARY].mean()),
    "mean_wait_days": lambda m: m._wait_today,
    "mean_satisfaction": lambda m: m._satisfaction_today,
    "out_of_pocket_share": lambda m: m.today["out_of_pocket_yuan"] / max(m.today["cost_yuan"], 1e-9),
}
