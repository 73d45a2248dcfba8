"""The chat allocator (SPEC §7): who is eligible for a chat, who gets it, and the queue. Every
path that moves a chat or changes who may take one calls this module: intake, takeover,
transfer, a Supervisor's or the API's assign, resolve, presence, Workload and division
changes, an agent leaving, the idle rule.

The rules, in one place:
- *Eligible* for a chat: an active Agent, Online (webapp.presence: the lapse rule applies),
  holding fewer chats than their Workload, in the chat's division: the one it names, else
  the divisions whose channels include its channel, else any division. The idle rule also
  passes over the agents already tried for the chat (`Chat.tried_agent_ids`: it took the
  chat from them before, or they handed it back).
- *Best* among the eligible: one not yet tried for the chat before one who was (so a chat
  handed back goes to someone else when anyone else can take it, yet never waits for ever
  because of it), then the fewest open chats relative to Workload, then the one given a
  chat longest ago (never counts as longest), then the lowest user id.
- *The queue*: the account's waiting chats, oldest first by id, which follows arrival (ids
  are handed out inside the allocation lock). A chat sent back to the queue keeps its id, so
  it keeps its place. With Auto agent allocation on, `drain` gives waiting chats away, oldest
  first, in the transaction of every change that may make room or add an agent, so the
  queue holds only chats that no one with room can take; a new chat therefore goes to an
  agent at once or joins the back of the queue, and never overtakes an older one that the
  same agent could take.

Serialization: every function here runs inside a write transaction that first takes the
account's allocation lock (`lock_allocation`), and reads the chats and loads after it, so
two processes never both see the same free place. SQLite's write transactions (BEGIN
IMMEDIATE) are serialized already; PostgreSQL takes a transaction-scoped advisory lock per
account, which holds across gunicorn workers, threads and the worker process, and unlike a
lock on the account's row it does not wait for an Admin editing the account's settings.
The lock comes first in its transaction, before any row lock or write, so that two
transactions never wait for each other in opposite orders (callers outside this module that
change an agent, such as webapp.users.service, take it at their start).
"""

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import Session

