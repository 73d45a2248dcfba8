"""Changes people make to their own user: their details and their time zone. Each opens
its own write transaction (webapp.database); a password change is users.service's own."""

from sqlalchemy import update

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import AuditAction, User
from ..users.service import EditConflict, apply_edit


def update_profile(user: User, fields: dict, time_zone: str, expected_version: int) -> None:
    """Save the user's own edit of their name, email and phone (`fields`) and time zone,
    made from `expected_version`; EditConflict when an Admin changed the user since.

    The edit is logged as an Admin's is, when it changed anything. The time zone is a
    reading preference, kept without bumping `version` (an Admin's open edit of the row
    does not show it) and not logged; "" (not chosen) leaves it as the browser reported.
    """
    with write_transaction():
        if user.version != expected_version:
            raise EditConflict
        changes = apply_edit(user, fields)
        if time_zone and time_zone != user.time_zone:
            user.update_quietly(time_zone=time_zone)
        if changes:
            audit.record(AuditAction.USER_EDITED, account_id=user.account_id, actor=user,
                         target=user, changes=changes)


def remember_time_zone(user: User, time_zone: str) -> None:
    """Keep the zone the user's browser reported, unless one is known already: a zone
    chosen on the profile wins over any browser's. Bookkeeping: no version bump, no log."""
    with write_transaction():
        db.session.execute(
            update(User).where(User.id == user.id, User.time_zone == "")
            .values(time_zone=time_zone))


def choose_language(user: User, language: str) -> None:
    """Keep the language the user chose to read the app in. A preference, like the time
    zone: no version bump (an Admin's open edit of the row is not in conflict), no log."""
    with write_transaction():
        user.update_quietly(language=language)
