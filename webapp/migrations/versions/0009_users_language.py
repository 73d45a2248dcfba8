"""users.language: the language a user chose to read the app in

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch table copy), so the search index triggers on users survive.
    op.add_column('users', sa.Column('language', sa.String(length=8), nullable=False,
                                     server_default=''))


def downgrade():
    op.drop_column('users', 'language')
