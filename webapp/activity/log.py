"""Reading the audit log: one account's entries, filtered by person and action. The words
the Activity page shows for the codes the entries store are in webapp.activity.words."""

from dataclasses import dataclass

from sqlalchemy import Select, literal_column, or_, select, union_all

from ..extensions import db
from ..models import AuditAction, AuditEntry, User
from ..paging import Page, page_argument, paginate
from ..users import listing

ENTRIES_PER_PAGE = 50
# The person picker lists this many matches; typing more narrows them.
PEOPLE_SHOWN = 8


@dataclass(frozen=True)
class Person:
    """Whom the person filter shows: a user of the account, or one the log still names."""

    id: int
    name: str
    username: str


@dataclass(frozen=True)
class Filters:
    person: Person | None = None
    action: AuditAction | None = None

    @property
    def active(self) -> bool:
        return self.person is not None or self.action is not None

    def url_arguments(self, page: int = 1) -> dict:
        """The filters and a page as URL arguments, each once, leaving out the ones not set
        and page 1; the pager's jump to the last page as `page=last`."""
        return {"page": page_argument(page),
                "person": self.person.id if self.person else None,
                "action": self.action.value if self.action else None}


def entry_ids(account_id: int, filters: Filters) -> Select:
    """Ids of the account's entries that pass the filters, newest first.

    Every shape is an index walk that the page's LIMIT stops early. "Person" means the actor
    or the target: an OR of the two would collect and sort every match of a busy person, so
    each side walks its own index (ix_audit_entries_account_actor, …_target) newest first
    and the two ordered streams are merged (SQLite: MERGE (UNION ALL); PostgreSQL: Merge
    Append, which it only plans when each side is ordered itself). The target side leaves
    out entries whose actor is the same person (their logins and logouts), so the sides
    never overlap and need no de-duplicating UNION, which would read every match.
    """
    def of_account() -> Select:
        ids = select(AuditEntry.id).where(AuditEntry.account_id == account_id)
        return ids.where(AuditEntry.action == filters.action) if filters.action else ids

    if filters.person is None:
        return of_account().order_by(AuditEntry.id.desc())
    person_id = filters.person.id
    as_actor = of_account().where(AuditEntry.actor_id == person_id)
    as_target = of_account().where(
        AuditEntry.target_id == person_id,
        or_(AuditEntry.actor_id != person_id, AuditEntry.actor_id.is_(None)))
    merged = union_all(_newest_first(as_actor), _newest_first(as_target)).subquery()
    return select(merged.c.id).order_by(merged.c.id.desc())


def _newest_first(ids: Select) -> Select:
    ordered = ids.order_by(AuditEntry.id.desc()).subquery()
    return select(ordered.c.id)


def entries_with_ids(ids: Select) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id.desc())))


def list_entries(account_id: int, filters: Filters, page: int) -> Page:
    """One page of the account's entries that pass the filters, newest first."""
    return paginate(entry_ids(account_id, filters), entries_with_ids, page, ENTRIES_PER_PAGE)


def existing_user_ids(account_id: int, entries: list[AuditEntry]) -> set[int]:
    """Which of the people a page of entries names are still users of the account: one
    query for the whole page, so their names can link to them."""
    named = {entry.actor_id for entry in entries} | {entry.target_id for entry in entries}
    named.discard(None)
    if not named:
        return set()
    return set(db.session.scalars(
        select(User.id).where(User.account_id == account_id, User.id.in_(named))))


def find_person(account_id: int, person_id: int | None) -> Person | None:
    """The person a filter names: a user of the account, else someone the account's log
    still names (a deleted user, under the username it recorded); None for anyone else, so
    another account's ids reveal nothing."""
    if person_id is None:
        return None
    user = db.session.scalar(
        select(User).where(User.account_id == account_id, User.id == person_id))
    if user is not None:
        return Person(user.id, user.full_name, user.username)
    recorded = _name_in_log(account_id, person_id)
    return Person(person_id, recorded, recorded) if recorded else None


def _name_in_log(account_id: int, person_id: int) -> str:
    """The username the account's newest entry about this person recorded, or ""."""
    of_account = AuditEntry.account_id == account_id
    as_actor = (select(AuditEntry.id, AuditEntry.actor_name.label("name"))
                .where(of_account, AuditEntry.actor_id == person_id))
    as_target = (select(AuditEntry.id, AuditEntry.target_name.label("name"))
                 .where(of_account, AuditEntry.target_id == person_id))
    newest = union_all(as_actor, as_target).order_by(literal_column("id").desc()).limit(1)
    row = db.session.execute(newest).first()
    return row.name if row else ""


def matching_people(account_id: int, text: str) -> list[User]:
    """The account's users whose name, username, email or phone contains `text`, newest
    first, at most PEOPLE_SHOWN, found by the users list's own search."""
    if not text.strip():
        return []
    ids = listing.matching_ids(account_id, text).limit(PEOPLE_SHOWN)
    return list(db.session.scalars(
        select(User).where(User.id.in_(ids)).order_by(User.id.desc())))