from ..database import FLUSHED, in_write_transaction, write_transaction
from ..extensions import db
from ..models import (
    Account,
    ActorKind,
    AgentWorkload,
    ApiToken,
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
from ..presence.service import shown_as, shown_presence

# A decision records at most this many candidates, best first: enough to see why the chosen
# one won, without writing a whole large team into every row.
RECORDED_CANDIDATES = 20
# The queue is read in batches of this many chats while draining.
QUEUE_BATCH = 200
# PostgreSQL advisory locks take two integers: this one says "allocation", the other is the
# account's id.
ADVISORY_LOCK_SPACE = 7_301_001


# -- who acts, and refusals ---------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """Who made a decision: the allocator itself, a person, an API token, a command."""

    kind: ActorKind
    id: int | None = None
    name: str = ""

    @classmethod
    def of_user(cls, user: User) -> "Actor":
        return cls(ActorKind.USER, user.id, user.username)

    @classmethod
    def of_token(cls, token: ApiToken) -> "Actor":
        return cls(ActorKind.API, token.id, token.name)


ALLOCATOR = Actor(ActorKind.ALLOCATOR)
COMMAND_LINE = Actor(ActorKind.COMMAND_LINE)


# The code of the one refusal a Supervisor or Admin may override by confirming it.
AGENT_FULL = "agent_full"


class Refused(Exception):
    """A move the rules forbid: `code` names why (snake_case, for the API), `message` says
    it in the reader's language, `status` is 409 (the state forbids it) or 422 (the request
    names something that is not there), `field` the request field at fault, if any."""

    def __init__(self, code: str, message: str, status: int = 409, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.field = code, message, status, field


# -- the lock -----------------------------------------------------------------------------------

def lock_allocation(account_id: int) -> None:
    """Take the account's allocation lock until the transaction ends. It must be the
    transaction's first lock (see the module's docstring): taking it after this transaction
    has written anything is refused, so a wrong order fails in tests on both databases
    rather than deadlocking in production."""
    session = db.session()
    if not in_write_transaction():
        raise RuntimeError("The allocation lock is taken inside write_transaction().")
    held = session.info.setdefault("allocation_locks", set())
    if account_id in held:
        return
    if session.info.get(FLUSHED):
        raise RuntimeError(TOO_LATE)
    if session.get_bind().dialect.name == "postgresql":
        # A transaction gets its id with its first write or row lock: then it is too late.
        wrote = session.execute(
            text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar_one()
        if wrote:
            raise RuntimeError(TOO_LATE)
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :account)"),
                        {"space": ADVISORY_LOCK_SPACE, "account": account_id})
    held.add(account_id)


TOO_LATE = ("Take the allocation lock before the transaction's first write or row lock "
            "(see webapp.chats.allocator).")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_allocation_locks(session: Session) -> None:
    # Advisory transaction locks end with their transaction.
    session.info.pop("allocation_locks", None)


# -- the team: online agents, their loads and Workloads -----------------------------------------

@dataclass
class Member:
    """An Agent as the allocator weighs them at one moment."""

    id: int
    username: str
    division_id: int | None
    capacity: int
    load: int
    last_chat_at: datetime | None
    online: bool = True

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    def rank(self) -> tuple:
        """Best first: least load relative to Workload, then given a chat longest ago
        (never first), then the lowest id."""
        # load / capacity as a float is exact enough to compare: IEEE division rounds the
        # exact quotient, so equal ratios (1/3, 2/6) give equal floats, and two different
        # ratios of Workloads up to 100 differ by at least 1/10,000, far above the rounding.
        return (self.load / max(self.capacity, 1),
                self.last_chat_at is not None, self.last_chat_at or datetime.min, self.id)

    def as_candidate(self) -> dict:
        return {"id": self.id, "username": self.username, "load": self.load,
                "capacity": self.capacity}


def _loads(account_id: int):
    """Each agent's open (assigned) chats in the account, as a subquery."""
    return (select(Chat.agent_id, func.count(Chat.id).label("load"))
            .where(Chat.account_id == account_id, Chat.status == ChatStatus.ASSIGNED)
            .group_by(Chat.agent_id).subquery())


def _members(account: Account, *conditions) -> list[Member]:
    loads = _loads(account.id)
    rows = db.session.execute(
        select(User.id, User.username, User.division_id,
               func.coalesce(AgentWorkload.max_chats, account.default_workload),
               func.coalesce(loads.c.load, 0), User.last_chat_at)
        .outerjoin(AgentWorkload, AgentWorkload.user_id == User.id)
        .outerjoin(loads, loads.c.agent_id == User.id)
        .where(User.account_id == account.id, *conditions))
    return [Member(*row) for row in rows]


@dataclass
class Team:
    """The account's Online Agents at one moment, kept up to date as the allocator gives
    chats within one transaction."""

    account: Account
    members: dict[int, Member]
    # Division id -> its channels, to find the divisions that serve a chat's channel.
    channels: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, account: Account, now: datetime) -> "Team":
        online = _members(account, User.role == Role.AGENT, shown_as(Presence.ONLINE, now))
        divisions = db.session.execute(
            select(Division.id, Division.channels).where(Division.account_id == account.id))
        return cls(account, {member.id: member for member in online},
                   {division_id: list(channels or []) for division_id, channels in divisions})

    def anyone_has_room(self) -> bool:
        return any(member.has_room for member in self.members.values())

    def divisions_for(self, chat: Chat) -> set[int] | None:
        """The divisions whose agents may take the chat; None for any division."""
        if chat.division_id is not None:
            return {chat.division_id}
        serving = {division_id for division_id, channels in self.channels.items()
                   if chat.channel in channels}
        return serving or None

    def in_scope(self, member: Member, chat: Chat) -> bool:
        divisions = self.divisions_for(chat)
        return divisions is None or member.division_id in divisions

    def eligibility(self, chat: Chat, include_full: bool = False) -> Callable[[Member], bool]:
        """The rule of who is eligible for the chat, as a test of an (Online) member: room
        (or not, `include_full`: a Supervisor may confirm going past a Workload), not holding
        it already, in a division that takes it. The chat's divisions are worked out once,
        however many members are tested."""
        divisions = self.divisions_for(chat)
        return lambda member: ((include_full or member.has_room) and member.id != chat.agent_id
                               and (divisions is None or member.division_id in divisions))

    def may_take(self, member: Member, chat: Chat) -> bool:
        return self.eligibility(chat)(member)

    def candidates(self, chat: Chat, skip_tried: bool = False) -> list[Member]:
        """The agents eligible for the chat, best first (the RECORDED_CANDIDATES best: the
        first is the one to choose, the others are what a decision records). The agents
        tried for the chat come last, or not at all with `skip_tried` (the idle rule)."""
        eligible = self.eligibility(chat)
        tried = set(chat.tried_agent_ids or ())
        members = [member for member in self.members.values()
                   if eligible(member) and not (skip_tried and member.id in tried)]
        return heapq.nsmallest(RECORDED_CANDIDATES, members,
                               key=lambda member: (member.id in tried, *member.rank()))


