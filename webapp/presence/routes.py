"""Presence: the header control of Agents and Supervisors, and the poll of their open pages
that keeps it (webapp.presence.service). htmx gets the control back; a plain form POST (no
JavaScript) goes back to the page it came from."""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import htmx
from ..labels import PRESENCE_LABELS, presence_label
from ..security import is_safe_next
from . import bp, service
from .forms import PresenceForm


@bp.before_request
@login_required
def require_a_setter() -> None:
    """Only Agents and Supervisors have a presence to set; Admins take no chats."""
    if not service.can_set_presence(current_user):
        abort(403)


@bp.app_context_processor
def presence_control() -> dict:
    """The header asks `my_presence()` only for a user who has one to set."""
    return {"can_set_presence": service.can_set_presence,
            "my_presence": lambda: service.presence_of(current_user.id),
            "presence_of": service.presence_of,
            "presence_labels": PRESENCE_LABELS,
            "presence_poll_seconds": service.POLL_SECONDS}


def render_control(presence, status: int = 200):
    return make_response(render_template("presence/_control.html", presence=presence), status)


@bp.get("")
def show():
    """The control for htmx; a whole page shows one's presence on the Profile."""
    if not htmx.is_partial_request():
        return redirect(url_for("profile.index"))
    return render_control(service.presence_of(current_user.id))


@bp.post("")
def update():
    """Set one's presence, at once."""
    form = PresenceForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit():
        message = _("Choose Online, Away or Offline.")
        if not htmx.is_partial_request():
            flash(message, "error")
            return redirect(back_to(form))
        return htmx.toast(render_control(service.presence_of(user.id), 422), message, "error")
    service.set_presence(user, form.chosen)
    message = _("You are %(presence)s now.", presence=presence_label(form.chosen))
    if not htmx.is_partial_request():
        flash(message, "success")
        return redirect(back_to(form))
    return htmx.toast(render_control(form.chosen), message)


def back_to(form: PresenceForm) -> str:
    target = form.next.data
    return target if is_safe_next(target) else url_for("auth.home")


@bp.post("/seen")
def still_here():
    """An open page's poll: the user is still there. 204 while the page shows their
    presence as it is; the control when it changed (lapsed, or set in another tab)."""
    form = PresenceForm()
    presence = service.still_here(current_user.id)
    if form.validate_on_submit() and form.chosen == presence:
        return "", 204
    return render_control(presence)
