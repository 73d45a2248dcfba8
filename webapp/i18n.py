"""The language a page is read in: English or Bahasa Indonesia (SPEC section 9).

Flask-Babel translates; this module chooses. The choice is, in order: the user's own (saved
on the user, kept in the session too), the anonymous visitor's (the session), the browser's
Accept-Language, English. Every string a person reads goes through `_()` / `gettext` (see
the README's "Translations"), and dates and numbers are formatted for the chosen locale.
"""

from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal
from flask import Flask, Response, g, has_request_context, request, session
from flask_babel import Babel, get_locale

# Codes and each language's own name for itself, as the switcher shows it.
LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
DEFAULT_LANGUAGE = "en"
# Indonesian's code before 1989, which older Java and Android still send ("in-ID").
OLD_CODES = {"in": "id"}
SESSION_KEY = "language"


def chosen_language() -> str:
    """The language of this request (Flask-Babel's locale selector).

    It never loads the user: error pages render when the database cannot. A logged-in user's
    saved choice is in the session from login on (webapp.auth.sessions.start), and in the
    user already loaded for this request.
    """
    if not has_request_context():
        return DEFAULT_LANGUAGE
    user = g.get("_login_user")  # Flask-Login's user for this request, if loaded
    # What is loaded only: an expired attribute would be read from the database.
    saved = vars(user).get("language", "") if user is not None else ""
    if saved in LANGUAGES:
        return saved
    if session.get(SESSION_KEY) in LANGUAGES:
        return session[SESSION_KEY]
    best = request.accept_languages.best_match([*LANGUAGES, *OLD_CODES],
                                               default=DEFAULT_LANGUAGE)
    return OLD_CODES.get(best, best)


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def remember_for_session(language: str) -> None:
    """Keep `language` for the rest of this browser session (a visitor, or a user's copy)."""
    if language in LANGUAGES:
        session[SESSION_KEY] = language


def format_number(value: int | float) -> str:
    """12345 as "12,345" in English and "12.345" in Indonesian."""
    return _formatted_number(value, current_language())


# Babel takes longer to format a number than a list page takes to render a row, and pages
# show the same few (counts, page numbers) again and again.
@lru_cache(maxsize=4096)
def _formatted_number(value: int | float, language: str) -> str:
    return format_decimal(value, locale=language)


def format_local_datetime(value) -> str:
    """An aware datetime as the locale writes a date and a time without seconds:
    "Nov 23, 2026, 1:05 PM" / "23 Nov 2026 13.05"."""
    locale = Locale.parse(current_language())
    pattern = get_datetime_format("medium", locale=locale).replace("'", "")
    return pattern.format(format_time(value, "short", locale=locale),
                          format_date(value, "medium", locale=locale))


def format_local_date(value) -> str:
    """The date alone of an aware datetime: "Nov 23, 2026" / "23 Nov 2026"."""
    return format_date(value, "medium", locale=current_language())


def vary_on_language(response: Response) -> Response:
    """A page's words depend on Accept-Language (and on the session cookie, which Flask
    already declares when the session is read): shared caches must keep them apart. A page
    says which language it is in (Content-Language), as its <html lang> does."""
    if request.endpoint != "static":
        response.vary.add("Accept-Language")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", current_language())
    return response


def init_app(app: Flask) -> None:
    # One Babel per app: its catalogue cache is the app's own, so an app reading other
    # catalogues (BABEL_TRANSLATION_DIRECTORIES) in the same process never shares words.
    Babel(app, locale_selector=chosen_language, default_translation_directories="translations")
    app.after_request(vary_on_language)
    app.add_template_global(current_language)
    app.add_template_global(LANGUAGES, "languages")
    app.add_template_filter(format_number, "number")
