"""audit_entries.changes: each edited field's old and new value, as data

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Existing entries keep their sentence in `details`; only new edits fill this column.
    op.add_column('audit_entries', sa.Column('changes', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('audit_entries', 'changes')
