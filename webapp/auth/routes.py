from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import User
from ..security import is_safe_next
from . import bp
from .forms import LoginForm

LOGIN_FAILED = "Invalid username or password."


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; as slow for unknown names as for known."""
    user = find_user_by_username(username)
    if user is None:
        # Hash anyway, so the answer time does not tell whether the username exists.
        generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    if user.needs_rehash(current_app.config["PASSWORD_HASH_METHOD"]):
        user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("settings.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session: nothing from before the login survives it
            login_user(user)
            session.permanent = True
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("settings.index"))
        form.form_errors.append(LOGIN_FAILED)
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End this user's sessions everywhere and go back to the login page."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have been logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """The site's root leads to Settings (or the login page)."""
    return redirect(url_for("settings.index"))
