"""Login throttling kept in the database, so it holds across workers and restarts.

Per account: 5 failures in a row are free (typos happen); each failure after that locks the
account for twice as long as the one before, 1 minute up to 15 minutes. While locked, logins
are refused with the same generic message, without checking the password, and do not extend
the lock, so an attacker cannot keep a real user out for longer than 15 minutes at a time.

Per address: 30 failed logins from one address within 15 minutes refuses further attempts
from it until the window moves on; this covers guessing across many usernames.
"""

from datetime import datetime, timedelta

from sqlalchemy import update

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


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def record_failure(user: User) -> bool:
    """Count a failed login; True when this failure locks the account.

    The count goes up in the database itself, so simultaneous guesses cannot overwrite
    each other's count and slip under the lockout."""
    failures = db.session.execute(
        update(User).where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
    ).scalar_one()
    duration = lock_duration(failures)
    if duration:
        user.update_quietly(locked_until=utcnow() + duration)
    return duration is not None


def record_success(user: User) -> None:
    if user.failed_logins or user.locked_until:
        user.update_quietly(failed_logins=0, locked_until=None)


def address_window_start() -> datetime:
    return utcnow() - ADDRESS_WINDOW
