"""API tokens (SPEC §8): created by an Admin (Settings → Integrations) or on the command line,
shown once, kept only as a SHA-256, revocable. A token acts for its account only."""

import hashlib
import secrets

from sqlalchemy import select

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import ApiToken, AuditAction, User, utcnow

# Every token starts so, which tells a reader (and a secret scanner) what it is.
TOKEN_PREFIX = "oam_"  # noqa: S105  (a prefix, not a secret)
# How much of a token is kept in clear to tell tokens apart in the list.
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 6


def new_token() -> str:
    """A new token: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token. A fast hash suffices: the token is 256 random bits, so
    there is no dictionary to try against a leaked hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def shown_part(row: ApiToken) -> str:
    """How the list and the Activity log tell a token apart from others of the same name:
    its first characters, "oam_Xy12ab…" (never more of it)."""
    return f"{row.prefix}…"


def create_token(account_id: int, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """A new token for the account, and the token itself (never stored: show it once)."""
    token = new_token()
    with write_transaction():
        row = ApiToken(account_id=account_id, name=name, token_hash=token_hash(token),
                       prefix=token[:SHOWN_CHARACTERS],
                       created_by_name=actor.username if actor else "")
        db.session.add(row)
        db.session.flush()
        audit.record(AuditAction.API_TOKEN_CREATED, account_id=account_id, actor=actor,
                     target_name=name, details=shown_part(row),
                     facts=None if actor else {"actor": audit.COMMAND_LINE})
        return row, token


def revoke_token(row: ApiToken, actor: User) -> None:
    """Refuse the token from now on; it stays listed as revoked. Revoking twice is once."""
    with write_transaction():
        # Locked, so that of two Admins revoking at once on PostgreSQL one does it and the
        # other finds it done (SQLite's write transaction already lets one in at a time).
        db.session.refresh(row, with_for_update=True)
        if row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        audit.record(AuditAction.API_TOKEN_REVOKED, account_id=row.account_id, actor=actor,
                     target_name=row.name, details=shown_part(row))


def find_token(token: str) -> ApiToken | None:
    """The live (not revoked) token row for a bearer token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None)))
