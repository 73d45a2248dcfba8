"""The search index (FTS5 on SQLite, pg_trgm on PostgreSQL) finds exactly what LIKE finds."""

import pytest
from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, inspect, select, text

from tests.conftest import HTMX, on_postgresql
from webapp import paging
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Account, Role, Status, User, searchable_text
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


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
def test_a_short_query_reads_one_range_of_the_grams_and_no_user(account, people):
    for query in ("io", "a", "%"):
        plan = explain(listing.matching_ids(account.id, query).limit(25))
        assert plan == ["SCAN users_grams VIRTUAL TABLE INDEX 192:M1"], plan  # newest first


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
def test_a_short_query_with_a_filter_walks_the_grams_newest_first(account, people):
    plan = explain(listing.matching_ids(account.id, "io", role="Admin").limit(25))
    assert plan[0].startswith("SCAN users_grams VIRTUAL TABLE INDEX"), plan
    assert plan[1].startswith("SEARCH users USING"), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL's query plans")
def test_postgresql_reads_a_short_query_from_the_grams(account, people):
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: as at 100,000
    sql = str(listing.matching_ids(account.id, "io").limit(25)
              .compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    assert "users_grams_pkey" in plan and "Seq Scan" not in plan, plan


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


# -- the fast path against a plain scan, over random users and random queries ---------------

# Letters in both cases (ß, ẞ, ﬃ and İ change length when case-folded), LIKE's wildcards and
# escape, a quote (FTS5's), phone characters, an Arabic-Indic digit (searched as an ASCII one)
# and the space, which a stripped query never starts or ends with.
ALPHABET = "aAbB12 -_%\\\"+()éÉßẞﬃİ٣Σς.@"
SORTS = [listing.NEWEST_FIRST, listing.Sort("created", False), listing.Sort("name", False),
         listing.Sort("username", True), listing.Sort("email", False), listing.Sort("role", True)]

person = st.fixed_dictionaries({
    "first_name": st.text(ALPHABET, min_size=1, max_size=6),
    "last_name": st.text(ALPHABET, max_size=6),
    "handle": st.text("ab1_.%", max_size=3),
    "phone": st.text("+0123456789", max_size=5),
    "role": st.sampled_from([role.value for role in Role]),
    "status": st.sampled_from([status.value for status in Status]),
    "other_account": st.booleans(),
})
search = st.tuples(
    st.one_of(st.text(ALPHABET, min_size=1, max_size=2),  # the grams
              st.text(ALPHABET, min_size=1, max_size=5)),  # the trigram index, or both
    st.sampled_from(["", *(role.value for role in Role)]),
    st.sampled_from(["", *(status.value for status in Status)]),
    st.sampled_from(SORTS),
)


def grams_of(text_: str) -> set[str]:
    return {text_[start:start + width] for width in (1, 2) for start in range(len(text_))
            if len(text_[start:start + width]) == width and " " not in text_[start:start + width]
            and "\n" not in text_[start:start + width]}


def stored_grams() -> set[tuple[int, str, int]]:
    """(account_id, gram, user_id) for every gram the index holds, read back from it."""
    if db.engine.dialect.name != "sqlite":
        return set(db.session.execute(text("SELECT account_id, gram, user_id FROM users_grams")))
    db.session.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.users_grams_tokens "
                            "USING fts5vocab(main, users_grams, 'instance')"))
    tokens = db.session.execute(text("SELECT term, doc FROM temp.users_grams_tokens"))
    return {(int(account), bytes.fromhex(gram).decode(), user_id)
            for token, user_id in tokens for account, gram in [token.split("x")]}


def expected_grams() -> set[tuple[int, str, int]]:
    return {(account_id, gram, user_id)
            for user_id, account_id, search_text in db.session.execute(
                select(User.id, User.account_id, User.search_text))
            for gram in grams_of(search_text)}


def scanned_ids(account_id: int, query: str, role: str, status: str,
                sort: listing.Sort) -> list[int]:
    """The reference: search_filter's LIKE over every one of the account's users."""
    ids = select(User.id).where(User.account_id == account_id, listing.search_filter(query))
    if role:
        ids = ids.where(User.role == role)
    if status:
        ids = ids.where(User.status == status)
    return list(db.session.scalars(ids.order_by(*sort.order_by())))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=st.lists(person, max_size=10),
       edits=st.lists(st.tuples(st.integers(0, 9), st.text(ALPHABET, max_size=6)), max_size=3),
       deletes=st.lists(st.integers(0, 9), max_size=2),
       searches=st.lists(search, min_size=1, max_size=8),
       few=st.sampled_from([1, 3, listing.FEW]))
