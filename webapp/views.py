"""What the views of every area share: finding a row in the current account, and the
answer to a change that succeeded."""

from flask import abort, current_app, flash, redirect
from flask_login import current_user
from sqlalchemy import select

from . import htmx
from .extensions import db


def get_or_404(model, row_id: int):
    """The row of `model` with this id in the current user's account; a row of another
    account is as unknown as a missing one (404), so ids reveal nothing across accounts."""
    row = db.session.scalar(
        select(model).where(model.id == row_id, model.account_id == current_user.account_id))
    if row is None:
        abort(404)
    return row


def finished(message: str, back_to: str, *events: str, status: int = 204):
    """Success. A whole page goes to `back_to` with the message; htmx gets the message as a
    toast and the events (close the dialog, refresh the list…) in HX-Trigger. `message` may
    be a lazy translation: the session cookie keeps it as plain text."""
    if not htmx.is_partial_request():
        flash(str(message), "success")
        return redirect(back_to)
    response = current_app.make_response(("", status))
    for event in events:
        htmx.trigger(response, event)
    return htmx.toast(response, message)
