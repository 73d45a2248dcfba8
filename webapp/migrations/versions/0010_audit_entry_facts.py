"""audit_entries.facts: codes and values instead of English sentences

The Activity log words its entries in the reader's language when it is read, so entries
keep facts (webapp.audit) rather than sentences. Existing entries are converted: each
English `details` sentence the app used to write becomes its facts, and "command line" in
actor_name or address becomes the fact that a command did it. A details text this does not
recognise stays as it is (the log shows it as it was written). Downgrading writes the
English sentences back.

The sentences and codes are copied here, not imported, so that this migration keeps doing
what it did when the app's words change later.

Revision ID: 0010
Revises: 0009
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 1000
COMMAND_LINE_WORDS = "command line"
COMMAND_LINE = "command_line"
ROLES = ("Admin", "Supervisor", "Agent")

# (action, sentence) -> reason, for the sentences written word for word.
REASONS = {
    "Wrong password": "wrong_password",
    "Wrong current password": "wrong_current_password",
    "Account disabled": "account_disabled",
    "Password changed meanwhile": "password_changed_meanwhile",
    "Unknown username": "unknown_username",
    "Account locked": "account_locked",
    "Too many attempts at once": "too_many_attempts",
}
SENTENCES = {reason: sentence for sentence, reason in REASONS.items()}
USER_LOCKED = re.compile(r"After (\d+) failed logins")
ADDRESS_REFUSED = re.compile(r"Address refused for (\d+) minutes after (\d+) failed logins")
USER_DELETED = re.compile(r"(.*) <([^<>]*)>, (Admin|Supervisor|Agent)", re.S)

entries = sa.table('audit_entries', sa.column('id', sa.Integer),
                   sa.column('action', sa.String), sa.column('actor_id', sa.Integer),
                   sa.column('actor_name', sa.String), sa.column('details', sa.String),
                   sa.column('changes', sa.JSON), sa.column('facts', sa.JSON),
                   sa.column('address', sa.String))


def facts_of(action, details):
    """The facts an English sentence of the old log stated, or None when it is not one."""
    if action == "failed login" and details in REASONS:
        return {"reason": REASONS[details]}
    if action == "locked out":
        if match := USER_LOCKED.fullmatch(details):
            return {"failed_logins": int(match[1])}
        if match := ADDRESS_REFUSED.fullmatch(details):
            return {"reason": "address_refused", "minutes": int(match[1]),
                    "failed_logins": int(match[2])}
    if action == "user created" and details in {f"Role {role}" for role in ROLES}:
        return {"role": details.removeprefix("Role ")}
    if action == "user deleted" and (match := USER_DELETED.fullmatch(details)):
        return {"name": match[1], "email": match[2], "role": match[3]}
    return None


def sentence_of(action, facts):
    """The English sentence the old log wrote for these facts, or None."""
    reason = facts.get("reason")
    if reason == "address_refused":
        return (f"Address refused for {facts.get('minutes')} minutes after "
                f"{facts.get('failed_logins')} failed logins")
    if reason is not None:
        return SENTENCES.get(reason, str(reason))
    if "failed_logins" in facts:
        return f"After {facts['failed_logins']} failed logins"
    if action == "user deleted" and "role" in facts:
        return f"{facts.get('name', '')} <{facts.get('email', '')}>, {facts['role']}"
    if "role" in facts:
        return f"Role {facts['role']}"
    return None


def batches(connection, where):
    """The entries that match `where`, a batch at a time, in id order."""
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(entries).where(where, entries.c.id > last_id)
            .order_by(entries.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def update_each(connection, values):
    """Set each entry's new values: [{"entry_id": …, column: value, …}], one statement per
    set of columns changed."""
    by_columns = {}
    for row in values:
        by_columns.setdefault(tuple(sorted(set(row) - {"entry_id"})), []).append(row)
    for columns, rows in by_columns.items():
        connection.execute(
            entries.update().where(entries.c.id == sa.bindparam("entry_id"))
            .values({column: sa.bindparam(f"new_{column}", type_=entries.c[column].type)
                     for column in columns}),
            [{"entry_id": row["entry_id"]} | {f"new_{column}": row[column]
                                              for column in columns} for row in rows])


def upgrade():
    op.add_column('audit_entries', sa.Column('facts', sa.JSON(), nullable=True))
    connection = op.get_bind()
    old_words = sa.or_(entries.c.details != "", entries.c.actor_name == COMMAND_LINE_WORDS,
                       entries.c.address == COMMAND_LINE_WORDS)
    for rows in batches(connection, old_words):
        values = []
        for row in rows:
            new = {}
            facts = facts_of(row.action, row.details) or {}
            if facts:
                new["details"] = ""
            if row.action == "user edited" and row.details == "No changes" \
                    and row.changes is None:
                new.update(details="", changes=[])  # the log words an empty list
            if row.actor_name == COMMAND_LINE_WORDS and row.actor_id is None:
                facts["actor"] = COMMAND_LINE
                new["actor_name"] = ""
            if row.address == COMMAND_LINE_WORDS:
                facts["address"] = COMMAND_LINE
                new["address"] = ""
            if facts:
                new["facts"] = facts
            if new:
                values.append({"entry_id": row.id, **new})
        update_each(connection, values)


def downgrade():
    connection = op.get_bind()
    for rows in batches(connection, entries.c.facts.is_not(None)):
        values = []
        for row in rows:
            facts = row.facts if isinstance(row.facts, dict) else {}
            new = {}
            sentence = sentence_of(row.action, facts)
            if sentence is not None and not row.details:
                new["details"] = sentence[:500]
            if facts.get("actor") == COMMAND_LINE:
                new["actor_name"] = COMMAND_LINE_WORDS
            if facts.get("address") == COMMAND_LINE:
                new["address"] = COMMAND_LINE_WORDS
            if new:
                values.append({"entry_id": row.id, **new})
        update_each(connection, values)
    # An edit that changed nothing reads "No changes" again below 0008 too.
    for rows in batches(connection, sa.and_(entries.c.action == "user edited",
                                            entries.c.details == "",
                                            entries.c.changes.is_not(None))):
        update_each(connection, [{"entry_id": row.id, "details": "No changes"}
                                 for row in rows if row.changes == []])
    op.drop_column('audit_entries', 'facts')
