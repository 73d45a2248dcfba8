"""Logging in and out."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from .. import audit
from ..security import is_safe_next
from . import bp, service, sessions
from .forms import LoginForm
from .throttle import ADDRESS_WINDOW_MINUTES

LOGIN_FAILED = "Invalid username or password."
TOO_MANY_ATTEMPTS = (f"Too many failed logins from your network. "
                     f"Try again in {ADDRESS_WINDOW_MINUTES} minutes.")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("settings.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = service.authenticate(form.username.data, form.password.data,
                                      audit.client_address())
        if result.address_refused:
            form.form_errors.append(TOO_MANY_ATTEMPTS)
            return render_template("auth/login.html", form=form), 429
        if result.user is None:
            form.form_errors.append(LOGIN_FAILED)
        else:
            sessions.start(result.user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("settings.index"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this user's sessions everywhere and go back to the login page."""
    service.log_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have been logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """The site's root leads to Settings (or the login page)."""
    return redirect(url_for("settings.index"))