def member_now(account: Account, user: User, now: datetime) -> Member:
    """One user weighed as the allocator would, online or not."""
    member = _members(account, User.id == user.id)[0]
    member.online = (user.role == Role.AGENT and db.session.scalar(
        select(shown_presence(now)).where(User.id == user.id)) == Presence.ONLINE)
    return member


def eligible_agents(chat: Chat, now: datetime | None = None,
                    include_full: bool = False) -> list[Member]:
    """The Online Agents a person may give the chat to now, by username: in a division that
    takes it, other than its agent, with room (or full ones too, `include_full`, for a
    Supervisor who may confirm going past a Workload). For the screens' choices; the move
    itself checks again under the lock."""
    team = Team.load(db.session.get(Account, chat.account_id), now or utcnow())
    return sorted(filter(team.eligibility(chat, include_full), team.members.values()),
                  key=lambda member: member.username.lower())


# -- recording ----------------------------------------------------------------------------------

def _as_candidates(members: Iterable[Member]) -> list[dict]:
    """The candidates as a decision records them: the best first, with their loads now."""
    return [member.as_candidate() for member in list(members)[:RECORDED_CANDIDATES]]


def _record(chat: Chat, reason: DecisionReason, actor: Actor, now: datetime, *,
            from_agent: tuple[int | None, str] = (None, ""), to: Member | None = None,
            candidates: list[dict] | None = None, over_capacity: bool = False) -> None:
    """Write the decision: every state change of a chat passes here, inside the change's
    transaction. (Webhooks, SPEC §8, will write their outbox row here too, in the same
    transaction, so a change and its notice commit or vanish together.)"""
    db.session.add(ChatDecision(
        chat_id=chat.id, account_id=chat.account_id, reason=reason,
        from_agent_id=from_agent[0], from_name=from_agent[1],
        to_agent_id=to.id if to else None, to_name=to.username if to else "",
        actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name[:64],
        over_capacity=over_capacity,
        candidates=candidates or [], created_at=now))


def _holder(chat: Chat) -> tuple[int | None, str]:
    if chat.agent_id is None:
        return None, ""
    username = db.session.scalar(select(User.username).where(User.id == chat.agent_id))
    return chat.agent_id, username or ""


def _give(team: Team | None, chat: Chat, member: Member, reason: DecisionReason, actor: Actor,
          now: datetime, candidates: Iterable[Member] = (), over_capacity: bool = False) -> None:
    """Hand the chat to `member` and record it."""
    recorded = _as_candidates(candidates)  # their loads before this chat
    from_agent = _holder(chat)
    if team and chat.agent_id in team.members:
        team.members[chat.agent_id].load -= 1
    chat.status = ChatStatus.ASSIGNED
    chat.agent_id = member.id
    chat.assigned_at = now
    chat.idle_flagged = False
    if chat.customer_waiting_since is not None:
        chat.customer_waiting_since = now  # the idle period starts when the agent gets it
    member.load += 1
    member.last_chat_at = now
    db.session.execute(update(User).where(User.id == member.id).values(last_chat_at=now)
                       .execution_options(synchronize_session=False))
    _record(chat, reason, actor, now, from_agent=from_agent, to=member,
            candidates=recorded, over_capacity=over_capacity)
    db.session.flush()


