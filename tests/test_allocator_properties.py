"""The allocator's promises (SPEC §7) over random sequences of everything that moves a chat
or changes who may take one, on the real app and database (SQLite, or PostgreSQL with
TEST_DATABASE_URL).

A Hypothesis state machine drives the service functions every path calls (intake, resolve,
presence from the browser and the API, Workloads, transfers, a Supervisor's and the API's
assign, Get New Chat, agents disabled, deleted, moved or made Supervisors, divisions'
channels, the switches, messages and the idle rule with a moving clock). After every step
it reads the decision log and the chats from the database, replays each decision through
an independent model of the team (tests/allocation_model.py) that checks it at its own
moment, and compares the database with the model:
- no agent is given a chat at or over their Workload (only a Supervisor's confirmed choice,
  recorded as such), and no one holds more than their Workload unless it went down since
  or a Supervisor confirmed;
- each AUTO and idle-rule choice is the best candidate (least load relative to Workload,
  then given a chat longest ago, never first, then lowest id), with the candidates and
  their loads recorded as the model sees them;
- first come, first served: with Auto on, no waiting chat is left that an agent with room
  could take, and no chat is given (auto, Get New Chat) past an older waiting chat the same
  agent could take;
- every chat is in one state, queued exactly when it has no agent; resolved chats never
  come back; the queue keeps arrival order, requeued chats their first place; every intake
  is one chat.

Each example gets an account of its own: the allocator reads and locks one account's rows
only, so a new account is a clean team and queue without rebuilding the schema (which
would cost more than the example on PostgreSQL).

Examples are random on every run (no `derandomize`): a failure is a broken promise, never
noise (the checks read no timings), and each run explores sequences the last one did not;
Hypothesis prints the steps that fail, shrunk.
"""

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from tests.allocation_model import (
    ASSIGNED,
    QUEUED,
    RESOLVED,
    Agent,
    Broken,
    ChatModel,
    Decision,
    Model,
)
from tests.conftest import Factory
from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.chats.allocator import Actor, Refused
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import (
    Account,
    ActorKind,
    AgentWorkload,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Division,
    Presence,
    Role,
    Status,
    User,
    utcnow,
)
from webapp.presence import service as presence
from webapp.users import service as users

API = Actor(ActorKind.API, 1, "platform")
CHANNELS = ("whatsapp", "instagram", "telegram")
DIVISIONS = 3  # General, Sales, Support
MOST_AGENTS = 6
pick = st.integers(min_value=0, max_value=10**6)  # an index into whatever exists then
examples = itertools.count(1)

# Bounded so that the file takes under a minute on either database (about 1,100 steps,
# some 20 s on SQLite, 40 s on PostgreSQL); deadline off: a step's time says nothing about
# the allocator's promises. No example database: it would leave a .hypothesis folder in the
# work tree; a failure prints its shrunk steps and the seed that reproduces it.
MACHINE_SETTINGS = settings(max_examples=35, stateful_step_count=35, deadline=None,
                            database=None,
                            suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.filter_too_much])


def refusal(call) -> str | None:
    """Run `call`; the allocator's refusal code, or None when it went through."""
    try:
        call()
    except Refused as refused:
        return refused.code
    return None


