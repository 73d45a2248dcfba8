"""Who is logged in, and who may open what."""

from urllib.parse import urlsplit

from flask import abort, make_response, redirect, request, url_for
from flask_login import current_user

from .. import htmx
from ..extensions import db, login_manager
from ..models import User


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """Find the user of a login cookie "<id>:<session token>"; a stale token logs out."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not user.has_session_token(token):
        return None
    return user


@login_manager.unauthorized_handler
def send_to_login():
    """Anonymous visitors go to the login page; htmx is told to navigate, not to swap it in.

    After the login the browser GETs `next`, so only a GET's own URL may be it: a POST to
    /logout with an expired session came back as GET /logout, a 405.
    """
    if htmx.is_partial_request():
        login_url = url_for("auth.login", next=_page_the_browser_shows())
        return htmx.redirect(make_response("", 401), login_url)
    if request.method not in {"GET", "HEAD"}:
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _page_the_browser_shows() -> str:
    """The path of the page behind an htmx request, whose own URL may be only a fragment."""
    try:
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
    except ValueError:  # e.g. "http://[::1": no browser sends that, so no page to return to
        return url_for("settings.index")
    if not current.path or (current.netloc and current.netloc != request.host):
        return url_for("settings.index")
    return f"{current.path}?{current.query}" if current.query else current.path


def require_admin() -> None:
    """Abort unless an Admin is logged in; a blueprint's before_request for admin areas."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.is_admin:
        abort(403)