def _requeue(team: Team | None, chat: Chat, reason: DecisionReason, actor: Actor,
             now: datetime, tried: bool) -> None:
    """Send the chat back to the queue at its original place (its id and arrival stay).
    `tried`: its agent handed it back, so it is not given to them again automatically."""
    from_agent = _holder(chat)
    if team and chat.agent_id in team.members:
        team.members[chat.agent_id].load -= 1
    if tried and chat.agent_id is not None and chat.agent_id not in chat.tried_agent_ids:
        chat.tried_agent_ids = [*chat.tried_agent_ids, chat.agent_id]
    chat.status = ChatStatus.QUEUED
    chat.agent_id = None
    chat.assigned_at = None
    _record(chat, reason, actor, now, from_agent=from_agent)
    db.session.flush()


# -- reading ------------------------------------------------------------------------------------

def _account(account_id: int) -> Account:
    return db.session.get(Account, account_id, populate_existing=True)


def _chat(account_id: int, chat_id: int) -> Chat:
    """The chat as it is now (read after the lock); Refused 404-like when not the account's."""
    chat = db.session.get(Chat, chat_id, populate_existing=True)
    if chat is None or chat.account_id != account_id:
        raise Refused("not_found", _("No such chat."), status=404)
    return chat


def _queued(account_id: int) -> Iterator[Chat]:
    """The account's waiting chats, oldest first, read in batches."""
    after = 0
    while True:
        batch = list(db.session.scalars(
            select(Chat).where(Chat.account_id == account_id, Chat.status == ChatStatus.QUEUED,
                               Chat.id > after)
            .order_by(Chat.id).limit(QUEUE_BATCH)
            .execution_options(populate_existing=True)))
        yield from batch
        if len(batch) < QUEUE_BATCH:
            return
        after = batch[-1].id


def queue_position(chat: Chat) -> int | None:
    """The chat's place among the account's waiting chats (oldest = 1), or None."""
    if chat.status != ChatStatus.QUEUED:
        return None
    return db.session.scalar(select(func.count(Chat.id)).where(
        Chat.account_id == chat.account_id, Chat.status == ChatStatus.QUEUED,
        Chat.id <= chat.id))


@dataclass(frozen=True)
class RosterEntry:
    """An Agent or Supervisor with their presence (as everyone reads it), open chats and
    Workload."""

    user: User
    presence: Presence
    load: int
    capacity: int


def roster(account_id: int, now: datetime | None = None) -> list[RosterEntry]:
    """Every Agent and Supervisor of the account, by username."""
    now = now or utcnow()
    account = db.session.get(Account, account_id)
    loads = _loads(account_id)
    rows = db.session.execute(
        select(User, shown_presence(now), func.coalesce(loads.c.load, 0),
               func.coalesce(AgentWorkload.max_chats, account.default_workload))
        .outerjoin(AgentWorkload, AgentWorkload.user_id == User.id)
        .outerjoin(loads, loads.c.agent_id == User.id)
        .where(User.account_id == account_id, User.role.in_((Role.AGENT, Role.SUPERVISOR)))
        .order_by(func.lower(User.username)))
    return [RosterEntry(user, Presence(presence), load, capacity)
            for user, presence, load, capacity in rows]


def roster_entry(user: User, now: datetime | None = None) -> RosterEntry:
    now = now or utcnow()
    account = db.session.get(Account, user.account_id)
    member = _members(account, User.id == user.id)[0]
    presence = db.session.scalar(select(shown_presence(now)).where(User.id == user.id))
    return RosterEntry(user, Presence(presence), member.load, member.capacity)


# -- draining the queue -------------------------------------------------------------------------

