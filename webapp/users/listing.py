"""Finding users: search, the role, status and presence filters, sorting, and paging through
an account's users; and the list's state in its URL."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import lru_cache, partial

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from sqlalchemy import Select, func, or_, select, union

from .. import search_index
from ..extensions import db
from ..forms import clean_text
from ..i18n import current_language
from ..identity import ascii_digits
from ..models import LARGEST_ID, Division, Presence, Role, Status, User, utcnow
from ..paging import Page, count_up_to, page_argument, paginate, requested_page
from ..presence.service import shown_as, shown_presence
from ..timezones import reader_zone

PHONE_LIKE_QUERY = re.compile(r"[+0-9\s()-]+")
PHONE_NOISE = re.compile(r"[\s()-]")
LONGEST_QUERY = 100

# What each sortable column orders by. Every order ends in the id, so it is total (a page
# never shows a row twice or skips one), and each is exactly the expression list of an
# index that starts with account_id (webapp.models.User, migration 0007): one account's
# users in any of these orders, either way round, are an index walk, never a sort.
SORT_KEYS = {
    # ix_users_account_name
    "name": (func.lower(User.first_name), func.lower(User.last_name), User.id),
    # ix_users_account_username
    "username": (func.lower(User.username), User.id),
    # ix_users_account_email (emails are stored in lower case)
    "email": (User.email, User.id),
    # ix_users_account_role_newest
    "role": (User.role, User.id),
    # ix_users_account_newest: ids grow with creation
    "created": (User.id,),
}
# Columns whose first click sorts descending: the newest first, as the list opens.
DESCENDING_FIRST = {"created"}


@dataclass(frozen=True)
class Sort:
    """One column, one direction; in a URL "name" (A–Z) or "-name" (Z–A)."""

    column: str = "created"
    descending: bool = True

    @classmethod
    def parse(cls, token: str | None) -> "Sort":
        """The sort a URL names; an unknown one is the default, newest first."""
        token = token or ""
        column = token.removeprefix("-")
        if column not in SORT_KEYS:
            return NEWEST_FIRST
        return cls(column, token.startswith("-"))

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.column

    def order_by(self) -> list:
        return [key.desc() if self.descending else key.asc() for key in SORT_KEYS[self.column]]

    def next_for(self, column: str) -> "Sort":
        """What a click on `column`'s heading sorts by: the other way round when the list is
        sorted by it already, else that column in its first direction."""
        if column == self.column:
            return Sort(column, not self.descending)
        return Sort(column, column in DESCENDING_FIRST)

    def aria_sort(self, column: str) -> str | None:
        """The heading's aria-sort: only the column the list is sorted by has one."""
        if column != self.column:
            return None
        return "descending" if self.descending else "ascending"


NEWEST_FIRST = Sort("created", True)


@dataclass(frozen=True)
class ListState:
    """What the users list shows, as its URL says:
    `?q=&role=&status=&presence=&sort=&page=`."""

    query: str = ""
    role: str = ""
    status: str = ""
    sort: Sort = NEWEST_FIRST
    page: int = 1
    presence: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "ListState":
        """The state a URL's arguments ask for; a filter value that means nothing is "all"."""
        role, status = args.get("role", ""), args.get("status", "")
        presence = args.get("presence", "")
        return cls(query=clean_text(args.get("q", ""))[:LONGEST_QUERY],
                   role=role if role in set(Role) else "",
                   status=status if status in set(Status) else "",
                   sort=Sort.parse(args.get("sort")),
                   page=requested_page(args.get("page")),
                   presence=presence if presence in set(Presence) else "")

    @property
    def is_filtered(self) -> bool:
        return bool(self.query or self.role or self.status or self.presence)

    def url_arguments(self, **changes) -> dict:
        """The URL arguments of this state with `changes`, in one spelling: each argument at
        most once, and none that says what the list does anyway (no `q=`, no `page=1`)."""
        state = replace(self, **changes)
        arguments = {
            "q": state.query,
            "role": state.role,
            "status": state.status,
            "presence": state.presence,
            "sort": state.sort.token if state.sort != NEWEST_FIRST else "",
            "page": page_argument(state.page),
        }
        return {name: value for name, value in arguments.items() if value}


def search_terms(query: str) -> list[str]:
    """What a query looks for in search_text: itself case-folded; with any Unicode digits
    (Arabic-Indic, full-width …) as ASCII digits, as phones are stored; and when it looks
    like a phone number also its digits alone, without the separators phones lose."""
    folded = query.strip().casefold()
    terms = [folded]
    ascii_query = ascii_digits(folded)
    if PHONE_LIKE_QUERY.fullmatch(ascii_query):
        ascii_query = PHONE_NOISE.sub("", ascii_query) or ascii_query
    if ascii_query != folded:
        terms.append(ascii_query)
    return terms


