"""Intake through the API: the division a room names, looked up by name under the account's
allocation lock, so that it cannot be deleted between the lookup and the new room (a
deleted division's id would break the room's foreign key: a 500, not an answer)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..chats import allocator
from ..database import write_transaction
from ..extensions import db
from ..models import Chat, Division
from .bodies import invalid_fields

NO_SUCH_DIVISION = _l("Division is not one of this account's divisions.")


def receive_room(account_id: int, *, channel: str, external_id: str, customer_name: str,
                 division: str | None, actor: allocator.Actor) -> tuple[Chat, bool]:
    """allocator.receive_chat for a division given by name (ignoring case, as division names
    are unique); a name that is not the account's is a 422 on `division`, and writes nothing."""
    with write_transaction():
        allocator.lock_allocation(account_id)  # first, as every change of the account takes it
        division_id = None
        if division is not None:
            division_id = db.session.scalar(select(Division.id).where(
                Division.account_id == account_id,
                func.lower(Division.name) == func.lower(division)))
            if division_id is None:
                raise invalid_fields(division=NO_SUCH_DIVISION)
        return allocator.receive_chat(account_id, channel=channel, external_id=external_id,
                                      customer_name=customer_name, division_id=division_id,
                                      actor=actor)