def drain(account_id: int, now: datetime | None = None) -> int:
    """With Auto agent allocation on, give waiting chats, oldest first, to the best eligible
    agent, while anyone has room; how many were given. Called inside the write transaction
    of every change that may make room or add an agent."""
    lock_allocation(account_id)
    now = now or utcnow()
    account = _account(account_id)
    if not account.auto_allocation:
        return 0
    return _drain(Team.load(account, now), now)


def drain_queue(account_id: int, now: datetime | None = None) -> int:
    """`drain` in a write transaction of its own: for the worker, which makes sure nothing
    stays queued that someone could take (a change that made room drains in its own
    transaction already)."""
    with write_transaction():
        return drain(account_id, now)


def _drain(team: Team, now: datetime) -> int:
    given = 0
    if not team.anyone_has_room():
        return given
    for chat in _queued(team.account.id):
        candidates = team.candidates(chat)
        if candidates:
            _give(team, chat, candidates[0], DecisionReason.AUTO, ALLOCATOR, now, candidates)
            given += 1
            if not team.anyone_has_room():
                break
    return given


# -- intake, resolve, messages ------------------------------------------------------------------

def receive_chat(account_id: int, *, channel: str, external_id: str, customer_name: str,
                 division_id: int | None, actor: Actor,
                 now: datetime | None = None) -> tuple[Chat, bool]:
    """A chat the platform tells us about, and whether it is new: the same channel and
    external id again is the same chat, resolved or not (retries are safe). With Auto agent
    allocation on, a new chat goes at once to the best eligible agent with room, if any;
    else it waits at the back of the queue. It passes over no older chat: the queue holds
    only chats that no one with room can take (every change that makes room drains it)."""
    with write_transaction():
        lock_allocation(account_id)
        now = now or utcnow()  # after the lock: times follow the order of decisions
        existing = db.session.scalar(select(Chat).where(
            Chat.account_id == account_id, Chat.channel == channel,
            Chat.external_id == external_id))
        if existing is not None:
            return existing, False
        chat = Chat(account_id=account_id, channel=channel, external_id=external_id,
                    customer_name=customer_name, division_id=division_id,
                    status=ChatStatus.QUEUED, queued_at=now)
        db.session.add(chat)
        db.session.flush()
        account = _account(account_id)
        team = Team.load(account, now)
        candidates = team.candidates(chat)
        if account.auto_allocation and candidates:
            _give(team, chat, candidates[0], DecisionReason.AUTO, ALLOCATOR, now, candidates)
        else:
            # Waiting: no one eligible has room, or nothing assigns it (Auto off). The
            # candidates are those who could take it now (Custom allocation's choice).
            _record(chat, DecisionReason.ARRIVED, actor, now,
                    candidates=_as_candidates(candidates))
            db.session.flush()
        return chat, True


def resolve_chat(account_id: int, chat_id: int, actor: Actor,
                 now: datetime | None = None) -> Chat:
    """The conversation is over: its agent has room again, and the queue drains. Resolving
    again changes nothing."""
    with write_transaction():
        lock_allocation(account_id)
        now = now or utcnow()  # after the lock: times follow the order of decisions
        chat = _chat(account_id, chat_id)
        if chat.status == ChatStatus.RESOLVED:
            return chat
        from_agent = _holder(chat)
        chat.status = ChatStatus.RESOLVED
        chat.resolved_at = now
        chat.customer_waiting_since = None
        _record(chat, DecisionReason.RESOLVED, actor, now, from_agent=from_agent)
        db.session.flush()
        drain(account_id, now)
        return chat


CUSTOMER, AGENT = "customer", "agent"


def note_message(account_id: int, chat_id: int, sender: str, actor: Actor,
                 now: datetime | None = None) -> Chat:
    """A message in the chat, which drives the idle rule: the customer writing starts the
    wait for an answer (if one is not under way), the agent writing ends it."""
    with write_transaction():
        lock_allocation(account_id)
        now = now or utcnow()  # after the lock: times follow the order of decisions
        chat = _chat(account_id, chat_id)
        if chat.status == ChatStatus.RESOLVED:
            raise Refused("chat_resolved", _("The chat is resolved."))
        if sender == CUSTOMER and chat.customer_waiting_since is None:
            chat.customer_waiting_since = now
        elif sender == AGENT:
            chat.customer_waiting_since = None
            chat.idle_flagged = False  # answered: nothing left for Supervisors to look at
        db.session.flush()
        return chat


