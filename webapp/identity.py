"""The one form of what identifies a user: username keys, email addresses and phone numbers.

Text that looks the same to a person must not make a second account, so every path that
stores or looks up one of these goes through the functions here.
"""

import re
import unicodedata

from email_validator import validate_email

# Explicit ASCII ranges and no IGNORECASE: under Unicode case folding [a-z] would also match
# the Kelvin sign (U+212A), whose lower case is an ASCII "k".
USERNAME = re.compile(r"[A-Za-z0-9._-]{3,32}")
PHONE_SEPARATORS = re.compile(r"[\s-]")


def username_key(text: str) -> str | None:
    """The lookup key of a typed username, the form the unique index `lower(username)` holds,
    or None when the text cannot be a username.

    Anything outside ASCII is refused rather than folded: Python's lower() turns the Kelvin
    sign (U+212A) into an ASCII "k", so "\u212Aelvin.k" would log in as "kelvin.k".
    """
    text = text.strip()
    if not USERNAME.fullmatch(text):
        return None
    return text.lower()  # ASCII only, so this is exactly what SQL's lower() gives


def normalize_email(text: str) -> str:
    """The stored form of an email address; raises ValueError (email-validator's
    EmailNotValidError) when the text is no address.

    NFKC first, so that full-width and other compatibility letters become the letters they
    show; then lower case (the spec stores addresses in lower case, and NFKC can yield
    capitals, so this order); then email-validator's form, which puts the local part in NFC
    and the domain through IDNA (UTS #46), so "xn--exmple-cua.com" and "exämple.com" are one.

    The domain is kept in Unicode, not punycode: admins read these addresses in the users
    list and search them as they would type them, and the local part may be Unicode anyway,
    so an all-ASCII form is not available for every address.
    """
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    return validate_email(folded, check_deliverability=False).normalized


def ascii_digits(text: str) -> str:
    """The text with every Unicode decimal digit (Arabic-Indic, Devanagari, full-width …)
    replaced by its ASCII digit; all other characters stay."""
    return "".join(_ascii_digit(char) for char in text)


def _ascii_digit(char: str) -> str:
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def normalize_phone(text: str | None) -> str:
    """A typed phone number as stored: ASCII digits, without spaces and dashes."""
    return PHONE_SEPARATORS.sub("", ascii_digits(text or ""))
