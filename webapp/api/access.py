"""Who calls the API: a live token from `Authorization: Bearer <token>` (never a session
cookie), and how fast: at most API_RATE_LIMIT requests a second per token, counted in the
database so that every gunicorn worker shares one count."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, request
from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from ..chats.allocator import Actor
from ..database import write_transaction
from ..integrations.tokens import find_token
from ..models import ApiRateWindow, ApiToken, utcnow
from .errors import ApiError

# Tells a client without a (valid) token how to authenticate (RFC 6750).
CHALLENGE = "Bearer"
INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'  # noqa: S105  (no secret)


@dataclass(frozen=True)
class Caller:
    """The token a request came with: the account it acts for, and who it is in the chats'
    decision history."""

    token_id: int
    account_id: int
    actor: Actor


def current_caller() -> Caller:
    return g.api_caller


def authenticate() -> None:
    """Before each API view but the OpenAPI document: the caller's token, then the count."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, headers={"WWW-Authenticate": CHALLENGE})
    row = find_token(token)
    if row is None:
        raise ApiError(401, "invalid_token",
                       headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})
    g.api_caller = Caller(row.id, row.account_id, Actor.of_token(row))
    count_request(row.id, row.last_used_at)


def count_request(token_id: int, last_used_at: datetime | None) -> None:
    """Count this request in its token's window of the current second: 429 past the limit.

    One statement counts, INSERT … ON CONFLICT DO UPDATE … RETURNING (SQLite 3.35+ and
    PostgreSQL alike), in its own short write transaction, so simultaneous requests in any
    number of workers each see their own count. The first request of a new second deletes
    the token's older windows, so a token keeps a row or two. The token's last use is
    written at most once a minute (API_LAST_USED_RESOLUTION_SECONDS), not on every request.
    """
    second = int(time.time())
    now = utcnow()
    resolution = timedelta(seconds=current_app.config["API_LAST_USED_RESOLUTION_SECONDS"])
    with write_transaction() as session:
        requests = session.execute(counting_statement(session, token_id, second)).scalar_one()
        if requests == 1:
            session.execute(delete(ApiRateWindow).where(ApiRateWindow.token_id == token_id,
                                                        ApiRateWindow.second < second))
        if last_used_at is None or now - last_used_at >= resolution:
            # The condition again in the statement: another worker may have just written it.
            session.execute(update(ApiToken).where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - resolution),
            ).values(last_used_at=now))
    if requests > current_app.config["API_RATE_LIMIT"]:
        raise ApiError(429, headers={"Retry-After": "1"})


def counting_statement(session, token_id: int, second: int):
    """INSERT the window with 1 request, or add 1 to it; RETURNING the count."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(ApiRateWindow).values(token_id=token_id, second=second, requests=1)
    return insert.on_conflict_do_update(
        index_elements=[ApiRateWindow.token_id, ApiRateWindow.second],
        set_={"requests": ApiRateWindow.requests + 1},
    ).returning(ApiRateWindow.requests)