# -- takeover, transfer, assign -----------------------------------------------------------------

def take_next_chat(agent: User, actor: Actor | None = None,
                   now: datetime | None = None) -> Chat | None:
    """Get New Chat: the oldest waiting chat the agent is eligible for, or None when there
    is none. Refused when the account does not allow takeover, or the agent may take no chat
    now (not an active Agent, not Online, full)."""
    actor = actor or Actor.of_user(agent)
    with write_transaction():
        lock_allocation(agent.account_id)
        now = now or utcnow()  # after the lock: times follow the order of decisions
        account = _account(agent.account_id)
        if not account.agent_can_take_over:
            raise Refused("takeover_off", _("Taking unassigned chats is switched off for this "
                                            "account."))
        team = Team.load(account, now)
        member = team.members.get(agent.id)
        if member is None:
            raise Refused("not_online", _("Only an Agent who is Online can take a chat."))
        if not member.has_room:
            raise Refused("full", _("You already hold as many chats as your Workload allows."))
        for chat in _queued(agent.account_id):
            if team.may_take(member, chat):
                _give(team, chat, member, DecisionReason.TAKEOVER, actor, now,
                      team.candidates(chat))
                return chat
        return None


def eligibility_problem(team: Team, member: Member, chat: Chat,
                        over_capacity: bool = False) -> Refused | None:
    """Why `member` may not be given `chat` by a person or the API (who may choose an agent
    already tried), or None."""
    if not member.online:
        return Refused("agent_not_online", _("%(name)s is not Online.", name=member.username))
    if not team.in_scope(member, chat):
        return Refused("agent_other_division",
                       _("%(name)s is not in a division that takes this chat.",
                         name=member.username))
    if not member.has_room and not over_capacity:
        return Refused(AGENT_FULL,
                       _("%(name)s already holds %(load)d of %(capacity)d chats.",
                         name=member.username, load=member.load, capacity=member.capacity))
    return None


def assign_chat(account_id: int, chat_id: int, agent: User | None, actor: Actor,
                reason: DecisionReason, over_capacity: bool = False,
                now: datetime | None = None) -> Chat:
    """Give the chat to `agent`, or (None) send it back to the queue at its original place.

    `reason` says who decides: TRANSFER (its agent), SUPERVISOR (a Supervisor or Admin, who
    alone may pass `over_capacity`, confirmed by them and recorded) or CUSTOM (the API,
    never over capacity). Refused when the chat is resolved, or the agent is not an active
    Agent of the account, not Online, in no division that takes the chat, or full. Giving a
    chat to the agent who holds it changes nothing."""
    with write_transaction():
        lock_allocation(account_id)
        now = now or utcnow()  # after the lock: times follow the order of decisions
        chat = _chat(account_id, chat_id)
        if chat.status == ChatStatus.RESOLVED:
            raise Refused("chat_resolved", _("The chat is resolved."))
        account = _account(account_id)
        if reason == DecisionReason.TRANSFER:
            if not account.agent_can_transfer:
                raise Refused("transfer_off", _("Agents may not transfer chats in this "
                                                "account."))
            if chat.agent_id is None or chat.agent_id != actor.id:
                raise Refused("not_your_chat", _("Only the agent holding a chat transfers it."))
        over_capacity = over_capacity and reason == DecisionReason.SUPERVISOR
        team = Team.load(account, now)
        if agent is None:
            if chat.status == ChatStatus.QUEUED:
                return chat
            _requeue(team, chat, reason, actor, now, tried=True)
            drain(account_id, now)
            return chat
        if agent.account_id != account_id or agent.role != Role.AGENT \
                or agent.status != Status.ACTIVE:
            raise Refused("not_an_agent", _("%(name)s is not an active Agent of this account.",
                                             name=agent.username), status=422, field="agent")
        if chat.agent_id == agent.id:
            return chat
        member = team.members.get(agent.id) or member_now(account, agent, now)
        problem = eligibility_problem(team, member, chat, over_capacity)
        if problem:
            raise problem
        _give(team, chat, member, reason, actor, now, team.candidates(chat),
              over_capacity=not member.has_room)
        drain(account_id, now)  # the chat's former agent may have room for a waiting one
        return chat


