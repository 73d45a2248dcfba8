"""The one form of usernames, emails and phones (webapp.identity), without the app."""

import pytest

from webapp.identity import ascii_digits, normalize_email, normalize_phone, username_key


@pytest.mark.parametrize("typed, key", [
    ("kelvin.k", "kelvin.k"),
    ("Kelvin.K", "kelvin.k"),
    ("  Ann_Lee-2  ", "ann_lee-2"),   # surrounding spaces are not part of a name
    ("abc", "abc"),
    ("x" * 32, "x" * 32),
])
def test_username_key_is_the_lower_case_of_an_ascii_username(typed, key):
    assert username_key(typed) == key


@pytest.mark.parametrize("typed", [
    "\u212Aelvin.k",         # KELVIN SIGN: its lower case is an ASCII "k"
    "\uff4belvin.k",         # FULL-WIDTH k
    "kelv\u0131n.k",         # dotless i, which upper-cases to an ASCII "I"
    "\u017Fam.k",            # LONG S, which upper-cases to an ASCII "S"
    "ﬀoo",                   # the "ff" ligature, which NFKC turns into "ff"
    "zoë", "ab", "x" * 33, "ann lee", "an\nn", "", "   ",
])
def test_username_key_refuses_what_cannot_be_a_username(typed):
    assert username_key(typed) is None


@pytest.mark.parametrize("typed, stored", [
    ("Owner@Example.com", "owner@example.com"),
    ("owner@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "owner@example.com"),
    ("\uff2f\uff57\uff4e\uff45\uff52@example.com", "owner@example.com"),  # full-width local
    ("owner\uff20example.com", "owner@example.com"),                     # full-width @
    ("zoe\u0308@example.com", "zo\u00eb@example.com"),                  # NFD becomes NFC
    ("ZO\u00cb@example.com", "zo\u00eb@example.com"),
    ("x@ex\u00e4mple.com", "x@ex\u00e4mple.com"),
    ("x@xn--exmple-cua.com", "x@ex\u00e4mple.com"),                     # punycode domain
    ("x@XN--EXMPLE-CUA.COM", "x@ex\u00e4mple.com"),
    ("x@EXA\u0308MPLE.com", "x@ex\u00e4mple.com"),
    ("  ann@example.com ", "ann@example.com"),
])
def test_normalize_email_gives_one_form_for_what_looks_alike(typed, stored):
    assert normalize_email(typed) == stored
    assert normalize_email(stored) == stored  # the stored form is its own normal form


@pytest.mark.parametrize("typed", ["not-an-email", "a@b", "@example.com", "a@", "", "a@xn--.com"])
def test_normalize_email_refuses_what_is_no_address(typed):
    with pytest.raises(ValueError):
        normalize_email(typed)


@pytest.mark.parametrize("typed, ascii", [
    ("+\u0666\u0662\u0668\u0661\u0662", "+62812"),    # Arabic-Indic
    ("\u06f1\u06f2\u06f3", "123"),                     # Extended Arabic-Indic (Persian)
    ("\u0968\u0969\u096a", "234"),                     # Devanagari
    ("\uff11\uff12\uff13", "123"),                     # full-width
    ("0215551234", "0215551234"),
    ("ann \u0663", "ann 3"),                           # other characters stay
    ("\u00b2", "\u00b2"),                              # superscript two is not a decimal digit
])
def test_ascii_digits(typed, ascii):
    assert ascii_digits(typed) == ascii


@pytest.mark.parametrize("typed, stored", [
    ("+62 812-3456-7890", "+6281234567890"),
    ("+\u0666\u0662 \u0668\u0661\u0662-\u0663\u0664\u0665\u0666-\u0667\u0668\u0669\u0660",
     "+6281234567890"),
    ("", ""),
    (None, ""),
])
def test_normalize_phone(typed, stored):
    assert normalize_phone(typed) == stored
