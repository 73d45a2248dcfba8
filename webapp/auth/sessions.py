"""Session lifetime: a fresh session at login, 30 minutes idle, 12 hours at most."""

import time

from flask import Flask, flash, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from .. import i18n
from ..api import is_api_request
from ..extensions import login_manager
from ..models import User

IDLE_TIMEOUT_SECONDS = 30 * 60
ABSOLUTE_TIMEOUT_SECONDS = 12 * 3600
EXPIRED_MESSAGE = _l("Your session has expired. Please log in again.")
# Note a visit at most once a minute, so most responses need no new session cookie.
SEEN_RESOLUTION_SECONDS = 60
# Requests that never concern a session: static files, and /healthz, which must answer
# when the database does not (a login cookie's user is loaded from it) and log no one out.
SESSIONLESS_ENDPOINTS = {"static", "health.healthz"}


def start(user: User) -> None:
    """Log in on a brand-new session: nothing from before the login carries over but the
    language it is read in (the user's saved choice, else the one made on the login page)."""
    clear_keeping_language(user)
    login_user(user)
    session.permanent = True
    now = int(time.time())
    session["started_at"] = now
    session["seen_at"] = now


def clear_keeping_language(user: User) -> None:
    """Empty the session but for the language the app is read in: the user's saved choice
    (the session's copy is older if they switched in another browser), else the session's."""
    language = user.language or session.get(i18n.SESSION_KEY, "")
    session.clear()
    i18n.remember_for_session(language)


def continue_with_new_token(user: User) -> None:
    """Stay logged in after changing one's own password.

    The change replaced the user's session token, which ends every session, this one too.
    Log this session in again under the new token without starting a new one: its start
    (the 12-hour limit), its CSRF token and the page in the browser stay valid, while every
    other session, and any copy of the old cookie, stays ended.
    """
    login_user(user)


def expired(now: int) -> bool:
    started = session.get("started_at", 0)
    seen = session.get("seen_at", 0)
    return now - seen > IDLE_TIMEOUT_SECONDS or now - started > ABSOLUTE_TIMEOUT_SECONDS


def enforce_timeouts():
    """Before each request: end a session idle too long or too old, else note this visit.
    The API (/api/) authenticates by token alone: a login cookie sent along is not read, so
    it neither answers for the caller nor sends them to the login page."""
    if request.endpoint in SESSIONLESS_ENDPOINTS or is_api_request() \
            or not current_user.is_authenticated:
        return None
    now = int(time.time())
    if expired(now):
        user = current_user._get_current_object()
        logout_user()
        clear_keeping_language(user)  # the login page and this message stay in it
        flash(str(EXPIRED_MESSAGE), "error")  # the session keeps plain text
        return login_manager.unauthorized()
    if now - session.get("seen_at", 0) >= SEEN_RESOLUTION_SECONDS:
        session["seen_at"] = now
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce_timeouts)
