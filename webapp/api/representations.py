"""What the API says about a room (a chat) and an agent, exactly as SPEC §8 lists: codes in
lower case, names rather than ids for divisions and agents, times in ISO 8601 UTC with "Z"."""

from datetime import datetime

from ..chats.allocator import RosterEntry, queue_position
from ..models import Chat


def utc_time(moment: datetime | None) -> str | None:
    """A stored time (naive UTC) as "2026-11-23T16:31:12Z"."""
    if moment is None:
        return None
    return moment.replace(microsecond=0).isoformat() + "Z"


def room(chat: Chat) -> dict:
    return {
        "id": chat.id,
        "channel": chat.channel,
        "external_id": chat.external_id,
        "customer_name": chat.customer_name,
        "division": chat.division.name if chat.division else None,
        "status": chat.status.value,
        "agent": chat.agent.username if chat.agent else None,
        "queue_position": queue_position(chat),
        "queued_at": utc_time(chat.queued_at),
        "assigned_at": utc_time(chat.assigned_at),
        "resolved_at": utc_time(chat.resolved_at),
    }


def agent(entry: RosterEntry) -> dict:
    user = entry.user
    return {
        "username": user.username,
        "role": user.role.value.lower(),
        "division": user.division.name if user.division else None,
        "presence": entry.presence.value,
        "load": entry.load,
        "capacity": entry.capacity,
    }
