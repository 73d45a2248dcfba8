"""What people read for the codes the database stores: roles and statuses, in the reader's
language. Stored as codes (webapp.models), shown through these everywhere: the users list and
its filters, forms, the header, the Profile and the Activity log."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from .models import Role, Status

ROLE_LABELS = {
    Role.ADMIN: _l("Admin"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.AGENT: _l("Agent"),
}
STATUS_LABELS = {
    Status.ACTIVE: _l("Active"),
    Status.DISABLED: _l("Disabled"),
}


def role_label(role: Role | str) -> str:
    """A role as the reader calls it; an unknown code as it is."""
    return str(ROLE_LABELS.get(role, role))


def status_label(status: Status | str) -> str:
    """A status as the reader calls it; an unknown code as it is."""
    return str(STATUS_LABELS.get(status, status))


def init_app(app: Flask) -> None:
    """Templates write `user.role|role_label` and `user.status|status_label`."""
    app.add_template_filter(role_label)
    app.add_template_filter(status_label)