class AllocationMachine(RuleBasedStateMachine):
    """One account, its team and its chats, driven through the service functions."""

    factory: Factory  # set by the test, which holds the app

    def __init__(self):
        super().__init__()
        self.name = f"p{next(examples)}"
        account = Account.create(f"Properties {self.name}")
        db.session.commit()
        self.account_id = account.id
        general = account.divisions[0]
        self.division_ids = [general.id] + [
            self.factory.division(account, f"{name} {self.name}").id
            for name in ("Sales", "Support")]
        self.admin = self.factory.user(account, Role.ADMIN, username=f"{self.name}boss")
        self.boss = Actor.of_user(self.admin)
        self.model = Model(divisions={division: [] for division in self.division_ids})
        self.now = utcnow()
        self.hired = 0
        self.intakes = 0
        self.last_decision = 0

    # -- helpers -----------------------------------------------------------------------------

    def moment(self):
        """The clock: it only moves forward, and never behind the real time, which the
        service functions that take no `now` use."""
        self.now = max(self.now, utcnow())
        return self.now

    def user(self, agent_id: int) -> User:
        return db.session.get(User, agent_id, populate_existing=True)

    def division(self, division_id: int) -> Division:
        return db.session.get(Division, division_id, populate_existing=True)

    def people(self) -> list[Agent]:
        """The account's Agents and Supervisors, by id."""
        return sorted(self.model.agents.values(), key=lambda agent: agent.id)

    def one_of(self, items: list, index: int):
        return items[index % len(items)]

    def open_chats(self) -> list[ChatModel]:
        return [chat for chat in sorted(self.model.chats.values(), key=lambda c: c.id)
                if chat.status != RESOLVED]

    def read_decisions(self) -> list[Decision]:
        """The decisions written since the last step, oldest first."""
        rows = db.session.scalars(
            select(ChatDecision).where(ChatDecision.account_id == self.account_id,
                                       ChatDecision.id > self.last_decision)
            .order_by(ChatDecision.id)).all()
        return [Decision(row.id, row.chat_id, str(row.reason), row.from_agent_id,
                         row.to_agent_id, row.over_capacity, list(row.candidates),
                         row.created_at) for row in rows]

    def apply(self, decision: Decision) -> None:
        self.model.apply(decision)
        self.last_decision = decision.id

    def held_chats(self, which: int) -> list[ChatModel]:
        """Mostly the chats agents hold (what transfers and messages are about), now and
        then any chat, resolved ones included."""
        held = [chat for chat in self.open_chats() if chat.status == ASSIGNED]
        if held and which % 8:
            return held
        return sorted(self.model.chats.values(), key=lambda c: c.id)

    def replay(self, expected_reasons: set[str]) -> list[Decision]:
        """Replay the decisions written since the last step through the model, which checks
        each one; only `expected_reasons` may appear."""
        decisions = self.read_decisions()
        for decision in decisions:
            if decision.reason not in expected_reasons:
                raise Broken(f"unexpected {decision.reason} decision {decision}")
            self.apply(decision)
        return decisions

    def lower_capacity(self, change) -> None:
        """Apply a change to Workloads in the model; whoever it leaves over their Workload
        is excused until they are back within it."""
        before = {agent.id: self.model.capacity(agent) for agent in self.model.agents.values()}
        change()
        for agent in self.model.agents.values():
            if self.model.capacity(agent) < before[agent.id]:
                agent.excused = True

    # -- the team ----------------------------------------------------------------------------

    @initialize(divisions=st.lists(st.integers(0, DIVISIONS - 1), min_size=2, max_size=4),
                workload=st.integers(1, 3),
                mode=st.sampled_from(["auto", "auto", "takeover", "custom"]),
                idle=st.booleans())
    def start(self, divisions, workload, mode, idle):
        self.idle_settings(idle, 1, 2)
        self.set_default_workload(workload)
        # The account's way of allocating: Auto (the default), agents taking chats
        # themselves, or the customer's system choosing (Custom); transfers allowed.
        self.switches(auto=mode == "auto", custom=mode == "custom",
                      takeover=mode != "custom", transfer=True)
        for division in divisions:
            self.hire(division, None)
        for number in range(len(self.people())):  # the day starts with the team Online
            self.set_presence(number, Presence.ONLINE, by_api=True)

    @precondition(lambda self: len(self.model.agents) < MOST_AGENTS)
    @rule(division=st.integers(0, DIVISIONS - 1), workload=st.none() | st.integers(1, 4))
    def hire(self, division, workload):
        self.hired += 1
        account = db.session.get(Account, self.account_id)
        user = self.factory.user(account, Role.AGENT, username=f"{self.name}a{self.hired}",
                                 division=self.division(self.division_ids[division]))
        self.model.agents[user.id] = Agent(user.id, user.username, user.division_id)
        if workload is not None:
            agents.set_agent_workload(user, workload, self.admin)
            self.model.agents[user.id].own_workload = workload
        self.replay(set())

    @precondition(lambda self: self.model.agents)
    @rule(who=pick, choice=st.sampled_from([Presence.ONLINE, Presence.ONLINE, Presence.AWAY,
                                            Presence.OFFLINE]), by_api=st.booleans())
    def set_presence(self, who, choice, by_api):
        person = self.one_of(self.people(), who)
        now = self.moment()
        setter = presence.set_presence_by_api if by_api else presence.set_presence
        setter(self.user(person.id), choice, now=now)
        person.presence, person.by_api, person.seen_at = choice.value, by_api, now
        self.replay({"auto"})

    @precondition(lambda self: self.model.agents)
    @rule(who=pick, workload=st.none() | st.integers(1, 4))
    def set_own_workload(self, who, workload):
        person = self.one_of(self.people(), who)
        self.moment()
        agents.set_agent_workload(self.user(person.id), workload, self.admin)
        self.lower_capacity(lambda: setattr(person, "own_workload", workload))
        self.replay({"auto"})

    @rule(workload=st.integers(1, 4))
    def set_default_workload(self, workload):
        self.moment()
        model = self.model
        agents.save_workload_settings(self.account_id, {
            "default_workload": workload, "idle_rule_on": model.idle_on,
            "idle_minutes": model.idle_minutes, "idle_tries": model.idle_tries}, self.admin)
        self.lower_capacity(lambda: setattr(model, "default_workload", workload))
        self.replay({"auto"})

    @precondition(lambda self: any(a.role == "Agent" and a.active
                                   for a in self.model.agents.values()))
    @rule(who=pick, how=st.sampled_from(["disable", "delete", "move", "supervisor"]),
          where=st.integers(1, DIVISIONS - 1))
    def agent_leaves(self, who, how, where):
        person = self.one_of([a for a in self.people() if a.role == "Agent" and a.active], who)
        user = self.user(person.id)
        self.moment()
        if how == "delete":
            users.delete_user(user, self.admin)
        else:
            fields = {"disable": {"status": Status.DISABLED},
                      "supervisor": {"role": Role.SUPERVISOR},
                      "move": {"division_id": self.other_division(person, where)}}[how]
            users.update_user(user, fields, self.admin, user.version)
        # The change is made first, then its chats go back to the queue and it drains.
        if how in ("disable", "delete"):
            person.active = False  # a deleted agent is gone once the decisions are read
            # Disabled, they start Offline when enabled again (never Online at once).
            person.presence, person.by_api = "offline", False
        elif how == "supervisor":
            person.role = "Supervisor"
        elif how == "move":
            person.division_id = fields["division_id"]
        held_before = [chat.id for chat in self.open_chats()
                       if chat.status == ASSIGNED and chat.agent_id == person.id]
        decisions = self.replay({"agent_left", "auto"})
        if how == "move":
            # Moved: they give back exactly the chats their new division does not take.
            gone = {chat_id for chat_id in held_before
                    if not self.model.in_scope(person, self.model.chats[chat_id])}
            assert {d.chat_id for d in decisions if d.reason == "agent_left"} == gone
        if how == "delete":
            del self.model.agents[person.id]
        left = [d.chat_id for d in decisions if d.reason == "agent_left"]
        assert all(d.from_agent_id == person.id for d in decisions
                   if d.reason == "agent_left")
        assert self.model.load(person.id) == 0 or how == "move", (how, left)

    def other_division(self, person: Agent, where: int) -> int:
        index = self.division_ids.index(person.division_id)
        return self.division_ids[(index + where) % DIVISIONS]

    @precondition(lambda self: any(not (a.role == "Agent" and a.active)
                                   for a in self.model.agents.values()))
    @rule(who=pick)
    def agent_returns(self, who):
        """A disabled agent enabled again, or a Supervisor made an Agent again."""
        person = self.one_of([a for a in self.people()
                              if not (a.role == "Agent" and a.active)], who)
        user = self.user(person.id)
        self.moment()
        users.update_user(user, {"status": Status.ACTIVE, "role": Role.AGENT}, self.admin,
                          user.version)
        person.active, person.role = True, "Agent"
        self.replay({"auto"})

    @rule(division=st.integers(0, DIVISIONS - 1),
          channels=st.sets(st.sampled_from(CHANNELS + ("line",))))
    def division_channels(self, division, channels):
        division_id = self.division_ids[division]
        self.moment()
        row = self.division(division_id)
        agents.update_division(row, row.name, sorted(channels), self.admin)
        self.model.divisions[division_id] = sorted(channels)
        self.replay({"auto"})

    @rule(auto=st.booleans(), custom=st.booleans(), takeover=st.booleans(),
          transfer=st.booleans())
    def switches(self, auto, custom, takeover, transfer):
        self.moment()
        values = {"auto_allocation": auto, "custom_allocation": custom,
                  "agent_can_take_over": takeover, "agent_can_transfer": transfer}
        try:
            agents.save_allocation(self.account_id, values, self.admin)
        except agents.RuleBroken:
            assert auto and custom
            db.session.expire_all()
            return
        assert not (auto and custom)
        model = self.model
        model.auto, model.custom, model.takeover, model.transfer = (
            auto, custom, takeover, transfer)
        self.replay({"auto"})

    # -- chats -------------------------------------------------------------------------------

    @rule(events=st.lists(st.tuples(
        st.sampled_from(["new", "new", "resolve", "take", "write", "answer", "again"]),
        st.sampled_from(CHANNELS), st.none() | st.integers(0, DIVISIONS - 1), pick),
        min_size=1, max_size=6))
    def chats_come_and_go(self, events):
        """The day's traffic: chats arrive (now and then one the platform sent before: the
        same chat, nothing decided), agents take chats (Get New Chat), customers write,
        agents answer, conversations end."""
        for kind, channel, division, which in events:
            if kind == "new" or not self.model.chats:
                self.intake(channel, division)
            elif kind == "again":
                self.intake_again(which)
            elif kind == "resolve":
                self.resolve(which)
            elif kind == "take":
                self.take_next_chat(which)
            else:
                self.message(which, allocator.CUSTOMER if kind == "write" else allocator.AGENT)

    def intake(self, channel: str, division: int | None) -> None:
        now = self.moment()
        self.intakes += 1
        external_id = f"{channel}-{self.intakes}"
        division_id = None if division is None else self.division_ids[division]
        chat, created = allocator.receive_chat(
            self.account_id, channel=channel, external_id=external_id, customer_name="Ani",
            division_id=division_id, actor=API, now=now)
        assert created
        assert chat.id not in self.model.chats
        self.model.chats[chat.id] = ChatModel(chat.id, channel, external_id, division_id, now)
        decisions = self.replay({"auto", "arrived"})
        assert [d.chat_id for d in decisions if d.reason == "arrived"] in ([], [chat.id])

    def intake_again(self, which: int) -> None:
        known = self.one_of(sorted(self.model.chats.values(), key=lambda c: c.id), which)
        chat, created = allocator.receive_chat(
            self.account_id, channel=known.channel, external_id=known.external_id,
            customer_name="Ani", division_id=None, actor=API, now=self.moment())
        assert (chat.id, created) == (known.id, False)
        self.replay(set())

    def resolve(self, which: int) -> None:
        """Mostly an open chat; now and then one resolved already (nothing changes)."""
        chats = self.open_chats() if which % 8 else list(self.model.chats.values())
        chat = self.one_of(chats or list(self.model.chats.values()), which)
        already = chat.status == RESOLVED
        allocator.resolve_chat(self.account_id, chat.id, API, now=self.moment())
        decisions = self.replay({"resolved", "auto"})
        assert [d.reason for d in decisions if d.chat_id == chat.id] == (
            [] if already else ["resolved"])

    def message(self, which: int, sender: str) -> None:
        chat = self.one_of(self.held_chats(which), which)
        now = self.moment()
        code = refusal(lambda: allocator.note_message(self.account_id, chat.id, sender, API,
                                                      now=now))
        if chat.status == RESOLVED:
            assert code == "chat_resolved"
        else:
            assert code is None
            if sender == allocator.CUSTOMER and chat.waiting_since is None:
                chat.waiting_since = now
            elif sender == allocator.AGENT:
                chat.waiting_since, chat.flagged = None, False
        self.replay(set())

    def expected_assign(self, chat: ChatModel, target: Agent | None, reason: str,
                        actor_id: int | None, confirm: bool, now) -> str:
        """What assign_chat must do, by the rules: a refusal's code, "noop", "requeue" or
        "give"."""
        model = self.model
        if chat.status == RESOLVED:
            return "chat_resolved"
        if reason == "transfer":
            if not model.transfer:
                return "transfer_off"
            if chat.agent_id is None or chat.agent_id != actor_id:
                return "not_your_chat"
        if target is None:
            return "noop" if chat.status == QUEUED else "requeue"
        if target.role != "Agent" or not target.active:
            return "not_an_agent"
        if chat.agent_id == target.id:
            return "noop"
        if not model.online(target, now):
            return "agent_not_online"
        if not model.in_scope(target, chat):
            return "agent_other_division"
        if not model.has_room(target) and not (confirm and reason == "supervisor"):
            return "agent_full"
        return "give"

    @precondition(lambda self: self.model.chats)
    @rule(which=pick, to=pick | st.none(),
          who=st.sampled_from(["holder", "stranger", "supervisor", "supervisor confirming",
                               "api"]))
    def assign(self, which, to, who):
        """A transfer by an agent, a Supervisor's assign (confirming over capacity or not), or
        the API's (Custom agent allocation); to a named agent or back to the queue."""
        chat = self.one_of(self.held_chats(which) if who == "holder" else
                           sorted(self.model.chats.values(), key=lambda c: c.id), which)
        target = None if to is None or not self.model.agents else self.one_of(self.people(), to)
        reason = {"holder": "transfer", "stranger": "transfer", "api": "custom"}.get(
            who, "supervisor")
        actor, actor_id = {"supervisor": (self.boss, self.admin.id),
                           "supervisor confirming": (self.boss, self.admin.id),
                           "api": (API, None)}.get(who, (None, None))
        if reason == "transfer":
            if who == "holder" and chat.agent_id is not None:
                actor_id = chat.agent_id
            else:
                actor_id = target.id if target else self.admin.id
            actor = Actor(ActorKind.USER, actor_id, "someone")
        now = self.moment()
        confirm = who == "supervisor confirming"
        expected = self.expected_assign(chat, target, reason, actor_id, confirm, now)
        code = refusal(lambda: allocator.assign_chat(
            self.account_id, chat.id, self.user(target.id) if target else None, actor,
            DecisionReason(reason), over_capacity=confirm, now=now))
        assert (code or "went through") == (
            expected if expected not in ("noop", "requeue", "give") else "went through"), (
            expected, code)
        decisions = self.replay({reason, "auto"})
        mine = [d for d in decisions if d.chat_id == chat.id and d.reason == reason]
        if expected in ("requeue", "give"):
            assert len(mine) == 1
            assert mine[0].to_agent_id == (target.id if expected == "give" else None)
        else:
            assert mine == []

    def take_next_chat(self, who: int) -> None:
        """Get New Chat, by an Agent or Supervisor (refused unless an Online Agent with
        room, in an account that allows it)."""
        if not self.model.agents:
            return
        person = self.one_of(self.people(), who)
        now = self.moment()
        model = self.model
        if not model.takeover:
            expected = "takeover_off"
        elif not model.online(person, now):
            expected = "not_online"
        elif not model.has_room(person):
            expected = "full"
        else:
            expected = model.oldest_takeable(person, now)
        taken = []
        code = refusal(lambda: taken.append(allocator.take_next_chat(
            self.user(person.id), now=now)))
        if isinstance(expected, str) or code:
            assert code == expected
        else:
            assert (taken[0].id if taken[0] else None) == (expected.id if expected else None)
        decisions = self.replay({"takeover"})
        assert [d.chat_id for d in decisions] == ([expected.id] if taken and taken[0] else [])

    # -- the clock and the idle rule ---------------------------------------------------------

    @rule(on=st.booleans(), minutes=st.integers(1, 3), tries=st.integers(1, 3))
    def idle_settings(self, on, minutes, tries):
        self.moment()
        model = self.model
        agents.save_workload_settings(self.account_id, {
            "default_workload": model.default_workload, "idle_rule_on": on,
            "idle_minutes": minutes, "idle_tries": tries}, self.admin)
        model.idle_on, model.idle_minutes, model.idle_tries = on, minutes, tries
        self.replay({"auto"})

    @rule(minutes=st.integers(0, 4), seconds=st.integers(0, 59))
    def time_passes(self, minutes, seconds):
        """The clock moves (browser presence may lapse), and the idle rule runs, as the
        worker will run it."""
        self.now = self.moment() + timedelta(minutes=minutes, seconds=seconds)
        model, now = self.model, self.now
        due = model.idle_due(now) if model.idle_on else []
        acted = allocator.apply_idle_rule(self.account_id, now=now)
        decisions = self.read_decisions()
        idle = [d for d in decisions if d.reason in ("idle_rule", "idle_flagged")]
        assert acted == len(idle)
        last_idle = max((n for n, d in enumerate(decisions) if d in idle), default=-1)
        # The pass, chat by chat, oldest first: flagged when its tries are used, else handed
        # to the best other agent at that moment (model.apply checks who), else left when no
        # one else can take it then.
        pending = list(due)

        def passed_over(until: int | None) -> None:
            while pending and pending[0].id != until:
                chat = pending.pop(0)
                assert chat.handovers < model.idle_tries, f"chat {chat.id} not flagged"
                assert not model.candidates(chat, now, skip_tried=True), \
                    f"chat {chat.id} not handed on"

        if last_idle < 0:
            passed_over(None)
        for number, decision in enumerate(decisions):
            assert decision.reason in ("idle_rule", "idle_flagged", "auto"), decision
            if decision in idle:
                passed_over(decision.chat_id)
                assert pending, f"the idle rule acted on chat {decision.chat_id}, not due"
                chat = pending.pop(0)
                assert decision.reason == ("idle_flagged" if chat.handovers >= model.idle_tries
                                           else "idle_rule"), decision
            self.apply(decision)
            if number == last_idle:
                passed_over(None)

    # -- what must hold after every step -----------------------------------------------------

    @invariant()
    def the_database_agrees_with_the_rules(self):
        now = self.moment()
        model = self.model
        db.session.expire_all()
        chats = db.session.scalars(select(Chat).where(Chat.account_id == self.account_id)
                                   .order_by(Chat.id)).all()
        # Nothing lost, nothing made twice.
        assert [chat.id for chat in chats] == sorted(model.chats)
        assert len({(chat.channel, chat.external_id) for chat in chats}) == len(chats)
        for chat in chats:
            expected = model.chats[chat.id]
            # Exactly one state; queued exactly when no agent holds it.
            assert chat.status in (ChatStatus.QUEUED, ChatStatus.ASSIGNED, ChatStatus.RESOLVED)
            assert chat.status == expected.status, (chat.id, chat.status, expected.status)
            if chat.status == ChatStatus.QUEUED:
                assert chat.agent_id is None
            if chat.status == ChatStatus.ASSIGNED:
                assert chat.agent_id == expected.agent_id is not None
            # Arrival stays: a requeued chat is back at its original place.
            assert chat.queued_at == expected.arrived_at
            assert (list(chat.tried_agent_ids), chat.idle_handovers, chat.idle_flagged,
                    chat.customer_waiting_since) == (
                expected.tried, expected.handovers, expected.flagged, expected.waiting_since)
        waiting = [chat for chat in chats if chat.status == ChatStatus.QUEUED]
        assert [c.queued_at for c in waiting] == sorted(c.queued_at for c in waiting)
        # Loads, and never over a Workload unless it went down or a Supervisor confirmed.
        loads = {}
        for chat in chats:
            if chat.status == ChatStatus.ASSIGNED:
                loads[chat.agent_id] = loads.get(chat.agent_id, 0) + 1
        given = dict(db.session.execute(select(User.id, User.last_chat_at).where(
            User.account_id == self.account_id, User.role != Role.ADMIN)).all())
        assert sorted(given) == sorted(model.agents)
        for agent in model.agents.values():
            load, capacity = loads.get(agent.id, 0), model.capacity(agent)
            assert load == model.load(agent.id)
            if load <= capacity:
                agent.excused = False
            assert agent.excused or load <= capacity, (agent.username, load, capacity)
            if agent.role != "Agent" or not agent.active:
                assert load == 0, (agent.username, "left and still holds chats")
            assert given[agent.id] == agent.last_given
        own = dict(db.session.execute(select(AgentWorkload.user_id, AgentWorkload.max_chats)
                                      .where(AgentWorkload.user_id.in_(model.agents))).all())
        assert own == {a.id: a.own_workload for a in model.agents.values()
                       if a.own_workload is not None}
        # First come, first served: with Auto on, the queue has drained.
        if model.auto:
            assert model.unserved(now) == [], "a waiting chat an agent with room could take"


