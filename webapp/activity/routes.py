"""Account Management → Activity: the account's audit log, newest first."""

from flask import request
from flask_login import current_user
from sqlalchemy import func, select

from .. import htmx
from ..auth.access import require_admin
from ..extensions import db
from ..forms import bounded_page
from ..models import AuditEntry
from . import bp

ENTRIES_PER_PAGE = 50

bp.before_request(require_admin)


@bp.get("")
def index():
    """One page of the account's audit entries."""
    in_account = AuditEntry.account_id == current_user.account_id
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(in_account))
    pages = max(1, -(-total // ENTRIES_PER_PAGE))
    page = min(bounded_page(request.args.get("page", 1, type=int)), pages)
    entries = db.session.scalars(
        select(AuditEntry).where(in_account).order_by(AuditEntry.id.desc())
        .limit(ENTRIES_PER_PAGE).offset((page - 1) * ENTRIES_PER_PAGE)
    ).all()
    return htmx.render("activity/index.html", "activity/_list.html",
                       entries=entries, page=page, pages=pages, total=total)
