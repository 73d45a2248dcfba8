"""Paging through long lists without counting every row on every request."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from .extensions import db
from .i18n import format_number

# Counting every match of a broad search costs as much as reading them all, and at 100,000
# rows that would dominate each request. So the count stops this many rows past the current
# page; the list then says "more than N", and paging onward counts further.
COUNT_AHEAD = 500
# Far past any real list, and small enough that page * page size never overflows a query.
LAST_PAGE = 100_000


# `?page=last` in a URL: the last page, whatever its number (paginate clamps to it).
LAST_PAGE_WORD = "last"
# How many page numbers the pager shows on each side of the current one.
NUMBERS_AROUND = 2


def bounded_page(page: int | None) -> int:
    """A page number from a URL, within 1..LAST_PAGE."""
    return min(max(page or 1, 1), LAST_PAGE)


def requested_page(value: str | None) -> int:
    """The page a URL asks for: a number, or "last" (LAST_PAGE, which paginate turns into
    the real last page); anything else is page 1."""
    if value == LAST_PAGE_WORD:
        return LAST_PAGE
    try:
        return bounded_page(int(value or 1))
    except ValueError:
        return 1


def page_argument(page: int) -> str | int | None:
    """A page as its URL argument, the inverse of requested_page: None for page 1 (the
    list's default), "last" for the jump to the last page, else the number."""
    if page <= 1:
        return None
    return LAST_PAGE_WORD if page == LAST_PAGE else page


class AtLeast(int):
    """A count that stopped early: the true number is this or more. As a number it is a
    true lower bound, so comparisons such as `pages > 1` stay right; Page's labels say
    "more than N" for it."""


def count_number(count: int) -> int:
    """The number a count's label says: the count, or the N of "more than N"."""
    return count - 1 if isinstance(count, AtLeast) else int(count)


def count_label(count: int) -> str:
    """A count for people: "1,234", or "more than 1,234" for a count that stopped early,
    in the reader's language. A sentence around a count writes both cases in full instead
    (count_number, and total_is_exact), so translators see whole sentences."""
    number = format_number(count_number(count))
    return _("more than %(num)s", num=number) if isinstance(count, AtLeast) else number


def count_up_to(ids: Select, limit: int) -> int:
    """How many rows `ids` finds, or AtLeast(limit + 1): never reads more than that many."""
    found = db.session.scalar(select(func.count()).select_from(ids.limit(limit + 1).subquery()))
    return AtLeast(found) if found > limit else found


def page_count(total: int, per_page: int) -> int:
    pages = max(1, -(-total // per_page))
    return AtLeast(pages) if isinstance(total, AtLeast) else pages


@dataclass(frozen=True)
class Page:
    items: list
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
    def total_number(self) -> int:
        """The total as a sentence says it: exact, or the N of "more than N"."""
        return count_number(self.total)

    @property
    def pages_number(self) -> int:
        """The number of pages as a sentence says it: exact, or the N of "more than N"."""
        return count_number(self.pages)

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

    @property
    def is_last(self) -> bool:
        return self.total_is_exact and self.page == self.pages

    @property
    def last_link(self) -> int:
        """The page a "last" link asks for: its number, or LAST_PAGE when the count stopped
        early and the number is unknown (paginate shows the real last page for it)."""
        return self.pages if self.total_is_exact else LAST_PAGE

    def numbers(self, around: int = NUMBERS_AROUND) -> list[int | None]:
        """The page numbers a pager shows: the first, those around the current page, and
        the last when the count is exact; None where numbers are left out ("…"). Past a
        count that stopped early the last page is unknown, so the list ends in a gap."""
        shown = sorted({1, *range(max(1, self.page - around),
                                  min(self.pages, self.page + around) + 1)}
                       | ({self.pages} if self.total_is_exact else set()))
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number > numbers[-1] + 1:
                numbers.append(None)
            numbers.append(number)
        if not self.total_is_exact:
            numbers.append(None)
        return numbers


def paginate(ids: Select, load: Callable[[Select], list], page: int, per_page: int,
             counted: Select | None = None) -> Page:
    """One page of the ordered id query `ids`; `load` turns one page of ids into its rows.
    `counted`, when given, selects the same ids in an order cheaper to count by than theirs.

    The page's ids come first (however deep the page, an index-only walk), then just their
    rows: reading whole rows only to skip them would cost far more. A page past the end
    shows the last page, not an empty one; LAST_PAGE ("?page=last") counts first, so as
    not to walk past the end once before.
    """
    def rows_of(number: int) -> list:
        return load(ids.limit(per_page).offset((number - 1) * per_page))

    page = max(page, 1)
    items = rows_of(page) if page < LAST_PAGE else None
    if items is not None and len(items) < per_page and (items or page == 1):
        # A page that is not full is the last one: its rows tell the total, no count needed.
        return Page(items, (page - 1) * per_page + len(items), page, per_page)
    total = count_up_to(ids if counted is None else counted,
                        (page - 1) * per_page + COUNT_AHEAD)
    if items is None or page > page_count(total, per_page):
        page = min(page, page_count(total, per_page))
        items = rows_of(page)
    return Page(items, total, page, per_page)
