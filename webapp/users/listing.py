"""Finding users: search, the role filter, and paging through an account's users."""

import re

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from .. import search_index
from ..extensions import db
from ..identity import ascii_digits
from ..models import Role, User
from ..paging import Page, paginate

LIKE_SPECIALS = re.compile(r"([\\%_])")
PHONE_LIKE_QUERY = re.compile(r"[+0-9\s()-]+")
PHONE_NOISE = re.compile(r"[\s()-]")


def _like_pattern(text: str) -> str:
    return "%" + LIKE_SPECIALS.sub(r"\\\1", text) + "%"


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


def users_with_ids(ids: Select) -> list[User]:
    """The users whose ids `ids` selects, newest first, with their divisions."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(ids))
        .options(joinedload(User.division)).order_by(User.id.desc())
    ))


def list_users(account_id: int, query: str = "", role: str = "", page: int = 1,
               per_page: int = 25) -> Page:
    """One page of the account's users matching the search, newest first."""
    return paginate(matching_ids(account_id, query, role), users_with_ids, page, per_page)
