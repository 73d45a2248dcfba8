"""Login throttling kept in the database, so it holds across workers and restarts.

Per account: 5 failures in a row are free (typos happen); each failure after that locks the
account for twice as long as the one before, 1 minute up to 15 minutes. While locked, logins
are refused with the same generic message, without checking the password, and do not extend
the lock, so an attacker cannot keep a real user out for longer than 15 minutes at a time.

Per address: 30 failed logins from one address within 15 minutes refuses further attempts
from it until the window moves on; this covers guessing across many usernames.

Every attempt is written as a LoginAttempt *before* its password is checked, in one write
transaction with the checks above, so simultaneous attempts each see the ones in flight
before them. An attempt whose outcome is still unknown counts against the limits as if it
failed; when that alone would refuse a new attempt, the new one waits for those in flight
to finish instead (`Verdict.WAIT`). So 20 simultaneous guesses get no more checks than 20
guesses one after another, and 10 simultaneous *correct* logins all succeed: a correct
password is never counted as a failure, not even a neighbour's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, auto

from sqlalchemy import and_, delete, func, or_, select, text

from ..extensions import db
from ..models import AttemptOutcome, LoginAttempt, User, utcnow

FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)
ADDRESS_WINDOW_MINUTES = 15
ADDRESS_WINDOW = timedelta(minutes=ADDRESS_WINDOW_MINUTES)
ADDRESS_MAX_FAILURES = 30
# A password check takes well under a second; an attempt still unfinished after this was
# cut off (a worker killed mid-check) and counts as failed rather than in flight.
IN_FLIGHT_LIFETIME = timedelta(seconds=30)
# Attempts are kept this long (the address window, with a margin), then deleted.
KEEP_ATTEMPTS = timedelta(days=1)


class Verdict(Enum):
    CHECK = auto()  # check the password against `password_hash`
    LOCKED = auto()  # the account is locked: refuse without checking
    ADDRESS_REFUSED = auto()  # too many failures from this address
    WAIT = auto()  # attempts in flight may decide this one: ask again shortly


@dataclass(frozen=True)
class Claim:
    verdict: Verdict
    attempt_id: int | None = None
    password_hash: str | None = None


def lock_duration(failures: int) -> timedelta | None:
    """How long the account locks after this many consecutive failures, if at all."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES), LONGEST_LOCK)


def claim_attempt(address: str, user: User | None) -> Claim:
    """Decide whether this attempt may check a password, and if so write it down first.

    Runs inside a write transaction: SQLite's BEGIN IMMEDIATE serializes it; on PostgreSQL
    an advisory lock per address and the user's row lock do.
    """
    now = utcnow()
    _serialize_address(address)
    failed, in_flight = _address_counts(address, now)
    if failed >= ADDRESS_MAX_FAILURES:
        return Claim(Verdict.ADDRESS_REFUSED)
    if failed + in_flight >= ADDRESS_MAX_FAILURES:
        return Claim(Verdict.WAIT)
    if user is None:
        return Claim(Verdict.CHECK, _add_attempt(address, None, now))
    row = db.session.execute(
        select(User.failed_logins, User.locked_until, User.password_hash)
        .where(User.id == user.id).with_for_update()).one()
    failed_logins, locked_until = _count_cut_off_attempts(user, row, now)
    if locked_until is not None and locked_until > now:
        _add_attempt(address, user.id, now, AttemptOutcome.FAILED)
        return Claim(Verdict.LOCKED)
    user_in_flight = _user_in_flight(user.id, now)
    if user_in_flight and failed_logins + user_in_flight >= FREE_FAILURES:
        return Claim(Verdict.WAIT)
    return Claim(Verdict.CHECK, _add_attempt(address, user.id, now), row.password_hash)


def finish_attempt(attempt_id: int, user: User | None, outcome: AttemptOutcome) -> bool:
    """Write the attempt's outcome and the user's failure count; True when this failure is
    the one that locked the account. Runs in the write transaction that records the login.
    Only a wrong password counts as a failure; a right one refused (the account disabled
    meanwhile) neither counts nor resets the count."""
    db.session.execute(
        LoginAttempt.__table__.update().where(LoginAttempt.id == attempt_id).values(
            outcome=outcome))
    if user is None or outcome is AttemptOutcome.REFUSED:
        return False
    if outcome is AttemptOutcome.SUCCEEDED:
        user.update_quietly(failed_logins=0, locked_until=None)
        return False
    failures, _ = _count_failures(user, user.failed_logins, user.locked_until, 1, utcnow())
    return lock_duration(failures) is not None


def _count_failures(user: User, failed_logins: int, locked_until: datetime | None,
                    more: int, now: datetime) -> tuple[int, datetime | None]:
    """Add `more` failures to the user's count, locking as lock_duration says; returns the
    new count and lock."""
    failures = failed_logins + more
    duration = lock_duration(failures)
    if duration:
        locked_until = now + duration
    user.update_quietly(failed_logins=failures, locked_until=locked_until)
    return failures, locked_until


def _count_cut_off_attempts(user: User, row, now: datetime) -> tuple[int, datetime | None]:
    """Attempts of this user still unfinished after IN_FLIGHT_LIFETIME were cut off (a
    worker killed mid-check): count each as a failure now, so killing workers cannot buy
    an attacker more checks. Returns the failure count and lock after that."""
    cut_off = db.session.execute(
        LoginAttempt.__table__.update().where(
            LoginAttempt.user_id == user.id, LoginAttempt.outcome.is_(None),
            LoginAttempt.started_at < now - IN_FLIGHT_LIFETIME,
        ).values(outcome=AttemptOutcome.FAILED)).rowcount
    if not cut_off:
        return row.failed_logins, row.locked_until
    return _count_failures(user, row.failed_logins, row.locked_until, cut_off, now)


def address_failures(address: str) -> int:
    """Failed attempts from this address within the window (in flight ones not counted)."""
    return _address_counts(address, utcnow())[0]


def forget_old_attempts() -> None:
    """Delete attempts older than any limit looks back; cheap with the address index."""
    db.session.execute(delete(LoginAttempt).where(
        LoginAttempt.started_at < utcnow() - KEEP_ATTEMPTS))


def _serialize_address(address: str) -> None:
    # PostgreSQL: one claim per address at a time, until the transaction ends. SQLite's
    # write transactions are serialized already.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": "login-address:" + address})


def _address_counts(address: str, now: datetime) -> tuple[int, int]:
    """(failed, in flight) attempts from this address within the window."""
    cut_off = now - IN_FLIGHT_LIFETIME
    unfinished = LoginAttempt.outcome.is_(None)
    failed = or_(LoginAttempt.outcome == AttemptOutcome.FAILED,
                 and_(unfinished, LoginAttempt.started_at < cut_off))
    in_flight = and_(unfinished, LoginAttempt.started_at >= cut_off)
    row = db.session.execute(
        select(func.count().filter(failed), func.count().filter(in_flight))
        .where(LoginAttempt.address == address,
               LoginAttempt.started_at >= now - ADDRESS_WINDOW)).one()
    return row[0], row[1]


def _user_in_flight(user_id: int, now: datetime) -> int:
    return db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.user_id == user_id, LoginAttempt.outcome.is_(None),
        LoginAttempt.started_at >= now - IN_FLIGHT_LIFETIME))


def _add_attempt(address: str, user_id: int | None, now: datetime,
                 outcome: AttemptOutcome | None = None) -> int:
    attempt = LoginAttempt(address=address, user_id=user_id, outcome=outcome, started_at=now)
    db.session.add(attempt)
    db.session.flush()
    return attempt.id
