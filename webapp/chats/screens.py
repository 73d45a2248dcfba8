"""What My chats and Monitoring read (SPEC §7's screens): one person's open chats, a
Supervisor's scope (their division) or an Admin's (the whole account), the queue with each
chat's place in it, the open chats with their agents, the agents' presence and loads, and
the agents a chat may be handed to. Reads only: every move goes through
webapp.chats.allocator, which decides whether it may happen.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Chat, ChatStatus, Division, Presence, Role, Status, User
from ..presence.service import presence_of
from . import allocator

# A list shows at most this many chats; the heading says how many there are in all. Polled
# every few seconds, a page must stay small however long the queue grows.
SHOWN_CHATS = 100


def may_hold_chats(user: User) -> bool:
    """Agents and Supervisors have My chats (the allocator gives chats to Agents only)."""
    return user.role in (Role.AGENT, Role.SUPERVISOR)


def may_monitor(user: User) -> bool:
    """Supervisors (their division) and Admins (all) have Monitoring."""
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


# -- scope ------------------------------------------------------------------------------------

def chat_scope(user: User):
    """A filter on Chat: the chats `user` watches on Monitoring. An Admin's are the account's;
    a Supervisor's are the chats their division may take (named for it, or on a channel it
    serves, or on a channel no division serves and naming none) and those held by their
    division's agents. A Supervisor without a division watches nothing."""
    in_account = Chat.account_id == user.account_id
    if user.role == Role.ADMIN:
        return in_account
    if user.role != Role.SUPERVISOR or user.division_id is None:
        return false()
    channels = dict(db.session.execute(
        select(Division.id, Division.channels).where(Division.account_id == user.account_id)).all())
    own = list(channels.get(user.division_id) or [])
    served = sorted({channel for listed in channels.values() for channel in listed or ()})
    unnamed = Chat.division_id.is_(None)
    division_agents = select(User.id).where(User.account_id == user.account_id,
                                            User.division_id == user.division_id)
    return and_(in_account, or_(
        Chat.division_id == user.division_id,
        and_(unnamed, Chat.channel.in_(own)) if own else false(),
        and_(unnamed, Chat.channel.not_in(served)) if served else unnamed,
        Chat.agent_id.in_(division_agents)))


def in_scope(user: User, chat: Chat) -> bool:
    """Whether `user` may watch (and, on Monitoring, move) this chat of their account."""
    return chat.account_id == user.account_id and db.session.scalar(
        select(func.count(Chat.id)).where(Chat.id == chat.id, chat_scope(user))) == 1


def may_read_history(user: User, chat: Chat) -> bool:
    """Agents read the history of the chats they hold; Supervisors of the chats in their
    scope; Admins of every chat of their account."""
    if chat.account_id != user.account_id:
        return False
    if may_monitor(user) and in_scope(user, chat):
        return True
    return chat.agent_id == user.id and chat.status == ChatStatus.ASSIGNED


# -- lists --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listing:
    """Some chats of a list, and how many the list holds in all."""

    chats: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.chats)


def my_chats(user: User) -> list[Chat]:
    """The chats `user` holds, oldest arrival first."""
    return list(db.session.scalars(
        select(Chat).where(Chat.account_id == user.account_id, Chat.agent_id == user.id,
                           Chat.status == ChatStatus.ASSIGNED)
        .order_by(Chat.id).options(selectinload(Chat.division))))


@dataclass(frozen=True)
class Waiting:
    """A waiting chat and its place among all the account's waiting chats (oldest = 1)."""

    chat: Chat
    position: int


def queue(user: User) -> Listing:
    """The waiting chats in `user`'s scope, oldest first, each with its place in the
    account's queue (the place the API reports: it counts chats outside the scope too)."""
    places = (select(Chat.id, func.row_number().over(order_by=Chat.id).label("position"))
              .where(Chat.account_id == user.account_id, Chat.status == ChatStatus.QUEUED)
              .subquery())
    scoped = (Chat.status == ChatStatus.QUEUED, chat_scope(user))
    rows = db.session.execute(
        select(Chat, places.c.position).join(places, places.c.id == Chat.id).where(*scoped)
        .order_by(Chat.id).limit(SHOWN_CHATS).options(selectinload(Chat.division)))
    total = db.session.scalar(select(func.count(Chat.id)).where(*scoped))
    return Listing([Waiting(chat, position) for chat, position in rows], total)


def open_chats(user: User, flagged_only: bool = False) -> Listing:
    """The assigned chats in `user`'s scope, oldest arrival first, with their agents; only
    those the idle rule flagged, when asked."""
    scoped = [Chat.status == ChatStatus.ASSIGNED, chat_scope(user)]
    if flagged_only:
        scoped.append(Chat.idle_flagged.is_(True))
    chats = list(db.session.scalars(
        select(Chat).where(*scoped).order_by(Chat.id).limit(SHOWN_CHATS)
        .options(selectinload(Chat.agent), selectinload(Chat.division))))
    total = db.session.scalar(select(func.count(Chat.id)).where(*scoped))
    return Listing(chats, total)


def team(user: User, now: datetime | None = None) -> list[allocator.RosterEntry]:
    """The Agents `user` watches, with presence and load against Workload: a Supervisor's
    division's, or (an Admin) the account's. Disabled agents take no chats: not listed."""
    entries = [entry for entry in allocator.roster(user.account_id, now)
               if entry.user.role == Role.AGENT and entry.user.status == Status.ACTIVE]
    if user.role == Role.ADMIN:
        return entries
    return [entry for entry in entries if entry.user.division_id == user.division_id]


# -- whom a chat may go to ------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """An Online Agent a chat may be handed to, with their load now."""

    id: int
    username: str
    name: str
    load: int
    capacity: int

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


def targets(chat: Chat, chooser: User, now: datetime | None = None) -> list[Target]:
    """The Online Agents who may be given `chat` by `chooser`, by username: those in a
    division that takes the chat, other than its agent. An Agent transferring one of their
    chats sees only those with room (they never go past a Workload); a Supervisor sees their
    division's agents, and full ones too (assigning past a Workload is theirs to confirm);
    an Admin everyone's. The allocator checks the choice again when it is made."""
    members = allocator.eligible_agents(chat, now, include_full=chooser.role != Role.AGENT)
    if chooser.role == Role.SUPERVISOR:
        members = [member for member in members if member.division_id == chooser.division_id]
    names = dict(db.session.execute(
        select(User.id, User.first_name + " " + User.last_name)
        .where(User.id.in_([member.id for member in members]))).all())
    return sorted((Target(member.id, member.username, (names.get(member.id) or "").strip(),
                          member.load, member.capacity) for member in members),
                  key=lambda target: target.username.lower())


def nameable(chat: Chat, chooser: User) -> frozenset[int]:
    """The agents `chooser` may name for `chat` although they are not offered now (they went
    Away, filled up, left the division meanwhile): the account's Agents (a Supervisor's
    division's), other than the chat's agent. The allocator then says why not."""
    query = select(User.id).where(User.account_id == chooser.account_id,
                                  User.role == Role.AGENT)
    if chat.agent_id is not None:
        query = query.where(User.id != chat.agent_id)
    if chooser.role == Role.SUPERVISOR:
        query = query.where(User.division_id == chooser.division_id)
    return frozenset(db.session.scalars(query))


def is_online(user: User, now: datetime | None = None) -> bool:
    """Whether the user is Online as everyone reads it (the lapse rule applies)."""
    return presence_of(user.id, now) == Presence.ONLINE
