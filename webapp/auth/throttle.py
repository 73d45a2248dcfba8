"""Login throttling kept in the database, so it holds across workers and restarts.

Per account: 5 failures in a row are free (typos happen); each failure after that locks the
account for twice as long as the one before, 1 minute up to 15 minutes. While locked, logins
are refused with the same generic message, without checking the password, and do not extend
the lock, so an attacker cannot keep a real user out for longer than 15 minutes at a time.

Per address: 30 failed logins from one address within 15 minutes refuses further attempts
from it until the window moves on; this covers guessing across many usernames.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import User, utcnow

FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)
ADDRESS_WINDOW_MINUTES = 15
ADDRESS_WINDOW = timedelta(minutes=ADDRESS_WINDOW_MINUTES)
ADDRESS_MAX_FAILURES = 30


def lock_duration(failures: int) -> timedelta | None:
    """How long the account locks after this many consecutive failures, if at all."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES), LONGEST_LOCK)


def claim_attempt(user: User) -> str | None:
    """Count this login attempt as a failure before its password is checked, and return the
    password hash to check it against; None when the account is locked.

    Counting first (with the row locked, and committed before the slow hash) means that
    simultaneous guesses each see the ones before them: the fifth one finds the account
    locked, however many arrive at once. A correct password then undoes its own count.
    """
    row = db.session.execute(
        select(User.failed_logins, User.locked_until, User.password_hash)
        .where(User.id == user.id).with_for_update()
    ).one()
    now = utcnow()
    if row.locked_until is not None and row.locked_until > now:
        return None
    failures = row.failed_logins + 1
    duration = lock_duration(failures)
    user.update_quietly(failed_logins=failures,
                        locked_until=now + duration if duration else row.locked_until)
    return row.password_hash


def locked_by(user: User) -> bool:
    """True when this (counted, failed) attempt is one that locked the account."""
    return lock_duration(user.failed_logins) is not None


def record_success(user: User) -> None:
    user.update_quietly(failed_logins=0, locked_until=None)


def address_window_start() -> datetime:
    return utcnow() - ADDRESS_WINDOW
