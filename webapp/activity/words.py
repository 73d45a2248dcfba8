"""The words of the Activity log, in its reader's language.

Entries store codes and facts (webapp.audit); these functions turn them into what the page
shows, when it is read, so the same entry reads in English for one admin and in Bahasa
Indonesia for another. Labels are lazy: they are made at import, before any request knows
its language. A code these do not know is shown as it is, never refused.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..audit import COMMAND_LINE, Reason
from ..channels import channel_label
from ..i18n import format_number
from ..labels import role_label, status_label
from ..models import AuditAction, AuditEntry

ACTION_LABELS = {
    AuditAction.LOGIN: _l("Login"),
    AuditAction.LOGIN_FAILED: _l("Failed login"),
    AuditAction.LOCKED_OUT: _l("Locked out"),
    AuditAction.LOGOUT: _l("Logout"),
    AuditAction.USER_CREATED: _l("User created"),
    AuditAction.USER_EDITED: _l("User edited"),
    AuditAction.PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.USER_DELETED: _l("User deleted"),
    AuditAction.DIVISION_CREATED: _l("Division created"),
    AuditAction.DIVISION_EDITED: _l("Division edited"),
    AuditAction.DIVISION_DELETED: _l("Division deleted"),
    AuditAction.ALLOCATION_CHANGED: _l("Agent Allocation changed"),
    AuditAction.WORKLOAD_CHANGED: _l("Workload changed"),
    AuditAction.AGENT_WORKLOAD_CHANGED: _l("Own Workload changed"),
    AuditAction.API_TOKEN_CREATED: _l("API token created"),
    AuditAction.API_TOKEN_REVOKED: _l("API token revoked"),
}
FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "username": _l("Username"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "role": _l("Role"),
    "division": _l("Division"),
    "status": _l("Status"),
    # Agent Management (webapp.agents.service): a division, the switches, the Workloads.
    "name": _l("Name"),
    "channels": _l("Channels"),
    "agent_can_take_over": _l("Agent can takeover unassigned chat"),
    "agent_can_transfer": _l("Agent can assign room to another agent"),
    "auto_allocation": _l("Auto agent allocation"),
    "custom_allocation": _l("Custom agent allocation"),
    "default_workload": _l("Default Workload"),
    "idle_rule_on": _l("Idle rule"),
    "idle_minutes": _l("Idle period (minutes)"),
    "idle_tries": _l("Tries"),
    "workload": _l("Workload"),
}
# The switches' values as the agents' service logs them ("on"/"off"): only for the switches,
# since "off" is also a username or a name someone may choose.
SWITCH_FIELDS = {"agent_can_take_over", "agent_can_transfer", "auto_allocation",
                 "custom_allocation", "idle_rule_on"}
SWITCH_VALUES = {"on": _l("On"), "off": _l("Off")}
# Fields whose values are numbers, written as the reader's language writes them (1.440).
NUMBER_FIELDS = {"default_workload", "idle_minutes", "idle_tries", "workload"}
# Why a login failed, one sentence each (an address's refusal has its numbers: details()).
REASONS = {
    Reason.WRONG_PASSWORD: _l("Wrong password"),
    Reason.WRONG_CURRENT_PASSWORD: _l("Wrong current password"),
    Reason.ACCOUNT_DISABLED: _l("Account disabled"),
    Reason.PASSWORD_CHANGED_MEANWHILE: _l("Password changed meanwhile"),
    Reason.UNKNOWN_USERNAME: _l("Unknown username"),
    Reason.ACCOUNT_LOCKED: _l("Account locked"),
    Reason.TOO_MANY_ATTEMPTS: _l("Too many attempts at once"),
}
# Who did it, or where from, when it was a command rather than a person in a browser.
COMMAND_LINE_LABEL = _l("command line")


def action_label(action: AuditAction | str) -> str:
    return str(ACTION_LABELS.get(action, action))


def action_choices() -> list[tuple[AuditAction, str]]:
    """Every action the log may hold, with its words, for the action filter."""
    return [(action, action_label(action)) for action in AuditAction]


def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


def value_text(field: str, value: str) -> str:
    """A changed field's value as the reader calls it: roles and statuses are codes."""
    if field == "role":
        return role_label(value)
    if field == "status":
        return status_label(value)
    if field == "channels":
        return ", ".join(channel_label(code) for code in value.split(", ") if code)
    if field in SWITCH_FIELDS and value in SWITCH_VALUES:
        return str(SWITCH_VALUES[value])
    if field in NUMBER_FIELDS and value.isdigit():
        return format_number(int(value))
    return value


def actor_name(entry: AuditEntry) -> str:
    """Whom the Who column names: the user's recorded username, or the command line."""
    if _facts(entry).get("actor") == COMMAND_LINE:
        return str(COMMAND_LINE_LABEL)
    return entry.actor_name


def address(entry: AuditEntry) -> str:
    """Where it came from: the client's address, or the command line."""
    if _facts(entry).get("address") == COMMAND_LINE:
        return str(COMMAND_LINE_LABEL)
    return entry.address


def details(entry: AuditEntry) -> str:
    """The Details column of an entry other than an edit (edits list their `changes`): its
    facts as a sentence, else its `details` text as it was written."""
    facts = _facts(entry)
    sentence = _sentence(entry.action, facts) if facts else None
    return entry.details if sentence is None else sentence


def _sentence(action: AuditAction, facts: dict) -> str | None:
    reason = facts.get("reason")
    if reason == Reason.ADDRESS_REFUSED:
        return _("Address refused for %(minutes)s minutes after %(failed_logins)s failed "
                 "logins", minutes=_number(facts.get("minutes")),
                 failed_logins=_number(facts.get("failed_logins")))
    if reason is not None:
        return str(REASONS.get(reason, reason))
    if "failed_logins" in facts:
        count = facts["failed_logins"]
        return ngettext("After %(count)s failed login", "After %(count)s failed logins",
                        count if isinstance(count, int) else 0, count=_number(count))
    if action == AuditAction.USER_DELETED and "role" in facts:
        return _("%(name)s <%(email)s>, %(role)s", name=facts.get("name", ""),
                 email=facts.get("email", ""), role=role_label(facts["role"]))
    if "role" in facts:
        return _("Role %(role)s", role=role_label(facts["role"]))
    return None


def _facts(entry: AuditEntry) -> dict:
    return entry.facts if isinstance(entry.facts, dict) else {}


def _number(value) -> str:
    """A count as the reader's locale writes it; anything else as it is."""
    return format_number(value) if isinstance(value, int) else str(value or "")
