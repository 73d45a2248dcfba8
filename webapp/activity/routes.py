"""Account Management → Activity: the account's audit log, newest first."""

from flask import request
from flask_login import current_user
from sqlalchemy import Select, select

from .. import htmx
from ..auth.access import require_admin
from ..extensions import db
from ..models import AuditEntry
from ..paging import bounded_page, paginate
from . import bp

ENTRIES_PER_PAGE = 50

bp.before_request(require_admin)


def entries_with_ids(ids: Select) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id.desc())))


@bp.get("")
def index():
    """One page of the account's audit entries."""
    ids = (select(AuditEntry.id).where(AuditEntry.account_id == current_user.account_id)
           .order_by(AuditEntry.id.desc()))
    entries = paginate(ids, entries_with_ids,
                       bounded_page(request.args.get("page", 1, type=int)), ENTRIES_PER_PAGE)
    return htmx.render("activity/index.html", "activity/_list.html", entries=entries)
