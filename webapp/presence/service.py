"""Presence (SPEC §6): Agents and Supervisors say whether they take chats now, Online, Away
or Offline, from the header of any page; logging out sets Offline.

Presence set in the browser lasts while a page of the app is open: each open page says so
every 40 seconds or so (`still_here`), and two minutes without that (a closed laptop) it
counts as Offline. The lapse is worked out when presence is read, by `shown_presence` and
`shown_as` below, the one definition every reader uses (header, Profile, the users list and
its filter): no background job has to notice the silence. A disabled user, and an Admin
(who takes no chats), is always Offline.

Presence is bookkeeping like the time zone: stored through `update_quietly`, so it never
bumps users.version (an Admin's open edit of the user is no conflict), and not written to
the Activity log (every Agent changes it many times a day; the log would be drowned).
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, case, literal, not_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..database import write_transaction
from ..extensions import db
from ..models import Presence, Role, Status, User, utcnow

# How long presence outlives the last sign of an open page.
LAPSE = timedelta(minutes=2)
# An open page says it is there this often (the header's poll); and a sign within this much
# of the last one writes nothing (many open tabs cost no more writes than one).
POLL_SECONDS = 40
REFRESH_AFTER = timedelta(seconds=20)
# Who sets their own presence.
SETTERS = (Role.SUPERVISOR, Role.AGENT)


def can_set_presence(user: User) -> bool:
    return user.role in SETTERS


def _counts(now: datetime) -> ColumnElement[bool]:
    """Whether a user's stored presence still holds at `now`: they may have one (an active
    Agent or Supervisor) and either the API set it (it lasts until the API changes it) or a
    page of theirs was open within LAPSE. Never NULL (a user never seen is false), so its
    negation is exact too."""
    seen_lately = and_(User.presence_seen_at.is_not(None), User.presence_seen_at >= now - LAPSE)
    return and_(User.status == Status.ACTIVE, User.role.in_(SETTERS),
                or_(User.presence_by_api, seen_lately))


def shown_presence(now: datetime | None = None) -> ColumnElement[Presence]:
    """The presence everyone reads, as a column: the one set, or Offline once it lapsed."""
    now = now or utcnow()
    return case((_counts(now), User.presence),
                else_=literal(Presence.OFFLINE.value, User.presence.type))


def shown_as(presence: Presence, now: datetime | None = None) -> ColumnElement[bool]:
    """A filter: users whose `shown_presence(now)` is `presence`, written so that the
    index on (account_id, presence, id) serves Online and Away."""
    now = now or utcnow()
    if presence is Presence.OFFLINE:
        return or_(User.presence == Presence.OFFLINE, not_(_counts(now)))
    return and_(User.presence == presence, _counts(now))


def presence_of(user_id: int, now: datetime | None = None) -> Presence:
    """One user's presence as everyone reads it."""
    shown = db.session.scalar(select(shown_presence(now)).where(User.id == user_id))
    return shown or Presence.OFFLINE


def set_presence(user: User, presence: Presence, now: datetime | None = None) -> None:
    """The user's own choice, from this moment (a page is open: they just chose). Coming
    Online drains the queue; going Away or Offline keeps open chats and stops new ones."""
    _store_presence(user, presence, by_api=False, now=now or utcnow())


def set_presence_by_api(user: User, presence: Presence, now: datetime | None = None) -> None:
    """Presence set by the customer's system (SPEC §8): it lasts until the API changes it,
    and a choice in the browser replaces it."""
    _store_presence(user, presence, by_api=True, now=now or utcnow())


def _store_presence(user: User, presence: Presence, by_api: bool, now: datetime) -> None:
    # Imported here: the allocator reads presence through this module.
    from ..chats import allocator

    with write_transaction():
        allocator.lock_allocation(user.account_id)
        user.update_quietly(presence=presence, presence_seen_at=now, presence_by_api=by_api)
        if presence is Presence.ONLINE:
            allocator.drain(user.account_id, now)


def still_here(user_id: int, now: datetime | None = None) -> Presence:
    """An open page says the user is there: their presence holds for LAPSE more, unless it
    has lapsed already (then it stays Offline until they choose again, so a laptop opened
    after a night does not put its agent back Online unasked). The presence shown now."""
    now = now or utcnow()
    holds = (User.id == user_id, User.presence != Presence.OFFLINE, _counts(now))
    seen_at = db.session.scalar(select(User.presence_seen_at).where(*holds))
    if seen_at is not None and seen_at < now - REFRESH_AFTER:
        with write_transaction():
            db.session.execute(update(User).where(*holds).values(presence_seen_at=now)
                               .execution_options(synchronize_session=False))
    return presence_of(user_id, now)

