"""Finding users: search, the role filter, and paging through an account's users."""

import re
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from .. import search_index
from ..extensions import db
from ..models import Role, User

LIKE_SPECIALS = re.compile(r"([\\%_])")
PHONE_LIKE_QUERY = re.compile(r"^[+\d\s()-]+$")
PHONE_NOISE = re.compile(r"[\s()-]")


def _like_pattern(text: str) -> str:
    return "%" + LIKE_SPECIALS.sub(r"\\\1", text) + "%"


def search_terms(query: str) -> list[str]:
    """What a query looks for in search_text: itself case-folded, and when it looks like a
    phone number also its digits alone, as phones are stored."""
    folded = query.strip().casefold()
    terms = [folded]
    if PHONE_LIKE_QUERY.fullmatch(folded):
        digits = PHONE_NOISE.sub("", folded)
        if digits and digits != folded:
            terms.append(digits)
    return terms


def search_filter(query: str):
    """A WHERE clause matching the query in any name, username, email or phone, any case.

    `%`, `_` and `\\` are literal. A query that looks like a phone number also matches with
    its spaces, dashes and parentheses removed, as phones are stored.
    """
    return or_(*(User.search_text.like(_like_pattern(term), escape="\\")
                 for term in search_terms(query)))


def matching_ids(account_id: int, query: str = "", role: str = "") -> Select:
    """Ids of the account's users that match the search and the role filter, newest first.

    search_filter alone decides what matches. On SQLite a query of three or more characters
    first goes through the FTS5 trigram index, so that only candidate rows are read; on
    PostgreSQL the pg_trgm index serves the same LIKE directly (see webapp.search_index).
    """
    ids = select(User.id).where(User.account_id == account_id)
    if role in set(Role):
        ids = ids.where(User.role == role)
    if not query.strip():
        return ids.order_by(User.id.desc())
    ids = ids.where(search_filter(query))
    terms = search_terms(query)
    if search_index.can_narrow(db.session.get_bind().dialect.name, terms):
        return search_index.narrow(ids, terms)
    return ids.order_by(User.id.desc())


# Counting every match of a broad search costs as much as reading them all, and at 100,000
# users that would dominate each request. So the count stops this many rows past the current
# page; the list then says "more than N", and paging onward counts further.
COUNT_AHEAD = 500


class AtLeast(int):
    """A count that stopped early: the true number is this or more. As a number it is a
    true lower bound, so comparisons such as `pages > 1` stay right; UserPage's labels
    say "more than N" for it."""


def count_label(count: int) -> str:
    return f"more than {count - 1}" if isinstance(count, AtLeast) else str(count)


def count_up_to(ids: Select, limit: int) -> int:
    """How many rows `ids` finds, or AtLeast(limit + 1): never reads more than that many."""
    found = db.session.scalar(select(func.count()).select_from(ids.limit(limit + 1).subquery()))
    return AtLeast(found) if found > limit else found


def page_count(total: int, per_page: int) -> int:
    pages = max(1, -(-total // per_page))
    return AtLeast(pages) if isinstance(total, AtLeast) else pages


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int  # an AtLeast when counting stopped early
    page: int
    per_page: int

    @property
    def total_is_exact(self) -> bool:
        return not isinstance(self.total, AtLeast)

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def total_label(self) -> str:
        return count_label(self.total)

    @property
    def pages_label(self) -> str:
        return count_label(self.pages)

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def users_on_page(ids: Select, page: int, per_page: int) -> list[User]:
    """The users of one page of `ids`, with their divisions.

    The page's ids come first (however deep the page, an index-only walk), then just their
    rows: reading whole rows only to skip them would cost far more.
    """
    on_page = ids.limit(per_page).offset((page - 1) * per_page)
    return list(db.session.scalars(
        select(User).where(User.id.in_(on_page))
        .options(joinedload(User.division)).order_by(User.id.desc())
    ))


def list_users(account_id: int, query: str = "", role: str = "", page: int = 1,
               per_page: int = 25) -> UserPage:
    """One page of the account's users matching the search, newest first."""
    ids = matching_ids(account_id, query, role)
    page = max(page, 1)
    users = users_on_page(ids, page, per_page)
    if len(users) < per_page and (users or page == 1):
        # A page that is not full is the last one: its rows tell the total, no count needed.
        return UserPage(users, (page - 1) * per_page + len(users), page, per_page)
    total = count_up_to(ids, (page - 1) * per_page + COUNT_AHEAD)
    if page > page_count(total, per_page):  # past the end: the last page, not an empty one
        page = page_count(total, per_page)
        users = users_on_page(ids, page, per_page)
    return UserPage(users, total, page, per_page)
