"""The audit log: one call per event, from every path that changes users or logs in."""

from flask import has_request_context, request

from .extensions import db
from .models import AuditAction, AuditEntry, User


def client_address() -> str:
    """The client's address (ProxyFix has already applied trusted proxy headers)."""
    if has_request_context():
        return (request.remote_addr or "")[:45]
    return "command line"


def record(action: AuditAction, *, account_id: int | None, actor: User | None = None,
           target: User | None = None, target_name: str = "", details: str = "") -> None:
    """Add an entry to the session; it is committed with the change it describes."""
    db.session.add(AuditEntry(
        account_id=account_id,
        action=action,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "",
        target_id=target.id if target else None,
        target_name=target.username if target else target_name[:64],
        details=details[:500],
        address=client_address(),
    ))


def describe_changes(before: dict, after: dict) -> str:
    """ "first name, role: Agent → Supervisor" — which fields an edit changed."""
    changed = []
    for name, old in before.items():
        new = after.get(name)
        if old == new:
            continue
        label = name.replace("_", " ").replace(" id", "")
        if name in {"role", "status"}:
            changed.append(f"{label}: {old} → {new}")
        else:
            changed.append(label)
    return "Changed " + ", ".join(changed) if changed else "No changes"
