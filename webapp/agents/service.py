"""Changes to Agent Management (divisions, the allocation switches, workloads) and the rules
that guard them, in one place for every path.

Each change opens its own write transaction and writes its audit entry in it. Rules that
depend on other rows (a division's members, the other allocation switch) are checked again
inside the transaction, after locking the account's row, so a change made meanwhile by
another Admin cannot slip past them.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, delete, func, select, update

from .. import audit
from ..channels import in_order
from ..chats import allocator
from ..database import write_transaction
from ..extensions import db
from ..models import Account, AgentWorkload, AuditAction, Division, Role, User

# The Agent Allocation switches, in the order the page shows them.
SWITCHES = ("agent_can_take_over", "agent_can_transfer", "auto_allocation",
            "custom_allocation")
# The Workload page's account-wide settings.
WORKLOAD_SETTINGS = ("default_workload", "idle_rule_on", "idle_minutes", "idle_tries")
MEMBER_ROLES = (Role.SUPERVISOR, Role.AGENT)


class RuleBroken(Exception):
    """A change that a rule forbids; the message says why, in the Admin's language."""


def lock_account(account_id: int) -> Account:
    """The account's row, locked until the transaction ends (PostgreSQL; SQLite's write
    transactions are serialized already), so that rules about its divisions and switches
    are checked against what no one else is changing."""
    return db.session.scalar(
        select(Account).where(Account.id == account_id).with_for_update(key_share=True))


def _text(value) -> str:
    """A value as the audit log keeps it: switches as "on"/"off", channels as codes."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ", ".join(value)
    return str(value)


def _changes(before: dict, after: dict) -> list[dict]:
    return [{"field": name, "old": _text(before[name]), "new": _text(after[name])}
            for name in after if before.get(name) != after[name]]


# -- divisions ---------------------------------------------------------------------------------

# A division's list entry names this many Supervisors and Agents at most, then "and N more".
NAMED_MEMBERS = 5


@dataclass(frozen=True)
class Members:
    """A division's Supervisors and Agents: how many of each, and the first NAMED_MEMBERS
    of each by name."""

    supervisors: int = 0
    agents: int = 0
    supervisor_names: tuple[str, ...] = ()
    agent_names: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.supervisors + self.agents


def member_counts(account_id: int, division_id: int | None = None) -> dict[int, Members]:
    """Each division's Members (only `division_id`'s when given): the counts in one query, the
    names in another that reads at most NAMED_MEMBERS rows per division and role (a window
    function), however big the team."""
    members = _members(account_id, division_id)
    rows = db.session.execute(
        select(User.division_id, User.role, func.count(User.id))
        .where(members).group_by(User.division_id, User.role))
    counted: dict[int, dict[Role, int]] = {}
    for division, role, count in rows:
        counted.setdefault(division, {})[role] = count
    named = _first_names_by_division(members)
    return {division: Members(
                roles.get(Role.SUPERVISOR, 0), roles.get(Role.AGENT, 0),
                tuple(named.get((division, Role.SUPERVISOR), ())),
                tuple(named.get((division, Role.AGENT), ())))
            for division, roles in counted.items()}


def _members(account_id: int, division_id: int | None):
    """The account's Supervisors and Agents who are in a division (in `division_id` when
    given)."""
    where = and_(User.account_id == account_id, User.division_id.is_not(None),
                 User.role.in_(MEMBER_ROLES))
    return where if division_id is None else and_(where, User.division_id == division_id)


def _first_names_by_division(members) -> dict[tuple[int, Role], list[str]]:
    """The full names of the first NAMED_MEMBERS of `members` in each division and role,
    by name."""
    place = func.row_number().over(
        partition_by=(User.division_id, User.role),
        order_by=(func.lower(User.first_name), func.lower(User.last_name), User.id),
    ).label("place")
    ranked = (select(User.division_id, User.role, User.first_name, User.last_name, place)
              .where(members).subquery())
    named: dict[tuple[int, Role], list[str]] = {}
    for division_id, role, first, last, _place in db.session.execute(
            select(ranked).where(ranked.c.place <= NAMED_MEMBERS)
            .order_by(ranked.c.division_id, ranked.c.role, ranked.c.place)):
        named.setdefault((division_id, Role(role)), []).append(f"{first} {last}".strip())
    return named


def members_of(division: Division) -> Members:
    """One division's Members, reading only its own users."""
    return member_counts(division.account_id, division.id).get(division.id, Members())


