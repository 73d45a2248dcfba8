"""Account Management → Users: list, create, edit, change password, delete.

Each URL renders the whole page for a plain request and just the piece htmx swaps for an
htmx request (see webapp.htmx).
"""

from dataclasses import replace

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import htmx
from ..auth import sessions
from ..auth.access import require_admin
from ..models import User
from ..views import finished, get_or_404
from . import bp, listing, service
from .forms import ChangePasswordForm, CreateUserForm, EditUserForm

bp.before_request(require_admin)

USERS_CHANGED = "users-changed"
USER_CREATED = "user-created"
CLOSE_DIALOG = "close-dialog"


@bp.get("")
def index():
    """The account's users: search, role and status filters, sorting and paging."""
    asked = listing.ListState.from_args(request.args)
    users = listing.list_page(current_user.account_id, asked,
                              current_app.config["USERS_PER_PAGE"])
    state = replace(asked, page=users.page)  # a page past the end shows the last one
    response = htmx.render("users/index.html", "users/_list.html", listing=users, state=state)
    # The address bar shows the list's state in its one spelling: the filter form sends
    # empty fields (`role=&status=`), and "?page=last" becomes that page's number. A URL
    # already in that spelling gets no header, so a refresh that asked for no history entry
    # (after a delete) makes none.
    shown_url = url_for("users.index", **state.url_arguments())
    if htmx.is_partial_request() and request.full_path.rstrip("?") != shown_url:
        response.headers["HX-Push-Url"] = shown_url
    return response


@bp.get("/presence")
def presences():
    """The list's poll: the presence of the users it shows (`?ids=3,2,1`), as cells swapped
    in place. A plain request goes to the list itself."""
    if not htmx.is_partial_request():
        return redirect(url_for("users.index"))
    shown = listing.presences(current_user.account_id, listing.ids_from(request.args))
    return render_template("users/_presence_cells.html", presences=shown)


@bp.get("/new")
def new():
    """The create-user form: a dialog for htmx, a page of its own otherwise."""
    form = CreateUserForm(current_user.account)
    return htmx.render("users/new.html", "users/_create_dialog.html", form=form)


@bp.post("")
def create():
    """Create a user; errors answer 422 with the form, success closes the dialog."""
    form = CreateUserForm(current_user.account)
    if form.validate_on_submit():
        try:
            user = service.create_user(current_user.account_id, form.user_fields(),
                                       form.password.data, current_user)
        except service.RuleBroken as broken:  # the division was deleted meanwhile
            form.division.errors.append(str(broken))
        except IntegrityError as error:
            if not form.explain_integrity_error(error):
                raise
        else:
            return finished(_("%(name)s created", name=user.full_name),
                            url_for("users.index"), CLOSE_DIALOG, USER_CREATED, status=201)
    return htmx.render("users/new.html", "users/_create_form.html", 422, form=form)


@bp.get("/<id:user_id>")
def show(user_id: int):
    """One user's row: what "Cancel" on an inline edit goes back to."""
    user = get_or_404(User, user_id)
    return htmx.render("users/show.html", "users/_row.html", user=user)


@bp.get("/<id:user_id>/edit")
def edit(user_id: int):
    """The inline edit form of one row (a page of its own without htmx)."""
    user = get_or_404(User, user_id)
    form = EditUserForm.filled_from(current_user.account, user, current_user)
    return htmx.render("users/edit.html", "users/_row_form.html", form=form, user=user)


@bp.post("/<id:user_id>")
def update(user_id: int):
    """Save an inline edit, unless the user changed since the edit began (409)."""
    user = get_or_404(User, user_id)
    form = EditUserForm(current_user.account, user, current_user)
    if form.validate_on_submit():
        try:
            service.update_user(user, form.user_fields(), current_user, form.version.data)
        except (service.EditConflict, StaleDataError):
            return render_conflict(form, get_or_404(User, user_id))
        except service.RuleBroken as broken:
            form.form_errors.append(str(broken))
        except IntegrityError as error:
            if not form.explain_integrity_error(error):
                raise
        else:
            saved = _("Changes to %(name)s saved", name=user.full_name)
            if not htmx.is_partial_request():
                flash(saved, "success")
                return redirect(url_for("users.index"))
            response = htmx.render("users/show.html", "users/_row.html", user=user)
            return htmx.toast(response, saved)
    return htmx.render("users/edit.html", "users/_row_form.html", 422, form=form, user=user)


def render_conflict(form: EditUserForm, current: User):
    """409: keep what the admin typed and show what the user looks like now."""
    form.carry_version(current.version)
    return htmx.render("users/edit.html", "users/_row_form.html", 409,
                       form=form, user=current, conflict=current)


@bp.get("/<id:user_id>/password")
def password(user_id: int):
    """The change-password dialog (a page of its own without htmx)."""
    user = get_or_404(User, user_id)
    return htmx.render("users/password.html", "users/_password_dialog.html",
                       form=ChangePasswordForm(user, current_user), user=user)


@bp.post("/<id:user_id>/password")
def change_password(user_id: int):
    """Store a new password and end every session of that user."""
    user = get_or_404(User, user_id)
    form = ChangePasswordForm(user, current_user)
    if form.validate_on_submit():
        service.change_password(user, form.new_password.data, current_user)
        if user.id == current_user.id:  # an Admin's own: this session stays, the others end
            sessions.continue_with_new_token(user)
        return finished(_("Password changed for %(name)s", name=user.full_name),
                        url_for("users.index"), CLOSE_DIALOG)
    return htmx.render("users/password.html", "users/_password_form.html", 422,
                       form=form, user=user)


@bp.get("/<id:user_id>/delete")
def confirm_delete(user_id: int):
    """Ask "Are you sure want to delete this data?", or say why this user cannot go."""
    user = get_or_404(User, user_id)
    return htmx.into_dialog_slot(htmx.render(
        "users/delete.html", "users/_delete_dialog.html", user=user,
        problem=service.delete_problem(current_user, user)))


@bp.post("/<id:user_id>/delete")
def delete(user_id: int):
    """Delete the user, unless a rule forbids it (then 422 with the reason)."""
    user = get_or_404(User, user_id)
    name = user.full_name  # the row is gone afterwards
    try:
        service.delete_user(user, current_user)
    except service.RuleBroken as broken:
        return htmx.render("users/delete.html", "users/_delete_dialog.html", 422,
                           user=user, problem=str(broken))
    return finished(_("%(name)s deleted", name=name), url_for("users.index"), CLOSE_DIALOG,
                    USERS_CHANGED)
