"""Logging in and out."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user

from .. import audit
from ..security import is_safe_next
from . import bp, service, sessions
from .forms import LoginForm
from .throttle import ADDRESS_WINDOW_MINUTES

LOGIN_FAILED = _l("Invalid username or password.")
TOO_MANY_ATTEMPTS = _l("Too many failed logins from your network. "
                       "Try again in %(minutes)d minutes.", minutes=ADDRESS_WINDOW_MINUTES)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        result = service.authenticate(form.username.data, form.password.data,
                                      audit.client_address())
        if result.address_refused:
            form.form_errors.append(str(TOO_MANY_ATTEMPTS))
            return render_template("auth/login.html", form=form), 429
        if result.user is None:
            form.form_errors.append(str(LOGIN_FAILED))
        else:
            sessions.start(result.user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else landing_page(result.user))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this user's sessions everywhere and go back to the login page."""
    user = current_user._get_current_object()
    service.log_out(user)
    logout_user()
    sessions.clear_keeping_language(user)  # the login page stays in the user's language
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """The site's root: the user's landing page, or the login page (which lands there)."""
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    return redirect(url_for("auth.login"))


def landing_page(user) -> str:
    """Where a user starts: Admins on Settings, where their work is; Agents and Supervisors
    on My chats (SPEC section 7)."""
    return url_for("settings.index" if user.is_admin else "chats.index")