# -- changes around agents ----------------------------------------------------------------------

def agent_left(user: User, actor: Actor, now: datetime | None = None) -> int:
    """The agent is being disabled, deleted or made another role: all their open chats go
    back to the queue at their original places; how many. Runs inside the caller's write
    transaction, which took the allocation lock first; the caller then applies the change
    (deletes the user after this) and drains the queue, so that the chats go on at once and
    not back to the agent who is leaving."""
    lock_allocation(user.account_id)
    now = now or utcnow()
    chats = _open_chats(user)
    for chat in chats:
        _requeue(None, chat, DecisionReason.AGENT_LEFT, actor, now, tried=False)
    return len(chats)


def agent_moved(user: User, actor: Actor, now: datetime | None = None) -> int:
    """The agent has moved to another division (the change is made, in the caller's write
    transaction, which took the allocation lock first): the open chats their new division
    does not take go back to the queue at their original places, the others stay with them;
    how many went back. The caller then drains the queue."""
    lock_allocation(user.account_id)
    now = now or utcnow()
    team = Team.load(_account(user.account_id), now)
    leaving = [chat for chat in _open_chats(user)
               if (divisions := team.divisions_for(chat)) is not None
               and user.division_id not in divisions]
    for chat in leaving:
        _requeue(None, chat, DecisionReason.AGENT_LEFT, actor, now, tried=False)
    return len(leaving)


def _open_chats(user: User) -> list[Chat]:
    return list(db.session.scalars(select(Chat).where(
        Chat.agent_id == user.id, Chat.status == ChatStatus.ASSIGNED).order_by(Chat.id)))


# -- the idle rule ------------------------------------------------------------------------------

def apply_idle_rule(account_id: int, now: datetime | None = None) -> int:
    """When the idle rule is on, hand each chat whose customer has waited the idle period for
    an answer to another eligible agent (never one already tried for it); after the set
    number of tries, leave it with its agent and flag it for Supervisors. How many chats
    were handed on or flagged."""
    with write_transaction():
        lock_allocation(account_id)
        now = now or utcnow()  # after the lock: times follow the order of decisions
        account = _account(account_id)
        if not account.idle_rule_on:
            return 0
        cutoff = now - timedelta(minutes=account.idle_minutes)
        idle = list(db.session.scalars(select(Chat).where(
            Chat.account_id == account_id, Chat.status == ChatStatus.ASSIGNED,
            Chat.idle_flagged.is_(False), Chat.customer_waiting_since <= cutoff)
            .order_by(Chat.id)))
        team = Team.load(account, now)
        acted = 0
        for chat in idle:
            if chat.idle_handovers >= account.idle_tries:
                chat.idle_flagged = True
                _record(chat, DecisionReason.IDLE_FLAGGED, ALLOCATOR, now,
                        from_agent=_holder(chat))
                acted += 1
                continue
            candidates = team.candidates(chat, skip_tried=True)
            if not candidates:
                continue  # no one else can take it now; the rule tries again later
            chat.tried_agent_ids = [*chat.tried_agent_ids, chat.agent_id]
            chat.idle_handovers += 1
            _give(team, chat, candidates[0], DecisionReason.IDLE_RULE, ALLOCATOR, now,
                  candidates)
            acted += 1
        db.session.flush()
        if acted:
            drain(account_id, now)  # the agents it took chats from have room again
        return acted


def decisions_of(chat: Chat) -> list[ChatDecision]:
    """A chat's history, oldest first: why it went where it went."""
    return list(db.session.scalars(
        select(ChatDecision).where(ChatDecision.chat_id == chat.id).order_by(ChatDecision.id)))