def search_filter(query: str):
    """A WHERE clause matching the query in any name, username, email or phone, any case.

    `%`, `_` and `\\` are literal. A query that looks like a phone number also matches with
    its spaces, dashes and parentheses removed, as phones are stored.
    """
    return or_(*(search_index.holds(term) for term in search_terms(query)))


def matching_ids(account_id: int, query: str = "", role: str = "", status: str = "",
                 sort: Sort = NEWEST_FIRST, presence: str = "") -> Select:
    """Ids of the account's users that match the search and the filters, in `sort` order."""
    return _matches(account_id, query, role, status, sort, presence)[0]


def _matches(account_id: int, query: str, role: str, status: str,
             sort: Sort, presence: str = "") -> tuple[Select, Select]:
    """(the matching ids in `sort` order, the same ids in an order cheap to count).

    search_filter's rules decide what matches; an index finds the candidates (see
    webapp.search_index): users_grams for a term of one or two characters, which holds exactly
    the users whose text has it; the FTS5 trigram index on SQLite and pg_trgm on PostgreSQL
    for longer ones. Newest first, as the list opens and live search asks, a one-term search
    walks its index backwards and stops after a page, however many or few users match. Sorted
    otherwise, a search that the index says finds few users sorts just those; one that finds
    many walks the sort's own index, where a page of matches turns up within a few rows.
    """
    ids = select(User.id).where(User.account_id == account_id)
    if role in set(Role):
        ids = ids.where(User.role == role)
    if status in set(Status):
        ids = ids.where(User.status == status)
    if presence in set(Presence):
        # As everyone reads it: a stale Online is Offline here too (webapp.presence).
        ids = ids.where(shown_as(Presence(presence)))
    if not query.strip():
        # Counting needs no order, and without one a filter's own index can answer it.
        return ids.order_by(*sort.order_by()), ids
    terms = search_terms(query)
    dialect = db.session.get_bind().dialect.name
    walked = _newest_first(ids, account_id, query, terms, dialect,
                           filtered=bool({role, status, presence} - {""}))
    if walked is not None and sort == NEWEST_FIRST:
        return walked, walked
    found = ids.where(search_filter(query))
    if dialect == "postgresql" and not any(map(search_index.in_grams, terms)):
        return found.order_by(*sort.order_by()), found  # pg_trgm serves the LIKE itself
    indexed = [search_index.candidates(account_id, term, dialect) for term in terms]
    if None in indexed:
        return found.order_by(*sort.order_by()), found
    # Where the indexes find exactly the matches, the LIKE is left out of what they lead:
    # PostgreSQL, told of a LIKE, expects it to find almost nobody and reads every user.
    exact = all(search_index.finds_exactly(term, dialect) for term in terms)
    checked = ids if exact else found
    if any(count_up_to(each, FEW) > FEW for each in indexed):
        if walked is None and exact:  # counted through the indexes, not the LIKE
            walked = checked.where(User.id.in_(union(*(each.order_by(None)
                                                       for each in indexed))))
        return found.order_by(*sort.order_by()), found if walked is None else walked
    # Each at most FEW, so the LIMIT drops none; it keeps each index walk in its own order,
    # which is what keeps SQLite reading the index first.
    limited = [select(each.limit(FEW + 1).subquery().c.id) for each in indexed]
    few = checked.where(User.id.in_(union(*limited) if len(limited) > 1 else limited[0]))
    return _sorted(few, sort), few


# A search whose index finds at most this many of an account's users has them all sorted;
# one that finds more walks the sort's own index, in which matches then lie close together.
# Either way a page costs about this many rows at worst: at 100,000 users, sorting 2,000 or
# walking past 49 non-matching users for each of 25 matching ones (2,000 ≈ √(25 × 100,000)).
FEW = 2000


def _newest_first(ids: Select, account_id: int, query: str, terms: list[str], dialect: str,
                  filtered: bool) -> Select | None:
    """The matches newest first by walking one index backwards, or None when the terms need
    more than one index walk (or PostgreSQL's planner is left to pick for long ones)."""
    if len(terms) == 1 and search_index.in_grams(terms[0]):
        # Exact: no LIKE needed, and without a role or status filter `users` is not read.
        if not filtered:
            return search_index.gram_holders(account_id, terms[0], dialect)
        return search_index.narrow_to_gram(ids, account_id, terms[0], dialect)
    if search_index.can_narrow(dialect, terms):
        return search_index.narrow(ids.where(search_filter(query)), terms)
    return None


