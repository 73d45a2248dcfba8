"""The audit log: one call per event, from every path that changes users or logs in.

Entries keep codes and facts, never sentences: the Activity log words them in its reader's
language when it is read (webapp.activity.words). `facts` holds, as each event needs:

- "reason": why a login failed (a Reason code);
- "role": the role of a created or deleted user (a Role code), with the deleted user's
  "name" and "email";
- "failed_logins" (and "minutes" for an address): how many failures locked a user or an
  address out, and for how long;
- "actor": COMMAND_LINE when a command did it rather than a user;
- "address": COMMAND_LINE when no request (so no client address) was behind it.
"""

from enum import StrEnum

from flask import has_request_context, request

from .extensions import db
from .models import AuditAction, AuditEntry, Division, User

# The fields of a user edit the log keeps as "from → to", in the order it shows them. Only
# these are written, whatever else the caller passes: never a password, hash or token.
CHANGED_FIELDS = ("first_name", "last_name", "username", "email", "phone", "role",
                  "division", "status")

# Who acted, or where from, when it was a command (`flask set-password`, `create-admin`).
COMMAND_LINE = "command_line"


class Reason(StrEnum):
    """Why a login (or the check of a current password) failed."""

    WRONG_PASSWORD = "wrong_password"  # noqa: S105  (a reason, not a password)
    WRONG_CURRENT_PASSWORD = "wrong_current_password"  # noqa: S105
    ACCOUNT_DISABLED = "account_disabled"
    PASSWORD_CHANGED_MEANWHILE = "password_changed_meanwhile"  # noqa: S105
    UNKNOWN_USERNAME = "unknown_username"
    ACCOUNT_LOCKED = "account_locked"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    ADDRESS_REFUSED = "address_refused"


def client_address() -> str:
    """The client's address (ProxyFix has already applied trusted proxy headers); "" outside
    a request, where record() notes the command line instead."""
    if has_request_context():
        return (request.remote_addr or "")[:45]
    return ""


def record(action: AuditAction, *, account_id: int | None, actor: User | None = None,
           actor_name: str = "", target: User | None = None, target_name: str = "",
           facts: dict | None = None, changes: list[dict] | None = None,
           details: str = "") -> None:
    """Add an entry to the session; it is committed with the change it describes.

    `actor_name` and `target_name` name someone who is no user (an unknown username) when
    there is no `actor` or `target`; a command acting is the fact {"actor": COMMAND_LINE}.
    `facts` are codes and values, as the module's docstring lists them. `details` is text
    shown as it is, in every language: a name or number, never a sentence to translate.
    """
    facts = dict(facts or {})
    if not has_request_context():
        facts["address"] = COMMAND_LINE
    db.session.add(AuditEntry(
        account_id=account_id,
        action=action,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else actor_name[:64],
        target_id=target.id if target else None,
        target_name=target.username if target else target_name[:64],
        details=details[:500],
        changes=changes,
        facts=facts or None,
        address=client_address(),
    ))


def field_changes(before: dict, after: dict) -> list[dict]:
    """What an edit changed: [{"field", "old", "new"}] for each field of CHANGED_FIELDS whose
    value differs, as plain text. A role or status is its code; a division is its name, so
    the entry still reads right after the division is renamed or deleted."""
    old_values, new_values = _loggable(before), _loggable(after)
    return [{"field": name, "old": old_values[name], "new": new_values[name]}
            for name in CHANGED_FIELDS
            if name in old_values and name in new_values
            and old_values[name] != new_values[name]]


def _loggable(values: dict) -> dict[str, str]:
    """The CHANGED_FIELDS among `values` as text, the division id as the division's name."""
    values = dict(values)
    if "division_id" in values:
        values["division"] = _division_name(values.pop("division_id"))
    return {name: "" if values[name] is None else str(values[name])
            for name in CHANGED_FIELDS if name in values}


def _division_name(division_id: int | None) -> str:
    division = db.session.get(Division, division_id) if division_id else None
    return division.name if division else ""