def account_divisions(account_id: int) -> list[Division]:
    """The account's divisions by name, ignoring case."""
    return list(db.session.scalars(
        select(Division).where(Division.account_id == account_id)
        .order_by(func.lower(Division.name), Division.id)))


def create_division(account_id: int, name: str, channels: list[str],
                    actor: User) -> Division:
    """A new division; the unique index catches a name taken since the form's check."""
    with write_transaction():
        division = Division(account_id=account_id, name=name, channels=in_order(channels))
        db.session.add(division)
        db.session.flush()
        audit.record(AuditAction.DIVISION_CREATED, account_id=account_id, actor=actor,
                     target_name=name, changes=_changes(
                         {"name": "", "channels": []},
                         {"name": name, "channels": division.channels}))
        return division


def update_division(division: Division, name: str, channels: list[str], actor: User) -> None:
    """Rename a division and set its channels (its agents may now take waiting chats of a
    channel it serves)."""
    with write_transaction():
        allocator.lock_allocation(division.account_id)
        db.session.refresh(division)  # as it is now that no one else can change it
        before = {"name": division.name, "channels": list(division.channels)}
        division.name = name
        division.channels = in_order(channels)
        db.session.flush()
        changes = _changes(before, {"name": division.name, "channels": division.channels})
        if changes:
            audit.record(AuditAction.DIVISION_EDITED, account_id=division.account_id,
                         actor=actor, target_name=division.name, changes=changes)
            allocator.drain(division.account_id)


def delete_problem(others: list[Division]) -> str | None:
    """Why a division cannot be deleted at all, given the account's other divisions, or
    None. One with members can go only when they move to another division in the same step
    (the popup asks where)."""
    if not others:
        return _("An account keeps at least one division: create another one first.")
    return None


def delete_division(division: Division, move_to_id: int | None, actor: User) -> int:
    """Delete the division, first moving its members to division `move_to_id` of the same
    account; how many moved. RuleBroken when it is the account's last division, or when it
    has members and no other division of the account to move them to. Moved members are
    agents leaving their division: their open chats go back to the queue (SPEC §7)."""
    with write_transaction():
        allocator.lock_allocation(division.account_id)
        lock_account(division.account_id)
        # A user saved into this division takes a key-share lock on its row (the foreign
        # key): this waits for any such save still under way, so the members read below
        # include it, and later ones wait for the delete and are then refused.
        db.session.execute(select(Division.id).where(Division.id == division.id)
                           .with_for_update())
        db.session.refresh(division)  # its name and channels as locked, for the audit entry
        others = [other for other in account_divisions(division.account_id)
                  if other.id != division.id]
        problem = delete_problem(others)
        if problem:
            raise RuleBroken(problem)
        members = list(db.session.scalars(
            select(User).where(User.division_id == division.id).order_by(User.id)))
        target = next((other for other in others if other.id == move_to_id), None)
        if members and target is None:
            raise RuleBroken(ngettext(
                "This division has %(num)d member: choose the division to move them to.",
                "This division has %(num)d members: choose the division to move them to.",
                len(members)))
        for member in members:
            # Moving is an edit of the member (its version goes up, so an Admin's open edit
            # of them becomes a conflict that shows the new division, not a silent undo).
            audit.record(AuditAction.USER_EDITED, account_id=division.account_id,
                         actor=actor, target=member, changes=[
                             {"field": "division", "old": division.name, "new": target.name}])
        if members:
            db.session.execute(
                update(User).where(User.division_id == division.id)
                .values(division_id=target.id, version=User.version + 1)
                .execution_options(synchronize_session=False))
        audit.record(AuditAction.DIVISION_DELETED, account_id=division.account_id,
                     actor=actor, target_name=division.name, changes=_changes(
                         {"name": division.name, "channels": list(division.channels)},
                         {"name": "", "channels": []}))
        db.session.delete(division)
        db.session.flush()
        # Chats that named the division now go by their channel (the foreign key cleared
        # it); the members moved: the chats their new division does not take go back to
        # the queue, which drains.
        for member in members:
            if member.role == Role.AGENT:
                db.session.expire(member)  # its division changed behind the session's back
                allocator.agent_moved(member, allocator.Actor.of_user(actor))
        allocator.drain(division.account_id)
    db.session.expire_all()  # the moved members' rows changed behind the session's back
    return len(members)


# -- Agent Allocation ------------------------------------------------------------------------

