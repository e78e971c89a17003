"""The doctor-patient trust model: a Mesa model that owns a run's world and its agents.

One step is one day. The model holds no rule of the day: it sets the levers in force (the
policies, ``sim.policies``), runs the mechanisms of the declared schedule
(``sim.engine.schedule``) on the world (``sim.engine.world``), keeps its Mesa agents in step
with the state, and records the day (``sim.engine.metrics.REPORTERS``).

    model = TrustModel(config)   # the run's config, streams, policies and mechanisms
    model.setup()                # the world on its first day (-burn_in_days) and the agents
    model.burn_in()              # the pre-reform days, not observed; day 0 comes next
    model.run(days=30)           # observed days (does whatever of the above is not done yet)
"""

from __future__ import annotations

import weakref

import mesa

from sim.config.schema import SimConfig, validate
from sim.engine import mesa_compat, snapshot
from sim.engine.agents import Doctor, Hospital, MediaOutlet, Mediator, Patient
from sim.engine.metrics import REPORTERS
from sim.engine.network import to_networkx
from sim.engine.schedule import day_schedule
from sim.engine.state import PRIMARY
from sim.engine.streams import Streams
from sim.engine.world import World, build_world, check_finite
from sim.policies import PolicySet
from sim.policies.schedule import parse_date

mesa_compat.install()


