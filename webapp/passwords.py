"""The password rules of the spec, shared by every form that sets a password."""

from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from .database import end_read_transaction

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


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
        found.append(f"Password must be {MIN_LENGTH}–{MAX_LENGTH} characters long.")
    elif is_common(password):
        found.append("Password is too common; choose one that is harder to guess.")
    folded = password.casefold()
    if folded and folded in {username.casefold(), email.casefold()}:
        found.append("Password must not be the same as the username or email.")
    return found


def hash_unlocked(password: str, method: str) -> str:
    """Hash a new password after ending the (read-only) transaction so far."""
    end_read_transaction()
    return generate_password_hash(password, method=method)


def check_unlocked(stored_hash: str, password: str) -> bool:
    """Check a password against its stored hash after ending the transaction so far."""
    end_read_transaction()
    return check_password_hash(stored_hash, password)


def needs_rehash(stored_hash: str, method: str) -> bool:
    """True when the stored hash was made with other parameters than `method`."""
    return not stored_hash.startswith(method + "$")
