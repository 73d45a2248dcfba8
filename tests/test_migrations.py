"""The committed migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from webapp import create_app, search_index
from webapp.extensions import db


@pytest.fixture
def empty_app(database_url):
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        yield app
        db.engine.dispose()


# Alembic cannot reflect expression indexes on SQLite and says so; the test below checks
# those indexes by name instead.
@pytest.mark.filterwarnings("ignore:autogenerate skipping")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_upgrade_matches_the_models(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": search_index.include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
    assert {"uq_users_username_lower", "uq_divisions_account_name",
            "ix_users_account_newest"} <= index_names()


def index_names() -> set[str]:
    """Every index, expression indexes included (which SQLAlchemy cannot reflect on SQLite)."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    with db.engine.connect() as connection:
        return set(connection.exec_driver_sql(query).scalars())


def test_downgrade_to_nothing_and_back(empty_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "users" in inspect(db.engine).get_table_names()
