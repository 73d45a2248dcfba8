"""Profile: every logged-in user's own page, whatever their role: their details, their time
zone and their password.

Each form answers htmx with its own fragment and a plain POST with the whole page (or a
redirect after a change), like the users screens (webapp.htmx).
"""

from flask import flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import htmx
from ..agents import service as agents_service
from ..auth import sessions
from ..presence import service as presence_service
from ..users import service as users_service
from ..users.forms import ChangePasswordForm
from . import bp, service
from .forms import ProfileForm, TimeZoneReport

PROFILE_SAVED = _l("Profile saved")
PASSWORD_CHANGED = _l("Password changed. You stay logged in here; your other sessions "
                      "have ended.")
# An Admin, or the user in another tab: the version says only that someone saved first.
CHANGED_MEANWHILE = _l("Your profile was changed elsewhere (by an Admin, or in another tab) "
                       "while you were editing it. The form keeps what you typed; save again "
                       "to keep it.")


@bp.before_request
@login_required
def require_login() -> None:
    """Every profile route is for any logged-in user, and for nobody else."""


@bp.get("")
def index():
    """The current user's profile: what they may change, and what only an Admin may."""
    return render_profile("profile/index.html")


def render_profile(fragment: str, status: int = 200, **context):
    """The whole profile page, or for htmx the one `fragment` that answers its form; both
    get the two forms, freshly filled unless `context` gives them."""
    user = current_user._get_current_object()
    forms = {"form": ProfileForm.filled_from(user),
             "password_form": ChangePasswordForm(user, user, formdata=None)}
    return htmx.render("profile/index.html", fragment, status, user=user,
                       **(forms | agent_facts(user) | context))


def agent_facts(user) -> dict:
    """What an Agent or Supervisor reads about their work: their presence and Workload
    (nothing for an Admin, who takes no chats)."""
    if not presence_service.can_set_presence(user):
        return {}
    workload, own = agents_service.workload_of(user)
    return {"presence": presence_service.presence_of(user.id), "workload": workload,
            "own_workload": own}


@bp.post("")
def update():
    """Save the user's own name, email, phone and time zone."""
    user = current_user._get_current_object()
    form = ProfileForm(user)
    if form.validate_on_submit():
        try:
            service.update_profile(user, form.user_fields(), form.time_zone.data,
                                   form.version.data)
        except (users_service.EditConflict, StaleDataError):
            return render_conflict(form)
        except IntegrityError as error:
            if not form.explain_integrity_error(error):
                raise
        else:
            return details_saved()
    return render_profile("profile/_details_form.html", 422, form=form)


def details_saved():
    """The saved values, and the header's name with them (it may have changed)."""
    if not htmx.is_partial_request():
        flash(str(PROFILE_SAVED), "success")
        return redirect(url_for("profile.index"))
    response = render_profile("profile/_details_form.html", saved=True)
    return htmx.toast(response, PROFILE_SAVED)


def render_conflict(form: ProfileForm):
    """409: keep what the user typed, now on top of the version saved meanwhile."""
    form.carry_version(current_user.version)
    form.form_errors.append(str(CHANGED_MEANWHILE))
    return render_profile("profile/_details_form.html", 409, form=form)


@bp.post("/password")
def change_password():
    """Change one's own password (the current one first); this session stays, the others
    end."""
    user = current_user._get_current_object()
    form = ChangePasswordForm(user, user)
    if not form.validate_on_submit():
        return render_profile("profile/_password_form.html", 422, password_form=form)
    users_service.change_password(user, form.new_password.data, user)
    sessions.continue_with_new_token(user)
    if not htmx.is_partial_request():
        flash(str(PASSWORD_CHANGED), "success")
        return redirect(url_for("profile.index"))
    return htmx.toast(render_profile("profile/_password_form.html"), PASSWORD_CHANGED)


@bp.post("/time-zone")
def remember_time_zone():
    """Remember the time zone the browser reported (app.js sends it once, while the user's
    is not known): 204, or 422 for a name this server's time-zone database does not know."""
    form = TimeZoneReport()
    if not form.validate_on_submit():
        return "", 422
    service.remember_time_zone(current_user._get_current_object(), form.time_zone.data)
    return "", 204