def test_the_fast_path_finds_what_a_scan_finds(factory, account, monkeypatch, people, edits,
                                               deletes, searches, few):
    """Random users (inserted, edited and deleted as the app and seed-demo write them) and
    random queries: every search, filtered and sorted any way, lists exactly the users the
    plain LIKE of search_filter finds, in the same order, and counts them right; with FEW
    small too, so that sorted searches take the "many matches" way as well."""
    monkeypatch.setattr(listing, "FEW", few)
    other = db.session.scalar(select(Account).where(Account.name == "Other")) \
        or factory.account("Other")
    rows = []
    for number, fields in enumerate(people):
        handle = fields["handle"] + str(number)
        names = {"first_name": fields["first_name"], "last_name": fields["last_name"],
                 "username": handle, "email": f"{handle}@x.io", "phone": fields["phone"]}
        rows.append(names | {
            "account_id": other.id if fields["other_account"] else account.id,
            "role": fields["role"], "status": fields["status"], "password_hash": "-",
            "search_text": searchable_text(User(**names))})
    with write_transaction():
        if rows:
            db.session.execute(insert(User.__table__), rows)  # as seed-demo writes
    made = list(db.session.scalars(select(User).where(User.username.in_(
        [row["username"] for row in rows])).order_by(User.id)))
    with write_transaction():  # as the app edits and deletes: through the ORM
        for index, last_name in edits:
            if index < len(made):
                made[index].last_name = last_name
        for index in deletes:
            if index < len(made) and made[index] in db.session:
                db.session.delete(made[index])
    try:
        assert stored_grams() == expected_grams()
        for query, role, status, sort in searches:
            expected = scanned_ids(account.id, query, role, status, sort)
            found = list(db.session.scalars(
                listing.matching_ids(account.id, query, role, status, sort)))
            assert found == expected, (query, role, status, sort)
            page = listing.list_users(account.id, query, role, 1, 2, status, sort)
            assert [user.id for user in page.items] == expected[:2]
            assert page.total == len(expected)
    finally:
        with write_transaction():
            db.session.execute(delete(User).where(User.account_id.in_([account.id, other.id]),
                                                  User.password_hash == "-"))
        db.session.commit()


def grams_objects() -> set[tuple[str, str]]:
    """users_grams' own objects (tables, triggers, functions), each with its definition."""
    if db.engine.dialect.name == "sqlite":
        query = ("SELECT name, sql FROM sqlite_master WHERE name LIKE 'users\\_grams%' "
                 "ESCAPE '\\' AND sql IS NOT NULL AND name NOT LIKE '%\\_data' ESCAPE '\\'")
    else:
        query = ("SELECT proname, prosrc FROM pg_proc WHERE starts_with(proname, 'users_grams') "
                 "UNION ALL SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                 "WHERE starts_with(tgname, 'users_grams') UNION ALL "
                 "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users_grams'")
    with db.engine.connect() as connection:
        return {(name, " ".join(sql.split())) for name, sql in connection.exec_driver_sql(query)}


def test_migrated_and_created_databases_get_the_same_grams(empty_app):
    upgrade()
    migrated = grams_objects()
    assert len(migrated) >= 3
    downgrade(revision="base")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    db.create_all()
    assert grams_objects() == migrated


def test_migration_0012_fills_the_grams_of_the_users_already_there(empty_app):
    upgrade(revision="0011")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO accounts (id, name, created_at) "
                                "VALUES (1, 'Acme', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO users (account_id, first_name, last_name, username, email, phone, "
            "role, status, password_hash, session_token, search_text, version, created_at) "
            "VALUES (1, 'Ann', 'Lee', 'ann', 'ann@x.io', '', 'Admin', 'active', '-', 't', "
            "'ann lee\nann\nann@x.io\n', 1, CURRENT_TIMESTAMP)"))
    upgrade(revision="0012")
    assert stored_grams() == expected_grams()
    assert list(db.session.scalars(listing.matching_ids(1, "@x"))) == [1]
    db.session.rollback()
    downgrade(revision="0011")
    assert not [name for name in inspect(db.engine).get_table_names() if "grams" in name]
