from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .. import audit
from ..extensions import db
from ..models import AuditAction, User, new_session_token
from ..security import is_safe_next
from . import bp, sessions, throttle
from .forms import LoginForm

LOGIN_FAILED = "Invalid username or password."
TOO_MANY_ATTEMPTS = "Too many failed logins from your network. Try again in 15 minutes."


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active, unlocked user with these credentials, or None; failures are recorded.

    Every refusal costs one password hash, so the answer time does not tell whether the
    username exists or the account is locked.
    """
    method = current_app.config["PASSWORD_HASH_METHOD"]
    user = find_user_by_username(username)
    if user is None or throttle.is_locked(user):
        generate_password_hash(password, method=method)
        audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id if user else None,
                     target=user, target_name=username,
                     details="Account locked" if user else "Unknown username")
        return None
    if not user.check_password(password) or not user.is_active:
        locked = throttle.record_failure(user)
        audit.record(AuditAction.LOGIN_FAILED, account_id=user.account_id, target=user,
                     details="Wrong password" if user.is_active else "Account disabled")
        if locked:
            audit.record(AuditAction.LOCKED_OUT, account_id=user.account_id, target=user,
                         details=f"After {user.failed_logins} failed logins")
        return None
    throttle.record_success(user)
    if user.needs_rehash(method):
        user.password_hash = generate_password_hash(password, method=method)
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("settings.index"))
    form = LoginForm()
    if form.validate_on_submit():
        since = throttle.address_window_start()
        if audit.recent_failures_from(audit.client_address(), since) >= \
                throttle.ADDRESS_MAX_FAILURES:
            form.form_errors.append(TOO_MANY_ATTEMPTS)
            return render_template("auth/login.html", form=form), 429
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the failure count and the audit entry
            form.form_errors.append(LOGIN_FAILED)
        else:
            audit.record(AuditAction.LOGIN, account_id=user.account_id, actor=user, target=user)
            db.session.commit()
            sessions.start(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("settings.index"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this user's sessions everywhere and go back to the login page."""
    user = current_user._get_current_object()
    user.update_quietly(session_token=new_session_token())
    audit.record(AuditAction.LOGOUT, account_id=user.account_id, actor=user, target=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have been logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """The site's root leads to Settings (or the login page)."""
    return redirect(url_for("settings.index"))
