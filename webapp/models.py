"""Database models: an Account holds its Users and Divisions, its chats and their decisions,
and its API tokens."""

import hmac
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false, true
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Role(StrEnum):
    ADMIN = "Admin"
    SUPERVISOR = "Supervisor"
    AGENT = "Agent"


class Status(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class Presence(StrEnum):
    """Whether an Agent or Supervisor takes chats now (SPEC §6), set by themselves. What
    others read is webapp.presence.service.shown_presence: it lapses to Offline."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def code_column(enum: type[StrEnum], length: int) -> Enum:
    """A StrEnum kept as its value in a plain VARCHAR and loaded back as the enum, so code
    compares with members rather than strings; an unknown value is refused on flush."""
    return Enum(enum, native_enum=False, create_constraint=False, length=length,
                validate_strings=True, values_callable=lambda members: [m.value for m in members])


DEFAULT_DIVISION = "General"

# The largest id the id columns hold (INTEGER, 32 bits on PostgreSQL): a bigger number in a
# URL names nothing.
LARGEST_ID = 2**31 - 1

# SQLite hands a deleted row's id to the next insert unless told otherwise; then a stale
# edit form or an audit entry could name someone else. PostgreSQL never reuses ids.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Account(db.Model):
    __tablename__ = "accounts"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    divisions: Mapped[list["Division"]] = relationship(
        back_populates="account", order_by="Division.name", cascade="all, delete-orphan"
    )

    @classmethod
    def create(cls, name: str) -> "Account":
        """A new account, which always starts with the "General" division."""
        account = cls(name=name)
        account.divisions.append(Division(name=DEFAULT_DIVISION))
        db.session.add(account)
        return account

    # Agent Management (SPEC §6), one set per account. Agent Allocation: the four switches
    # (Auto and Custom are never both on: webapp.agents.service refuses it). A new account
    # starts with Auto on and the others off.
    agent_can_take_over: Mapped[bool] = mapped_column(default=False, server_default=false())
    agent_can_transfer: Mapped[bool] = mapped_column(default=False, server_default=false())
    auto_allocation: Mapped[bool] = mapped_column(default=True, server_default=true())
    custom_allocation: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Workload: the most chats an agent holds at once, unless AgentWorkload says otherwise
    # for them; and the idle rule (off for a new account).
    default_workload: Mapped[int] = mapped_column(default=5, server_default="5")
    idle_rule_on: Mapped[bool] = mapped_column(default=False, server_default=false())
    idle_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    idle_tries: Mapped[int] = mapped_column(default=3, server_default="3")


class Division(db.Model):
    __tablename__ = "divisions"
    __table_args__ = (
        Index("uq_divisions_account_name", "account_id", text("lower(name)"), unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))

    account: Mapped[Account] = relationship(back_populates="divisions")
    # The channels the division serves, as codes (webapp.channels: "whatsapp",
    # "livechat", …), in that module's order.
    channels: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(64), default="")
    username: Mapped[str] = mapped_column(String(32))
    # Stored in lower case, so a plain unique index ignores letter case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Stored normalized: an optional "+" and digits only.
    phone: Mapped[str] = mapped_column(String(16), default="")
    role: Mapped[Role] = mapped_column(code_column(Role, 16))
    division_id: Mapped[int | None] = mapped_column(
        ForeignKey("divisions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[Status] = mapped_column(code_column(Status, 16), default=Status.ACTIVE)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login cookie; replacing it ends every session of this user.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Case-folded name, username, email and phone, kept by a mapper event for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Login throttling: consecutive failures, and until when logins are refused.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # The IANA time zone the user reads times in ("Asia/Jakarta"); "" until their browser
    # has told us (then times show in UTC).
    time_zone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # The language the user chose to read the app in ("en", "id"); "" follows the browser.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # Presence as last set (never read alone: webapp.presence.service.shown_presence counts
    # it Offline once `presence_seen_at`, refreshed while a page of the app is open, is older
    # than two minutes, and for a disabled user). Bookkeeping, changed through
    # `update_quietly`: never an edit conflict.
    presence: Mapped[Presence] = mapped_column(code_column(Presence, 16),
                                               default=Presence.OFFLINE,
                                               server_default=Presence.OFFLINE.value)
    presence_seen_at: Mapped[datetime | None]
    # Presence set through the API (SPEC §8) lasts until the API changes it: the lapse rule
    # leaves it alone. A choice in the browser clears it.
    presence_by_api: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the allocator last gave this agent a chat (None: never, which counts as longest
    # ago): the tie-break between agents of equal load (webapp.chats.allocator). Bookkeeping.
    last_chat_at: Mapped[datetime | None]
    # Bumped on every ORM UPDATE; an edit that started from an older version is a conflict.
    # Bookkeeping (sessions, throttling) changes through `update_quietly` and leaves it alone.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()
    division: Mapped[Division | None] = relationship()

    __table_args__ = (
        # Usernames are unique ignoring case, enforced by the database itself.
        Index("uq_users_username_lower", text("lower(username)"), unique=True),
        # The users list: one account's users, newest first.
        Index("ix_users_account_newest", "account_id", "id"),
        # The same filtered by role, so a rare role is neither scanned for nor counted slowly.
        Index("ix_users_account_role_newest", "account_id", "role", "id"),
        # The status filter, and the list sorted by name, username or email: an index per
        # order, each ending in id, so that a page of any order is an index walk.
        Index("ix_users_account_status_newest", "account_id", "status", "id"),
        # The presence filter: the few Online or Away among many users, newest first (status
        # too, as Online means active: SQLite then prefers it to the status index).
        Index("ix_users_account_presence_newest", "account_id", "presence", "status", "id"),
        Index("ix_users_account_name", "account_id", text("lower(first_name)"),
              text("lower(last_name)"), "id"),
        Index("ix_users_account_username", "account_id", text("lower(username)"), "id"),
        Index("ix_users_account_email", "account_id", "email", "id"),
        NEVER_REUSE_IDS,
    )
    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def has_session_token(self, token: str) -> bool:
        return hmac.compare_digest(self.session_token.encode(), token.encode())

    def end_sessions(self) -> None:
        """Invalidate every login cookie issued for this user."""
        self.session_token = new_session_token()

    def update_quietly(self, **values) -> None:
        """Change bookkeeping columns without bumping `version`, so that a logout or a failed
        login never turns an admin's open edit of this user into a false conflict."""
        db.session.execute(update(User).where(User.id == self.id).values(**values))

    def set_password(self, password: str, method: str) -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def searchable_text(user: User) -> str:
    """The text a search matches: each field on its own line so no match spans two. The
    full name holds the first and the last name, so a search finds either one as well."""
    parts = (user.full_name, user.username, user.email, user.phone)
    return "\n".join(part or "" for part in parts).casefold()


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _refresh_search_text(mapper, connection, user: User) -> None:
    user.search_text = searchable_text(user)


class AgentWorkload(db.Model):
    """An Agent's or Supervisor's own Workload, in place of their account's default. A table
    of its own: setting it never bumps users.version, so it never turns an Admin's open
    edit of that user into a false conflict."""

    __tablename__ = "agent_workloads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    max_chats: Mapped[int]


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "failed login"
    LOCKED_OUT = "locked out"
    LOGOUT = "logout"
    USER_CREATED = "user created"
    USER_EDITED = "user edited"
    PASSWORD_CHANGED = "password changed"  # noqa: S105  (an event name)
    USER_DELETED = "user deleted"
    # Agent Management (webapp.agents)
    DIVISION_CREATED = "division created"
    DIVISION_EDITED = "division edited"
    DIVISION_DELETED = "division deleted"
    ALLOCATION_CHANGED = "allocation changed"
    WORKLOAD_CHANGED = "workload changed"
    AGENT_WORKLOAD_CHANGED = "agent workload changed"
    # Settings → Integrations
    API_TOKEN_CREATED = "api token created"  # noqa: S105  (an event name)
    API_TOKEN_REVOKED = "api token revoked"  # noqa: S105


class AuditEntry(db.Model):
    """Who did what to whom, when and from where. Names are copied, so entries outlive users;
    no password or hash is ever written here."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_account_newest", "account_id", "id"),
        # The Activity filters: one person's doings (as actor or as target), one action.
        Index("ix_audit_entries_account_actor", "account_id", "actor_id", "id"),
        Index("ix_audit_entries_account_target", "account_id", "target_id", "id"),
        Index("ix_audit_entries_account_action", "account_id", "action", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a failed login with an unknown username: it belongs to no account.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"))
    action: Mapped[AuditAction] = mapped_column(code_column(AuditAction, 32))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[int | None]
    target_name: Mapped[str] = mapped_column(String(64), default="")
    # Text shown as it was written, in no particular language: the sentences of entries
    # logged before `facts` existed that its migration could not read. New entries leave it
    # empty and keep their facts instead.
    details: Mapped[str] = mapped_column(String(500), default="")
    # What an edit changed, as facts rather than a sentence, so the log can show them in the
    # reader's language: [{"field": "first_name", "old": "Budi", "new": "Budiman"}, …]
    # (see webapp.audit.field_changes). None for other actions and for older entries.
    changes: Mapped[list[dict] | None] = mapped_column(JSON)
    # The other facts of an entry, as codes and values the Activity log words in the reader's
    # language (webapp.activity.words): {"reason": "wrong_password"}, {"role": "Agent"},
    # {"failed_logins": 5}, {"actor": "command_line", "address": "command_line"}, …
    # (see webapp.audit). None when there is nothing to add.
    facts: Mapped[dict | None] = mapped_column(JSON)
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttemptOutcome(StrEnum):
    FAILED = "failed"  # a wrong password: counts against the limits
    SUCCEEDED = "succeeded"
    REFUSED = "refused"  # the right password, refused (account disabled, password changed)


class LoginAttempt(db.Model):
    """One login attempt, written before its password is checked (outcome None meanwhile),
    so that simultaneous guesses each see the ones in flight before them: the login
    throttle (webapp.auth.throttle) counts these rows per address and per user."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_address_started", "address", "started_at"),
        Index("ix_login_attempts_user_outcome", "user_id", "outcome"),
        # Old attempts are deleted by age (throttle.forget_old_attempts).
        Index("ix_login_attempts_started", "started_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(45))
    # None for a username that does not exist, and after the user is deleted.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[AttemptOutcome | None] = mapped_column(code_column(AttemptOutcome, 16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- chats (SPEC §7) ------------------------------------------------------------------------------

class ChatStatus(StrEnum):
    QUEUED = "queued"  # waiting for an agent
    ASSIGNED = "assigned"  # an agent holds it
    RESOLVED = "resolved"


class Chat(db.Model):
    """One customer conversation the customer's chat platform told us about (a "room" in
    the API). Messages are not stored: only who handles it, and since when. Changed only by
    webapp.chats.allocator, which records every decision as a ChatDecision."""

    __tablename__ = "chats"
    __table_args__ = (
        # Intake is idempotent: a channel's conversation is sent once per account.
        Index("uq_chats_account_channel_external", "account_id", "channel", "external_id",
              unique=True),
        # The queue (oldest first: by id, which follows arrival) and the open chats.
        Index("ix_chats_account_status_id", "account_id", "status", "id"),
        # An agent's load: their assigned chats.
        Index("ix_chats_agent_status", "agent_id", "status"),
        # Exactly one state: a waiting chat has no agent, an assigned one has one (a resolved
        # one keeps whoever had it last). An agent is never deleted holding chats.
        CheckConstraint("status <> 'queued' OR agent_id IS NULL", name="queued_has_no_agent"),
        CheckConstraint("status <> 'assigned' OR agent_id IS NOT NULL",
                        name="assigned_has_agent"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    # The division the platform named, if any; else the divisions serving the channel take
    # it, and with none, any division (webapp.chats.allocator decides who is eligible).
    division_id: Mapped[int | None] = mapped_column(
        ForeignKey("divisions.id", ondelete="SET NULL"))
    status: Mapped[ChatStatus] = mapped_column(code_column(ChatStatus, 16),
                                               default=ChatStatus.QUEUED)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Arrival; kept when the chat goes back to the queue, so it keeps its place.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # Since when the customer has waited for an answer from the agent (the idle rule), or
    # None when the agent answered last.
    customer_waiting_since: Mapped[datetime | None]
    # The idle rule: how many times it handed the chat on, and whether it gave up (tries
    # used: the chat stays with its agent and Supervisors see it flagged).
    idle_handovers: Mapped[int] = mapped_column(default=0, server_default="0")
    idle_flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The agents the chat was taken from by the idle rule or handed back by: neither auto
    # allocation, takeover nor the idle rule gives it to them again.
    tried_agent_ids: Mapped[list[int]] = mapped_column(JSON, default=list,
                                                       server_default="[]")

    division: Mapped[Division | None] = relationship()
    agent: Mapped[User | None] = relationship()


class DecisionReason(StrEnum):
    """Why a chat went where it went (SPEC §7), and the other moments of its life."""

    ARRIVED = "arrived"  # new, waiting: no one eligible, or nothing assigns it
    AUTO = "auto"
    TAKEOVER = "takeover"
    TRANSFER = "transfer"
    SUPERVISOR = "supervisor"
    IDLE_RULE = "idle_rule"
    IDLE_FLAGGED = "idle_flagged"  # the idle rule's tries are used up: it stays, flagged
    AGENT_LEFT = "agent_left"
    CUSTOM = "custom"
    RESOLVED = "resolved"


class ActorKind(StrEnum):
    """Who made a decision."""

    ALLOCATOR = "allocator"  # the rules themselves (auto, a drain, the idle rule)
    USER = "user"  # an Agent, Supervisor or Admin
    API = "api"  # the customer's system, through one of its tokens
    COMMAND_LINE = "command_line"


class ChatDecision(db.Model):
    """One decision about a chat: from whom to whom (None: the queue), why, by whom, when,
    and the candidates with their loads at that moment. Names are copied, so the history
    outlives users and tokens."""

    __tablename__ = "chat_decisions"
    __table_args__ = (
        Index("ix_chat_decisions_chat", "chat_id", "id"),
        Index("ix_chat_decisions_account_newest", "account_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    reason: Mapped[DecisionReason] = mapped_column(code_column(DecisionReason, 16))
    from_agent_id: Mapped[int | None]
    from_name: Mapped[str] = mapped_column(String(32), default="")
    to_agent_id: Mapped[int | None]
    to_name: Mapped[str] = mapped_column(String(32), default="")
    actor_kind: Mapped[ActorKind] = mapped_column(code_column(ActorKind, 16))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    # A Supervisor or Admin confirmed giving the chat past the agent's Workload.
    over_capacity: Mapped[bool] = mapped_column(default=False, server_default=false())
    # [{"id", "username", "load", "capacity"}, …] as the allocator saw them, best first.
    candidates: Mapped[list[dict]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- the integration API (SPEC §8) --------------------------------------------------------------

class ApiToken(db.Model):
    """A bearer token of the integration API, acting for its account. Only its SHA-256 is
    kept (the token is 256 random bits, so a slow hash adds nothing), and its first
    characters to tell tokens apart. A revoked token stays listed, refused."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        Index("ix_api_tokens_account_newest", "account_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ApiRateWindow(db.Model):
    """How many requests a token made in one second (its epoch second): the per-token rate
    limit, shared by every worker process through the database."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"),
                                          primary_key=True)
    second: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    requests: Mapped[int] = mapped_column(default=0)