class TrustModel(mesa.Model):
    """Patients, doctors, mediators and media outlets over a social network.

    Args:
        config: a validated :class:`~sim.config.schema.SimConfig` (``sim.config.compose``
            builds one from Hydra override strings). ``None`` composes the default
            configuration of ``configs/`` (the calibrated pre-reform baseline).

    After :meth:`setup`: ``model.world`` holds the state; ``model.agents_by_type[Patient]``
    (and ``Doctor``, ``Mediator``, ``MediaOutlet``) the agents; ``model.hospitals`` the
    facilities; ``model.graph`` the social network as networkx; ``model.datacollector`` the
    daily series (observed days only).

    The residents' agents are made on first use (``agents``, ``agents_by_type``, ``agent_types``,
    ``patient_agents``, ``patient(i)``), not at set-up: a run that never looks at them (every
    command-line run and sweep) does not pay Mesa's registration of each (3-7 us and ~500 B a
    resident: 7 s and 0.5 GB at a million). They are then the same as if made at set-up: one
    agent per resident, ids 1..n, first in ``agents_by_type`` and ``agents``.
    """

    #: the class of the residents' agents (the per-agent reference has its own)
    patient_class: type[Patient] = Patient

    def __init__(self, config: SimConfig | None = None):
        if config is None:
            from sim.config.compose import compose

            config = compose()
        validate(config)
        self.config = config
        self.streams = Streams(config.seed)
        # Mesa's own generators (model.rng, model.random: AgentSet.shuffle_do, the per-agent
        # reference) get a stream of their own; nothing in the engine draws from them
        super().__init__(rng=self.streams.generator("mesa"))
        self.start_date = parse_date(config.start_date, "start_date") if config.start_date else None
        self.policies = PolicySet(config.policies, config.params, self.start_date)
        self.mechanisms = day_schedule(config, self.streams, self.policies)
        self._change_days = self.policies.change_days()
        self.world: World | None = None
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self._patient_agents: list[Patient] | None = None  # made on first use: see patient_agents
        self.doctor_agents: list[Doctor] = []
        self.former_doctors: list[Doctor] = []
        self.outlets: list[MediaOutlet] = []
        self.mediators: list[Mediator] = []
        self.hospitals: list[Hospital] = []
        self._graph = None
        self._observing = False  # observed days have begun (counters were reset after the burn-in)
        #: read-only onlookers of each day (e.g. ``sim.engine.watch.Watch``): see :meth:`step`
        self.observers: list = []

    # ----- set-up and burn-in -------------------------------------------------------------------
    def setup(self) -> TrustModel:
        """Build the world on its first day (``-burn_in_days``) and the agents that view it."""
        if self.world is not None:
            raise RuntimeError("the model is already set up")
        self.world = build_world(self.config, self.streams, self.policies.levers_on(-self.config.burn_in_days))
        for mechanism in self.mechanisms.values():
            mechanism.setup(self.world)
        # the residents' agents come on first use; their ids (1..n) are kept for them
        mesa_compat.skip_agent_ids(self, self.world.patients.n)
        self.doctor_agents = [Doctor(self, i) for i in range(self.world.doctors.n)]
        self.hospitals = [Hospital(self, i) for i in range(self.world.facilities.n)]
        self.outlets = [MediaOutlet(self, i) for i in range(len(self.world.outlets))]
        # a policy in force from the first day (e.g. mediation centres) acts before any step
        for mechanism in self.mechanisms.values():
            mechanism.start_day(self.world)
        self.sync_agents()
        if self.world.day >= 0:
            self._observing = True
        return self

    def burn_in(self) -> TrustModel:
        """Run the pre-reform days before day 0, then forget what was counted (the state is kept).

        With ``config.burn_in_cache`` set, the state on day 0 is loaded if a run with the same
        config but other policies saved it, and saved otherwise (``sim.engine.snapshot``)."""
        if self.world is None:
            self.setup()
        cache = self.config.burn_in_cache and self.world.day < 0 and snapshot.reusable(self)
        path = snapshot.path_for(self.config.burn_in_cache, self.config) if cache else None
        state = snapshot.load(path) if path is not None and path.exists() else None
        if state is not None:
            snapshot.restore(self, state)
            self._rebuild_doctor_agents()
            self._start_observation()
            return self
        while self.world.day < 0:
            self.step()
        if not self._observing:
            self._start_observation()
        if path is not None:
            snapshot.save(self, path)
        return self

    def _rebuild_doctor_agents(self) -> None:
        """Doctors' agents for a loaded world (the doctors in post on day 0)."""
        for agent in self.doctor_agents:
            agent.remove()
        self.doctor_agents = [Doctor(self, i) for i in range(self.world.doctors.n)]

    def _start_observation(self) -> None:
        fa = self.world.facilities
        for counts in (fa.visits, fa.disputes, fa.disturbances, fa.assaults, fa.injuries):
            counts[:] = 0
        self.world.ledger.forget()
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.steps = 0  # Mesa's step counter counts observed days, as ``day`` does
        self._observing = True

    # ----- the day ----------------------------------------------------------------------------
    def step(self) -> None:
        """One day. Observers (``self.observers``) are told when the day starts, after each
        mechanism and when it is recorded; they read the world and must not change it."""
        world = self.world
        if self.policies.dynamic or world.day in self._change_days:
            world.levers = self.policies.levers_on(world.day)
        world.ledger.new_day()
        for mechanism in self.mechanisms.values():
            mechanism.start_day(world)
        for observer in self.observers:
            observer.start_day(world)
        for mechanism in self.mechanisms.values():
            mechanism.step(world)
            for observer in self.observers:
                observer.after(mechanism.name, world)
        check_finite(world)
        self.sync_agents()
        world.ledger.close_day()
        if world.day >= 0:
            self.datacollector.collect(self)
        for observer in self.observers:
            observer.end_day(world)
        world.day += 1

    def sync_agents(self) -> None:
        """Keep the agent views in step with the state: doctors who left and were hired since the
        last call, mediators of newly opened centres."""
        world = self.world
        for slot in world.ledger.left:
            agent = self.doctor_agents[slot]
            agent.left_day = world.day
            self.former_doctors.append(agent)
            agent.remove()
        for slot in world.ledger.hired:
            self.doctor_agents[slot] = Doctor(self, slot)
        world.ledger.left, world.ledger.hired = [], []
        for index in range(len(self.mediators), len(world.mediation.mediators)):
            self.mediators.append(Mediator(self, index))

    def run(self, days: int | None = None) -> TrustModel:
        """Step ``days`` more observed days (default: up to the configured ``days``); sets the
        model up and runs the burn-in first if that is not done yet."""
        if self.world is None or self.world.day < 0:
            self.burn_in()
        for _ in range(self.config.days - self.day if days is None else days):
            self.step()
        return self

    # ----- the residents' agents, made on first use ------------------------------------------------
    @property
    def patient_agents(self) -> list[Patient]:
        """One agent per resident, in index order (made now if this is the first use)."""
        self._make_patient_agents()
        return self._patient_agents or []

    def _make_patient_agents(self) -> None:
        """Make the residents' agents if the world is built and they are not made yet."""
        if self._patient_agents is not None or self.world is None:
            return
        with mesa_compat.agent_ids_from(self, 1):
            self._patient_agents = [self.patient_class(self, i) for i in range(self.world.patients.n)]
        # first in Mesa's registries, as when they were made before the other agents at set-up
        first = self._patient_agents
        self._agents = {**dict.fromkeys(first), **self._agents}
        self._agents_by_type = {
            self.patient_class: self._agents_by_type.pop(self.patient_class),
            **self._agents_by_type,
        }
        self._all_agents._agents = weakref.WeakKeyDictionary(dict.fromkeys([*first, *self._all_agents]))

    @property
    def agents(self) -> mesa.agent.AgentSet:
        self._make_patient_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict:
        self._make_patient_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._make_patient_agents()
        return super().agent_types

    def agents_of(self, kind: type) -> mesa.agent.AgentSet | list:
        """The agents of one class (empty if none), making the residents' agents only if asked for."""
        registry = self.agents_by_type if kind is self.patient_class else self._agents_by_type
        return registry.get(kind, [])

    # ----- views ------------------------------------------------------------------------------
    def _require_world(self) -> World:
        if self.world is None:
            raise RuntimeError("the model is not set up yet: call model.setup() (or model.run())")
        return self.world

    @property
    def day(self) -> int:
        return self._require_world().day

    @property
    def patients(self):
        return self._require_world().patients

    @property
    def doctors(self):
        return self._require_world().doctors

    @property
    def facilities(self):
        return self._require_world().facilities

    @property
    def levers(self):
        return self._require_world().levers

    @property
    def disputes(self):
        """The dispute system's records (``sim.engine.institutions.DisputeBook``)."""
        return self._require_world().disputes

    @property
    def ledger(self):
        return self._require_world().ledger

    @property
    def adjacency(self):
        return self._require_world().adjacency

    @property
    def centres(self):
        return self._require_world().mediation.centres

    def patient(self, index: int) -> Patient:
        return self.patient_agents[index]

    def doctor(self, slot: int) -> Doctor:
        return self.doctor_agents[slot]

    def mediator(self, index: int) -> Mediator:
        return self.mediators[index]

    @property
    def graph(self):
        """The social network as a networkx graph (built on first use)."""
        if self._graph is None:
            self._graph = to_networkx(self.adjacency)
        return self._graph

    @property
    def n_hospitals(self) -> int:
        return int((self.facilities.tier > PRIMARY).sum())

    @property
    def date(self):
        """Today's calendar date (``None`` for a run counted in days only)."""
        return self.policies.date(self.day)

    def timeseries(self):
        """The DataCollector's daily frame, one row per observed day; with a calendar
        (``start_date``), a ``date`` column after ``day``."""
        import pandas as pd

        frame = self.datacollector.get_model_vars_dataframe()
        frame.index.name = "step"
        frame = frame.reset_index(drop=True)
        if self.start_date is not None and len(frame):
            frame.insert(1, "date", pd.Timestamp(self.start_date) + pd.to_timedelta(frame["day"], unit="D"))
        return frame
