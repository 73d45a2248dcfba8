"""The search index (FTS5 on SQLite, pg_trgm on PostgreSQL) finds exactly what LIKE finds."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, inspect, select, text

from tests.conftest import HTMX, on_postgresql
from webapp import paging
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Role, User, searchable_text
from webapp.users import listing

QUERIES = [
    "ann", "ANN", "lee", "ann lee", "leeann", "smith", "support.io", "812 3456-7890", "+62812",
    "555", "%", "ten%", "_", "b_b", "bob_", "\\", "back\\slash", "ÉVA", "ödön", 'o"b', '"',
    "an", "a", "io", "nobody here", "straße", "strasse", "e\na",
]


@pytest.fixture
def people(factory, account, admin):
    other = factory.account("Other")
    factory.user(other, Role.AGENT, username="stranger", first_name="Ann", last_name="Lee")
    return {
        "ann": factory.user(account, username="ann", first_name="Ann", last_name="Lee",
                            email="ann@sales.io", phone="+6281234567890"),
        "bob": factory.user(account, Role.SUPERVISOR, username="bob_smith", first_name="Bob",
                            last_name="Smith", email="bob@support.io", phone="0215551234"),
        "pct": factory.user(account, username="percent", first_name="Ten%", last_name="Off",
                            email="pct@x.io"),
        "eva": factory.user(account, Role.ADMIN, username="eva", first_name="Éva",
                            last_name="Ödön", email="eva@x.io"),
        "quote": factory.user(account, username="obrien", first_name="Pat",
                              last_name='O"Brien', email="pat@x.io"),
        "slash": factory.user(account, username="slash", first_name="Back\\slash",
                              last_name="Straße", email="slash@x.io"),
    }


def like_ids(account_id: int, query: str) -> list[int]:
    """The reference: the plain LIKE of search_filter over every user, newest first."""
    return list(db.session.scalars(
        select(User.id).where(User.account_id == account_id, listing.search_filter(query))
        .order_by(User.id.desc())))


def indexed_ids(account_id: int, query: str) -> list[int]:
    return list(db.session.scalars(listing.matching_ids(account_id, query)))


def assert_index_agrees(account_id: int) -> None:
    for query in QUERIES:
        assert indexed_ids(account_id, query) == like_ids(account_id, query), query


def test_the_index_finds_what_like_finds(account, people):
    assert indexed_ids(account.id, "ann lee") == [people["ann"].id]
    assert indexed_ids(account.id, 'o"b') == [people["quote"].id]
    assert_index_agrees(account.id)


def test_and_still_after_edits(account, people):
    people["ann"].last_name = "Park"
    people["bob"].email = "robert@sales.io"
    db.session.commit()
    assert indexed_ids(account.id, "lee") == []
    assert indexed_ids(account.id, "ann park") == [people["ann"].id]
    assert indexed_ids(account.id, "sales.io") == [people["bob"].id, people["ann"].id]
    assert_index_agrees(account.id)


def test_and_after_deletes(account, people):
    db.session.delete(people["bob"])
    db.session.commit()
    assert indexed_ids(account.id, "smith") == []
    assert_index_agrees(account.id)


def test_and_for_rows_inserted_in_bulk(account, people):
    """seed-demo writes with a Core INSERT: the database itself keeps the index."""
    fields = {"first_name": "Bulk", "last_name": "Loaded", "username": "bulky",
              "email": "bulky@x.io", "phone": ""}
    with write_transaction():
        db.session.execute(insert(User.__table__), [fields | {
            "account_id": account.id, "role": "Agent", "division_id": account.divisions[0].id,
            "password_hash": "-", "search_text": searchable_text(User(**fields)),
        }])
    assert len(indexed_ids(account.id, "bulk loaded")) == 1
    assert_index_agrees(account.id)


def test_other_accounts_stay_out(account, people):
    assert indexed_ids(account.id, "ann") == [people["ann"].id]


def explain(statement) -> list[str]:
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    return [row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]


@pytest.mark.skipif(on_postgresql(), reason="FTS5 is SQLite's")
def test_a_long_query_walks_the_fts_index_newest_first(account, people):
    ids = listing.matching_ids(account.id, "smith")
    for plan in (explain(ids.limit(25)), explain(ids.limit(paging.COUNT_AHEAD + 1))):
        assert plan[0].startswith("SCAN users_fts VIRTUAL TABLE"), plan
        assert not any(step.startswith("SCAN users") and "users_fts" not in step
                       for step in plan), plan  # no full scan of users
        assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort of all matches


@pytest.mark.skipif(on_postgresql(), reason="FTS5 is SQLite's")
def test_a_short_query_falls_back_to_the_accounts_rows(account, people):
    plan = explain(listing.matching_ids(account.id, "io"))
    assert not any("users_fts" in step for step in plan), plan
    assert any("ix_users_account_newest" in step for step in plan), plan


@pytest.mark.skipif(not on_postgresql(), reason="pg_trgm is PostgreSQL's")
def test_postgresql_can_serve_the_like_from_the_trigram_index(account, people):
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    sql = str(select(User.id).where(listing.search_filter("smith"))
              .compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    assert "ix_users_search_text_trgm" in plan, plan


class TestCountingStopsEarly:
    @pytest.fixture
    def many(self, factory, account, admin, monkeypatch):
        monkeypatch.setattr(paging, "COUNT_AHEAD", 30)
        return [factory.user(account, username=f"agent{n:02}") for n in range(40)]

    def test_the_first_page_says_more_than(self, admin_client, many):
        fragment = admin_client.get("/users", query_string={"q": "agent"}, headers=HTMX).text
        assert "Showing 1–25 of more than 30 users matching your search" in fragment
        assert "Page 1 of more than 1" in fragment and 'rel="next"' in fragment

    def test_paging_on_counts_further(self, admin_client, many):
        fragment = admin_client.get("/users", query_string={"q": "agent", "page": 2},
                                    headers=HTMX).text
        assert "Showing 26–40 of 40 users" in fragment and "Page 2 of 2" in fragment

    def test_a_short_page_needs_no_count(self, account, many):
        page = listing.list_users(account.id, "agent0")
        assert page.total == 10 and page.total_is_exact and page.pages == 1


# -- the migration ---------------------------------------------------------------------------

def test_migration_0002_indexes_the_users_already_there(empty_app):
    upgrade(revision="0001")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO accounts (id, name, created_at) "
                                "VALUES (1, 'Acme', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO users (account_id, first_name, last_name, username, email, phone, "
            "role, status, password_hash, session_token, search_text, version, created_at) "
            "VALUES (1, 'Ann', 'Lee', 'ann', 'ann@x.io', '', 'Admin', 'active', '-', 't', "
            "'ann\nlee\nann lee\nann\nann@x.io\n', 1, CURRENT_TIMESTAMP)"))
    upgrade(revision="0002")
    assert len(indexed_ids(1, "ann lee")) == 1
    db.session.rollback()  # PostgreSQL: an open read would hold up the DROP below
    downgrade(revision="0001")
    assert not [name for name in inspect(db.engine).get_table_names() if "fts" in name]