def test_random_sequences_keep_the_allocators_promises(app):
    AllocationMachine.factory = Factory(app)
    run_state_machine_as_test(AllocationMachine, settings=MACHINE_SETTINGS)


# -- fairness: equal Workloads, online throughout --------------------------------------------------

@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(team=st.integers(2, 5), workload=st.integers(1, 4),
       traffic=st.lists(st.sampled_from(["intake", "intake", "intake", "resolve a round"]),
                        min_size=1, max_size=30))
def test_equal_workloads_online_throughout_differ_by_at_most_one_chat(app, team, workload,
                                                                      traffic):
    factory = Factory(app)
    name = f"f{next(examples)}"
    account = factory.account(f"Fairness {name}")
    admin = factory.user(account, Role.ADMIN, username=f"{name}boss")
    agents.save_workload_settings(account.id, {"default_workload": workload,
                                               "idle_rule_on": False, "idle_minutes": 15,
                                               "idle_tries": 3}, admin)
    members = [factory.user(account, Role.AGENT, username=f"{name}a{n}") for n in range(team)]
    for member in members:
        presence.set_presence_by_api(member, Presence.ONLINE)
    intakes = 0
    for step in traffic:
        if step == "intake":
            intakes += 1
            allocator.receive_chat(account.id, channel="whatsapp", external_id=str(intakes),
                                   customer_name="Ani", division_id=None, actor=API)
        else:
            # Resolves spread evenly: one chat of every agent (all or none hold one).
            for member in members:
                held = db.session.scalar(select(Chat.id).where(
                    Chat.agent_id == member.id, Chat.status == ChatStatus.ASSIGNED)
                    .order_by(Chat.id).limit(1))
                if held is not None:
                    allocator.resolve_chat(account.id, held, API)
        db.session.expire_all()
        loads = [db.session.query(Chat).filter_by(agent_id=member.id,
                                                  status=ChatStatus.ASSIGNED).count()
                 for member in members]
        assert max(loads) - min(loads) <= 1, (traffic, loads)
        assert max(loads) <= workload


