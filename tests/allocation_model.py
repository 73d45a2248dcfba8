"""An independent model of one account's team and chats, for the allocator's property tests.

It knows SPEC §7's rules as plain Python over plain data, written from the spec and not from
webapp.chats.allocator: who is eligible, who is best, what the queue is. The property test
replays every ChatDecision the allocator wrote, oldest first, through `Model.apply`, which
checks the decision against the model's team at the decision's own moment (its
`created_at`) and then moves the chat in the model; the test then compares the database
with the model. Nothing here imports the allocator.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

# Browser presence counts as Offline this long after the page last said it was there (SPEC
# §6); presence set through the API lasts until the API changes it.
LAPSE = timedelta(minutes=2)
# A decision records this many candidates at most, best first.
RECORDED = 20

QUEUED, ASSIGNED, RESOLVED = "queued", "assigned", "resolved"
# Decisions that give a chat to an agent.
GIVING = {"auto", "takeover", "transfer", "supervisor", "idle_rule", "custom"}
# Decisions in which the allocator itself chose the chat for the agent: first come, first
# served applies to these (a person or the API naming a chat chooses that chat).
ALLOCATOR_CHOICES = {"auto", "takeover"}


class Broken(AssertionError):
    """A promise the allocator broke, said in words."""


@dataclass
class Agent:
    id: int
    username: str
    division_id: int
    role: str = "Agent"  # or "Supervisor"
    active: bool = True
    presence: str = "offline"
    by_api: bool = False
    seen_at: datetime | None = None
    own_workload: int | None = None
    last_given: datetime | None = None
    # Over their Workload for a reason the rules allow (their Workload went down, or a
    # Supervisor confirmed giving past it): excused until they are back within it.
    excused: bool = False


@dataclass
class ChatModel:
    id: int
    channel: str
    external_id: str
    division_id: int | None
    arrived_at: datetime
    status: str = QUEUED
    agent_id: int | None = None
    tried: list[int] = field(default_factory=list)
    waiting_since: datetime | None = None
    handovers: int = 0
    flagged: bool = False


@dataclass(frozen=True)
class Decision:
    """A ChatDecision row as plain data."""

    id: int
    chat_id: int
    reason: str
    from_agent_id: int | None
    to_agent_id: int | None
    over_capacity: bool
    candidates: list
    created_at: datetime


@dataclass
class Model:
    default_workload: int = 5
    auto: bool = True
    custom: bool = False
    takeover: bool = False
    transfer: bool = False
    idle_on: bool = False
    idle_minutes: int = 15
    idle_tries: int = 3
    divisions: dict[int, list[str]] = field(default_factory=dict)
    agents: dict[int, Agent] = field(default_factory=dict)
    chats: dict[int, ChatModel] = field(default_factory=dict)
    decisions_seen: int = 0

    # -- the team ------------------------------------------------------------------------

    def capacity(self, agent: Agent) -> int:
        return agent.own_workload if agent.own_workload is not None else self.default_workload

    def load(self, agent_id: int) -> int:
        return sum(1 for chat in self.chats.values()
                   if chat.status == ASSIGNED and chat.agent_id == agent_id)

    def has_room(self, agent: Agent) -> bool:
        return self.load(agent.id) < self.capacity(agent)

    def online(self, agent: Agent, at: datetime) -> bool:
        """Online as everyone reads it at `at`: an active Agent whose Online still holds."""
        if agent.role != "Agent" or not agent.active or agent.presence != "online":
            return False
        return agent.by_api or (agent.seen_at is not None and agent.seen_at >= at - LAPSE)

    def scope(self, chat: ChatModel) -> set[int] | None:
        """The divisions whose agents may take the chat; None: any division."""
        if chat.division_id is not None:
            return {chat.division_id}
        serving = {division for division, channels in self.divisions.items()
                   if chat.channel in channels}
        return serving or None

    def in_scope(self, agent: Agent, chat: ChatModel) -> bool:
        scope = self.scope(chat)
        return scope is None or agent.division_id in scope

    def eligible(self, agent: Agent, chat: ChatModel, at: datetime,
                 skip_tried: bool = False) -> bool:
        """SPEC §7: an active Agent, Online, with room, in the chat's division; the idle rule
        (`skip_tried`) also passes over the agents already tried for the chat."""
        return (self.online(agent, at) and self.has_room(agent) and self.in_scope(agent, chat)
                and agent.id != chat.agent_id
                and not (skip_tried and agent.id in chat.tried))

    def rank(self, agent: Agent, chat: ChatModel) -> tuple:
        """Best first: not tried for the chat before tried, then least load relative to
        Workload, then given a chat longest ago (never counts as longest), then the lowest
        id."""
        return (agent.id in chat.tried,
                Fraction(self.load(agent.id), max(self.capacity(agent), 1)),
                agent.last_given is not None, agent.last_given or datetime.min, agent.id)

    def candidates(self, chat: ChatModel, at: datetime,
                   skip_tried: bool = False) -> list[Agent]:
        return sorted((agent for agent in self.agents.values()
                       if self.eligible(agent, chat, at, skip_tried)),
                      key=lambda agent: self.rank(agent, chat))

    def as_recorded(self, agents: list[Agent]) -> list[tuple]:
        return [(agent.id, self.load(agent.id), self.capacity(agent))
                for agent in agents[:RECORDED]]

    def queue(self) -> list[ChatModel]:
        return sorted((chat for chat in self.chats.values() if chat.status == QUEUED),
                      key=lambda chat: chat.id)

    def oldest_takeable(self, agent: Agent, at: datetime) -> ChatModel | None:
        """Get New Chat's pick: the oldest waiting chat the agent is eligible for."""
        return next((chat for chat in self.queue() if self.eligible(agent, chat, at)), None)

    def unserved(self, at: datetime) -> list[tuple[int, int]]:
        """(chat, agent) pairs where a waiting chat is eligible for an agent with room: with
        Auto on, there must be none after any change (the queue drained)."""
        return [(chat.id, agent.id) for chat in self.queue() for agent in self.agents.values()
                if self.eligible(agent, chat, at)]

    def idle_due(self, at: datetime) -> list[ChatModel]:
        """The chats the idle rule acts on at `at`, oldest first."""
        cutoff = at - timedelta(minutes=self.idle_minutes)
        return [chat for chat in sorted(self.chats.values(), key=lambda chat: chat.id)
                if chat.status == ASSIGNED and not chat.flagged
                and chat.waiting_since is not None and chat.waiting_since <= cutoff]

    # -- replaying decisions -------------------------------------------------------------

    def apply(self, decision: Decision) -> None:
        """Check one decision against the model at its moment, then make it in the model."""
        chat = self.chats.get(decision.chat_id)
        where = f"decision {decision.id} ({decision.reason}) of chat {decision.chat_id}"
        if chat is None:
            raise Broken(f"{where}: a chat no intake made")
        if chat.status == RESOLVED:
            raise Broken(f"{where}: the chat was resolved and came back")
        at = decision.created_at
        reason = decision.reason
        if reason in GIVING and decision.to_agent_id is not None:
            self._check_give(chat, decision, where)
        elif reason == "arrived":
            if chat.status != QUEUED or decision.to_agent_id is not None:
                raise Broken(f"{where}: arrived, but not waiting")
            possible = self.candidates(chat, at)
            if self.auto and possible:
                raise Broken(f"{where}: left waiting with Auto on, though "
                             f"{[agent.username for agent in possible]} could take it")
            recorded = [(c["id"], c["load"], c["capacity"]) for c in decision.candidates]
            if recorded != self.as_recorded(possible):
                raise Broken(f"{where}: candidates {recorded}, expected "
                             f"{self.as_recorded(possible)}")
            return
        elif reason in ("transfer", "supervisor", "custom", "agent_left") \
                and decision.to_agent_id is None:
            if chat.status != ASSIGNED or decision.from_agent_id != chat.agent_id:
                raise Broken(f"{where}: back to the queue from {decision.from_agent_id}, "
                             f"but the model has it {chat.status} with {chat.agent_id}")
            if reason != "agent_left" and chat.agent_id not in chat.tried:
                chat.tried.append(chat.agent_id)
            chat.status, chat.agent_id = QUEUED, None
            return
        elif reason == "idle_flagged":
            if chat.status != ASSIGNED or chat.handovers < self.idle_tries:
                raise Broken(f"{where}: flagged with {chat.handovers} of {self.idle_tries} "
                             "tries used")
            chat.flagged = True
            return
        elif reason == "resolved":
            if decision.from_agent_id != chat.agent_id:
                raise Broken(f"{where}: resolved from {decision.from_agent_id}, model says "
                             f"{chat.agent_id}")
            chat.status = RESOLVED
            chat.waiting_since = None
            return
        else:
            raise Broken(f"{where}: a decision the model does not know")
        # A give, checked: make it.
        receiver = self.agents[decision.to_agent_id]
        if reason == "idle_rule":
            chat.tried.append(chat.agent_id)
            chat.handovers += 1
        chat.status, chat.agent_id = ASSIGNED, receiver.id
        chat.flagged = False
        if chat.waiting_since is not None:
            chat.waiting_since = at
        receiver.last_given = at
        if decision.over_capacity:
            receiver.excused = True

    def _check_give(self, chat: ChatModel, decision: Decision, where: str) -> None:
        at, reason = decision.created_at, decision.reason
        receiver = self.agents.get(decision.to_agent_id)
        if receiver is None:
            raise Broken(f"{where}: given to {decision.to_agent_id}, who is no agent")
        if decision.from_agent_id != chat.agent_id:
            raise Broken(f"{where}: from {decision.from_agent_id}, but the model has "
                         f"{chat.agent_id}")
        load, capacity = self.load(receiver.id), self.capacity(receiver)
        # Never over capacity through the allocator: only a Supervisor's confirmed choice.
        if load >= capacity and not (reason == "supervisor" and decision.over_capacity):
            raise Broken(f"{where}: given to {receiver.username} holding {load} of "
                         f"{capacity}")
        if decision.over_capacity and (reason != "supervisor" or load < capacity):
            raise Broken(f"{where}: marked over capacity with {load} of {capacity}")
        if not self.online(receiver, at) or not self.in_scope(receiver, chat):
            raise Broken(f"{where}: {receiver.username} was not Online in the chat's "
                         "division")
        if reason in ("auto", "idle_rule"):
            if reason == "auto" and (not self.auto or chat.status != QUEUED):
                raise Broken(f"{where}: auto with Auto {self.auto}, chat {chat.status}")
            if reason == "idle_rule" and chat.status != ASSIGNED:
                raise Broken(f"{where}: the idle rule moved a {chat.status} chat")
            best = self.candidates(chat, at, skip_tried=reason == "idle_rule")
            if not best or best[0].id != receiver.id:
                raise Broken(f"{where}: went to {receiver.username}; best by the rules: "
                             f"{[(a.username, self.rank(a, chat)) for a in best[:3]]}")
            recorded = [(c["id"], c["load"], c["capacity"]) for c in decision.candidates]
            if recorded != self.as_recorded(best):
                raise Broken(f"{where}: candidates {recorded}, expected "
                             f"{self.as_recorded(best)}")
        if reason == "takeover" and (chat.status != QUEUED
                                     or not self.eligible(receiver, chat, at)):
            raise Broken(f"{where}: taken over though not eligible")
        if reason in ALLOCATOR_CHOICES:
            older = [queued.id for queued in self.queue()
                     if queued.id < chat.id and self.eligible(receiver, queued, at)]
            if older:
                raise Broken(f"{where}: overtook older waiting chats {older} that "
                             f"{receiver.username} could take")