# Caps nothing (far above any account's users); a LIMIT keeps SQLite from flattening the
# gathered matches back into the query around them.
ALL_MATCHES = 2**62


def _sorted(matching: Select, sort: Sort) -> Select:
    """The few matches an index found, sorted by `sort`: gathered first (a materialized CTE),
    then only they are sorted, instead of walking the sort's index and testing every row."""
    matches = matching.limit(ALL_MATCHES).cte("matches").prefix_with("MATERIALIZED")
    return select(User.id).join(matches, User.id == matches.c.id).order_by(*sort.order_by())


@dataclass(frozen=True, slots=True)
class ListedDivision:
    name: str


@dataclass(frozen=True, slots=True)
class ListedUser:
    """What a row of the list shows of a user (webapp/templates/users/_row.html), read as plain
    columns: building ORM objects for a page cost more than its query. The created time comes
    formatted in the reader's zone and language (`created_title`, `created_date`)."""

    id: int
    first_name: str
    last_name: str
    username: str
    email: str
    phone: str
    role: Role
    status: Status
    division: ListedDivision | None
    created_at: datetime
    created_title: str
    created_date: str
    shown_presence: Presence

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE


LISTED_COLUMNS = (User.id, User.first_name, User.last_name, User.username, User.email,
                  User.phone, User.role, User.status, Division.name, User.created_at)


def users_with_ids(ids: Select, sort: Sort = NEWEST_FIRST) -> list[ListedUser]:
    """The users whose ids `ids` selects (one page), in `sort` order, with their divisions."""
    rows = db.session.execute(
        select(*LISTED_COLUMNS, shown_presence(utcnow()))
        .outerjoin(Division, Division.id == User.division_id)
        .where(User.id.in_(ids)).order_by(*sort.order_by())).all()
    zone, language = reader_zone(), current_language()
    listed = []
    for (user_id, first, last, username, email, phone, role, status, division,
         created_at, presence) in rows:
        local = created_at.replace(tzinfo=UTC).astimezone(zone)
        listed.append(ListedUser(
            user_id, first, last, username, email, phone, role, status,
            ListedDivision(division) if division is not None else None, created_at,
            _date_and_time(local.date(), local.hour, local.minute, language),
            _date(local.date(), language), presence))
    return listed


# A page's 25 created times, formatted by Babel one by one, took longer than its query; the
# pieces repeat (a date, a minute of the day), so each is formatted once. Together they read
# exactly as webapp.i18n.format_local_datetime and format_local_date write them.
@lru_cache(maxsize=4096)
def _date(day: date, language: str) -> str:
    return format_date(day, "medium", locale=language)


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, language: str) -> str:
    return format_time(time(hour, minute), "short", locale=language)


@lru_cache(maxsize=16)
def _date_time_pattern(language: str) -> str:
    return get_datetime_format("medium", locale=Locale.parse(language)).replace("'", "")


def _date_and_time(day: date, hour: int, minute: int, language: str) -> str:
    return _date_time_pattern(language).format(_clock(hour, minute, language),
                                               _date(day, language))


def list_users(account_id: int, query: str = "", role: str = "", page: int = 1,
               per_page: int = 25, status: str = "", sort: Sort = NEWEST_FIRST,
               presence: str = "") -> Page:
    """One page of the account's users matching the search and filters, in `sort` order."""
    ids, counted = _matches(account_id, query, role, status, sort, presence)
    return paginate(ids, partial(users_with_ids, sort=sort), page, per_page, counted)


def list_page(account_id: int, state: ListState, per_page: int) -> Page:
    """The page of users that a list state shows."""
    return list_users(account_id, state.query, state.role, state.page, per_page,
                      state.status, state.sort, state.presence)


def ids_from(args: Mapping[str, str], most: int = 100) -> list[int]:
    """The user ids a URL lists (`ids=3,2,1`): at most `most` of them; anything that is no
    id is left out."""
    ids = []
    for part in args.get("ids", "").split(",")[:most]:
        part = part.strip()
        if part.isascii() and part.isdigit() and len(part) <= 10 and 0 < int(part) <= LARGEST_ID:
            ids.append(int(part))
    return ids


def presences(account_id: int, user_ids: list[int]) -> list[tuple[int, Presence]]:
    """These users' presence as everyone reads it (the list's poll), by id; ids of other
    accounts' users are left out."""
    return list(db.session.execute(
        select(User.id, shown_presence(utcnow()))
        .where(User.account_id == account_id, User.id.in_(user_ids)).order_by(User.id)))