def allocation_problem(account: Account, values: dict) -> str | None:
    """Why these switches cannot be saved, naming the other mode, or None: Auto and Custom
    agent allocation are never both on."""
    if not (values.get("auto_allocation") and values.get("custom_allocation")):
        return None
    if account.custom_allocation and not account.auto_allocation:
        return _("Auto agent allocation cannot be switched on while Custom agent allocation "
                 "is on. Switch Custom agent allocation off first.")
    if account.auto_allocation and not account.custom_allocation:
        return _("Custom agent allocation cannot be switched on while Auto agent allocation "
                 "is on. Switch Auto agent allocation off first.")
    return _("Auto agent allocation and Custom agent allocation cannot both be on: "
             "choose one.")


def requested_switches(account: Account, values: dict, only: str | None = None) -> dict:
    """The four switches as a save would leave them: all of `values`, or with `only` (the
    one switch flipped) just that one, the others as stored."""
    if only in SWITCHES:
        return {name: bool(values[name]) if name == only else getattr(account, name)
                for name in SWITCHES}
    return {name: bool(values.get(name)) for name in SWITCHES}


def save_allocation(account_id: int, values: dict, actor: User,
                    only: str | None = None) -> list[dict]:
    """Store the switches (all of them, or `only` the one flipped, so that a page opened
    before another Admin's change does not put the other switches back); what changed.
    RuleBroken when Auto and Custom would both be on."""
    with write_transaction():
        allocator.lock_allocation(account_id)
        account = lock_account(account_id)
        switches = requested_switches(account, values, only)
        problem = allocation_problem(account, switches)
        if problem:
            raise RuleBroken(problem)
        changes = _save_settings(account, switches, AuditAction.ALLOCATION_CHANGED, actor)
        allocator.drain(account_id)  # Auto switched on gives waiting chats away
        return changes


def _save_settings(account: Account, values: dict, action: AuditAction,
                   actor: User) -> list[dict]:
    changes = _changes({name: getattr(account, name) for name in values}, values)
    for name, value in values.items():
        setattr(account, name, value)
    if changes:
        audit.record(action, account_id=account.id, actor=actor, changes=changes)
    db.session.flush()
    return changes


# -- Workload ------------------------------------------------------------------------------------

def save_workload_settings(account_id: int, values: dict, actor: User) -> list[dict]:
    """Store the account's default Workload and its idle rule; what changed."""
    with write_transaction():
        allocator.lock_allocation(account_id)
        account = lock_account(account_id)
        changes = _save_settings(account, {name: values[name] for name in WORKLOAD_SETTINGS},
                                 AuditAction.WORKLOAD_CHANGED, actor)
        allocator.drain(account_id)  # a higher Workload makes room
        return changes


def agent_workloads(user_ids: list[int]) -> dict[int, int]:
    """The own Workloads of these users that have one."""
    if not user_ids:
        return {}
    return dict(db.session.execute(
        select(AgentWorkload.user_id, AgentWorkload.max_chats)
        .where(AgentWorkload.user_id.in_(user_ids))).all())


def set_agent_workload(user: User, max_chats: int | None, actor: User) -> None:
    """Give the user their own Workload, or (None) let them follow the account's default.
    A row of its own (AgentWorkload): the user's row and its version stay as they are."""
    with write_transaction():
        allocator.lock_allocation(user.account_id)
        # Two Admins giving an agent their first own Workload at once would both insert.
        lock_account(user.account_id)
        before = db.session.get(AgentWorkload, user.id)
        old = before.max_chats if before else None
        if old == max_chats:
            return
        if max_chats is None:
            db.session.execute(delete(AgentWorkload).where(AgentWorkload.user_id == user.id))
        elif before is None:
            db.session.add(AgentWorkload(user_id=user.id, max_chats=max_chats))
        else:
            before.max_chats = max_chats
        audit.record(AuditAction.AGENT_WORKLOAD_CHANGED, account_id=user.account_id,
                     actor=actor, target=user, changes=[{
                         "field": "workload", "old": "" if old is None else str(old),
                         "new": "" if max_chats is None else str(max_chats)}])
        db.session.flush()
        allocator.drain(user.account_id)


def workload_of(user: User) -> tuple[int, bool]:
    """The most chats the user holds at once, and whether it is their own Workload (else
    their account's default)."""
    own = db.session.get(AgentWorkload, user.id)
    if own is not None:
        return own.max_chats, True
    return db.session.scalar(select(Account.default_workload)
                             .where(Account.id == user.account_id)), False
