"""emails and phones in their one stored form

Users saved before webapp.identity existed may hold an email in another Unicode form
(full-width letters, NFD, a punycode domain) or a phone in non-ASCII digits. Put them in
the form the app now stores, so the unique index and searches see one text per address.

The rules are copied here, not imported, so that this migration keeps doing what it did
when the app's rules change later.

Revision ID: 0005
Revises: 0004
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PHONE_SEPARATORS = re.compile(r"[\s-]")
users = sa.table('users', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                 sa.column('last_name', sa.String), sa.column('username', sa.String),
                 sa.column('email', sa.String), sa.column('phone', sa.String),
                 sa.column('search_text', sa.Text))


def stored_email(email):
    folded = unicodedata.normalize("NFKC", email).strip().lower()
    try:
        return validate_email(folded, check_deliverability=False).normalized
    except EmailNotValidError:
        return email  # left as it is; the edit form will ask for a valid one


def stored_phone(phone):
    digits = "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None
                     else c for c in phone or "")
    return PHONE_SEPARATORS.sub("", digits)


def search_text(row, email, phone):
    full_name = f"{row.first_name} {row.last_name}".strip()
    return "\n".join(part or "" for part in (full_name, row.username, email, phone)).casefold()


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(users)).all()
    emails = {}
    for row in rows:
        emails.setdefault(stored_email(row.email), []).append(row)
    clashes = {email: found for email, found in emails.items() if len(found) > 1}
    if clashes:
        listed = "; ".join(f"{email}: user ids {', '.join(str(r.id) for r in found)}"
                           for email, found in clashes.items())
        raise RuntimeError("These users' emails are one address written in different forms; "
                           f"change all but one of each, then migrate again: {listed}")
    for row in rows:
        email, phone = stored_email(row.email), stored_phone(row.phone)
        if (email, phone) != (row.email, row.phone):
            connection.execute(users.update().where(users.c.id == row.id).values(
                email=email, phone=phone, search_text=search_text(row, email, phone)))


def downgrade():
    pass  # the normalised values are valid in the earlier form too
