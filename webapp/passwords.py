"""The password rules of the spec, shared by every form that sets a password."""

import threading
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from .database import in_write_transaction

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"
# The rules in one line, shown under every new-password field before anything is submitted.
RULES = _l("%(min)d–%(max)d characters, not a common password, not the username or email.",
           min=MIN_LENGTH, max=MAX_LENGTH)


@cache
def common_passwords() -> frozenset[str]:
    """SecLists' most common passwords of 12+ characters, case-folded; loaded once.

    `make install` writes the file; without it the app must not quietly accept weak passwords,
    so a missing file is an error.
    """
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8", errors="replace") as lines:
        return frozenset(line.rstrip("\n").casefold() for line in lines if line.strip())


def is_common(password: str) -> bool:
    return password.casefold() in common_passwords()


def problems(password: str, username: str = "", email: str = "") -> list[str]:
    """What makes this password unacceptable, in words for the admin; empty when it is fine."""
    found = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        found.append(_("Password must be %(min)d–%(max)d characters long.",
                       min=MIN_LENGTH, max=MAX_LENGTH))
    elif is_common(password):
        found.append(_("Password is too common; choose one that is harder to guess."))
    folded = password.casefold()
    if folded and folded in {username.casefold(), email.casefold()}:
        found.append(_("Password must not be the same as the username or email."))
    return found


# scrypt at N=2^16 holds 64 MiB while it runs. One hash at a time per process keeps a
# worker's peak at one such buffer however many of its threads log people in; on a small
# VPS the CPU could not run two hashes faster anyway.
_one_hash_at_a_time = threading.Lock()


def _refuse_inside_a_write() -> None:
    # 0.1–0.2 s of scrypt inside a write transaction would make every other writer wait
    # behind it (SQLite's write lock); hash first, then open the transaction.
    if in_write_transaction():
        raise RuntimeError("Password hashing inside write_transaction(); hash before it.")


def hash_password(password: str, method: str) -> str:
    """A new hash of `password`; call it before opening the write transaction."""
    _refuse_inside_a_write()
    with _one_hash_at_a_time:
        return generate_password_hash(password, method=method)


def check_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches `stored_hash`; call it outside any write transaction."""
    _refuse_inside_a_write()
    with _one_hash_at_a_time:
        return check_password_hash(stored_hash, password)


def needs_rehash(stored_hash: str, method: str) -> bool:
    """True when the stored hash was made with other parameters than `method`."""
    return not stored_hash.startswith(method + "$")
