"""What people read for the codes the database stores: roles, statuses, presence and
channels (webapp.channels), in the reader's language. Stored as codes
(webapp.models), shown through these everywhere: the users list and its filters, forms, the
header, the Profile, Agent Management and the Activity log."""

from collections.abc import Callable

from flask import Flask
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context

from .channels import channel_label
from .models import Presence, Role, Status

ROLE_LABELS = {
    Role.ADMIN: _l("Admin"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AGENT: _l("Agent"),
}
STATUS_LABELS = {
    Status.ACTIVE: _l("Active"),
    Status.DISABLED: _l("Disabled"),
}

PRESENCE_LABELS = {
    Presence.ONLINE: _l("Online"),
    Presence.AWAY: _l("Away"),
    Presence.OFFLINE: _l("Offline"),
}


def role_label(role: Role | str) -> str:
    """A role as the reader calls it; an unknown code as it is."""
    return str(ROLE_LABELS.get(role, role))


def status_label(status: Status | str) -> str:
    """A status as the reader calls it; an unknown code as it is."""
    return str(STATUS_LABELS.get(status, status))


def presence_label(presence: Presence | str) -> str:
    """A presence as the reader calls it; an unknown code as it is."""
    return str(PRESENCE_LABELS.get(presence, presence))


def _in_the_readers_language(label: Callable[[str], str]) -> Callable:
    """`label` as a template filter that Jinja never works out while compiling: given a
    constant (`"Agent"|role_label`), it would otherwise translate it once, into the
    language of whoever first opened the page, and show that to everyone after."""
    @pass_context
    def filter_(context, code):
        return label(code)
    return filter_


def init_app(app: Flask) -> None:
    """Templates write `user.role|role_label`, `user.status|status_label`,
    `presence|presence_label` and `code|channel_label`."""
    for label in (role_label, status_label, presence_label, channel_label):
        app.add_template_filter(_in_the_readers_language(label), label.__name__)