# -- what the property test found, kept as its smallest example ---------------------------------

def test_an_idle_handover_drains_the_queue(account, factory, admin):
    """The idle rule hands `a`'s chat to `b`: `a` has room again, and the waiting chat only
    `a`'s division takes goes to `a` at once (the queue drains the moment capacity appears)."""
    agents.save_workload_settings(account.id, {"default_workload": 5, "idle_rule_on": True,
                                               "idle_minutes": 1, "idle_tries": 3}, admin)
    sales = factory.division(account, "Sales")
    general = account.divisions[0]
    a = factory.user(account, Role.AGENT, username="a", division=general)
    b = factory.user(account, Role.AGENT, username="b", division=sales)
    with write_transaction():
        db.session.add(AgentWorkload(user_id=a.id, max_chats=1))
    start = utcnow()
    presence.set_presence_by_api(a, Presence.ONLINE, now=start)
    presence.set_presence_by_api(b, Presence.ONLINE, now=start)
    anywhere, _ = allocator.receive_chat(account.id, channel="whatsapp", external_id="x",
                                         customer_name="", division_id=None, actor=API,
                                         now=start)
    general_only, _ = allocator.receive_chat(account.id, channel="whatsapp", external_id="y",
                                             customer_name="", division_id=general.id,
                                             actor=API, now=start)
    assert anywhere.agent_id == a.id and general_only.status == ChatStatus.QUEUED
    allocator.note_message(account.id, anywhere.id, allocator.CUSTOMER, API, now=start)
    assert allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=1)) == 1
    assert db.session.get(Chat, anywhere.id, populate_existing=True).agent_id == b.id
    assert db.session.get(Chat, general_only.id, populate_existing=True).agent_id == a.id
