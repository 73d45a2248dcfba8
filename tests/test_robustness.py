"""A broken database, a hostile request or a confused proxy still gets one of our own
answers: error pages that need neither the database nor a sane request, limits on what a
request may carry, /healthz that tells the truth, and a database file only we can read."""

import io
import json
import os
import sqlite3
import stat
import time

import pytest
from babel.support import Translations
from flask import request, url_for
from sqlalchemy import select, text

from tests.conftest import HTMX, PASSWORD, on_postgresql
from tests.live import free_port
from webapp import create_app
from webapp.auth.sessions import IDLE_TIMEOUT_SECONDS
from webapp.extensions import db
from webapp.models import AuditEntry, Role

CATALOGUES = os.path.join(os.path.dirname(__file__), "..", "webapp", "translations")

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                    "X-Frame-Options")
sqlite_only = pytest.mark.skipif(on_postgresql(), reason="SQLite's own files and locks")


def assert_our_error(response, status: int, words: str) -> None:
    """Our error page (or for htmx our toast), with our headers and no internals."""
    assert response.status_code == status, response.text[:500]
    for header in SECURITY_HEADERS:
        assert header in response.headers, header
    if response.request.headers.get("HX-Request"):
        assert response.text == ""
        toast = json.loads(response.headers["HX-Trigger"])["toast"]
        assert words in toast["message"] and toast["level"] == "error"
    else:
        assert response.mimetype == "text/html"
        assert words in response.text and 'href="/"' in response.text
        assert "Traceback" not in response.text and "csrf_token" not in response.text


def logged_in_cookie(client) -> str:
    client.post("/login", data={"username": "boss", "password": PASSWORD})
    return client.get_cookie("session").value


def database_rows() -> dict:
    """Every row of every table: to show that a request changed nothing at all."""
    db.session.expire_all()
    with db.engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
                for table in db.metadata.sorted_tables}


# -- 1. Error pages need neither the database nor a sane request ------------------------------

@sqlite_only
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_busy_database_is_a_503_for_whole_pages_too(app, other_app, admin, headers):
    busy_app = other_app(SQLITE_BUSY_TIMEOUT_MS=100)
    client = busy_app.test_client()
    logged_in_cookie(client)
    holder = sqlite3.connect(db.engine.url.database)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        started = time.monotonic()
        response = client.post("/logout", headers=headers)
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert_our_error(response, 503, "try again")
    assert response.headers["Retry-After"] == "2"
    assert elapsed < 2  # one wait for the lock, not one more for each attempt at a page


def down_database_urls(tmp_path) -> dict[str, str]:
    return {
        "sqlite-missing-directory": f"sqlite:///{tmp_path}/missing/app.sqlite3",
        "postgresql-refusing": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
    }


@pytest.mark.parametrize("down", ["sqlite-missing-directory", "postgresql-refusing"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_database_that_is_down_is_a_503_for_a_logged_in_user(other_app, admin, tmp_path,
                                                               down, headers):
    cookie = logged_in_cookie(other_app().test_client())
    down_app = other_app(SQLALCHEMY_DATABASE_URI=down_database_urls(tmp_path)[down])
    client = down_app.test_client()
    client.set_cookie("session", cookie)
    response = client.get("/users", headers=headers)
    assert_our_error(response, 503, "try again")
    assert response.headers["Retry-After"] == "2"
    assert_our_error(client.post("/logout", headers=headers), 503, "try again")


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_with_the_database_down_the_error_is_in_the_users_language(other_app, admin,
                                                                  tmp_path, headers):
    """The language is chosen without the database: the user's choice, kept in the session
    when they made it, still holds when the database is what failed."""
    working = other_app().test_client()
    logged_in_cookie(working)
    working.post("/language", data={"language": "id", "next": "/users"})
    cookie = working.get_cookie("session").value
    down_app = other_app(
        SQLALCHEMY_DATABASE_URI=down_database_urls(tmp_path)["sqlite-missing-directory"])
    client = down_app.test_client()
    client.set_cookie("session", cookie)
    busy = Translations.load(str(CATALOGUES), ["id"]).gettext(
        "The server is busy. Please try again in a moment.")
    assert busy != "The server is busy. Please try again in a moment."
    response = client.get("/users", headers=headers | {"Accept-Language": "en"})
    assert_our_error(response, 503, busy)
    if not headers:
        assert '<html lang="id">' in response.text


@sqlite_only
@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_database_file_is_a_503(app, other_app, admin):
    cookie = logged_in_cookie(other_app().test_client())
    client = other_app().test_client()
    client.set_cookie("session", cookie)
    os.chmod(db.engine.url.database, 0)
    try:
        assert_our_error(client.get("/users"), 503, "try again")
        assert client.get("/healthz").status_code == 503
    finally:
        os.chmod(db.engine.url.database, 0o600)


@sqlite_only
def test_a_database_file_that_is_not_a_database_is_our_500_page(other_app, admin, tmp_path):
    cookie = logged_in_cookie(other_app().test_client())
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database " * 1000)
    client = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{junk}").test_client()
    client.set_cookie("session", cookie)
    assert_our_error(client.get("/users"), 500, "Something went wrong")
    assert_our_error(client.get("/users", headers=HTMX), 500, "Nothing was changed")


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_malformed_host_header_is_a_400(other_app, headers):
    # Werkzeug cannot IDNA-encode "x.." (an empty label), so Flask has no URL adapter for
    # this request: an error page that builds its links with url_for() fails in turn.
    client = other_app().test_client()
    response = client.get("/login", headers={"Host": "x.."} | headers)
    assert_our_error(response, 400, "could not be understood")


def test_an_error_before_any_view_is_our_500_page(other_app, admin):
    app = other_app()

    @app.before_request
    def break_everything():
        raise RuntimeError("secret internals")

    client = app.test_client()
    client.set_cookie("session", "forged")
    response = client.get("/users")
    assert_our_error(response, 500, "Something went wrong")
    assert "secret internals" not in response.text


# -- 2. Request size ----------------------------------------------------------------------------

def test_the_request_size_limit_is_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_an_oversized_post_is_refused_with_413(client, admin, headers):
    before = database_rows()
    response = client.post("/login", headers=headers, data={
        "username": "boss", "password": "x" * (8 * 1024 * 1024)})
    assert_our_error(response, 413, "too large")
    assert database_rows() == before


# -- 3. State-changing requests take form-encoded bodies only -----------------------------------

WRONG_BODIES = ["json-object", "json-list", "json-string", "multipart-file", "text",
                "no-content-type"]


def wrong_body(kind: str) -> dict:
    """The test client's arguments for a body of this kind (made anew: files get closed)."""
    return {
        "json-object": {"json": {"username": "boss", "password": 0}},
        "json-list": {"json": ["boss", "x"]},
        "json-string": {"json": "boss"},
        "multipart-file": {"data": {"username": "boss",
                                    "password": (io.BytesIO(b"pw"), "pw.txt")}},
        "text": {"data": "username=boss", "content_type": "text/plain"},
        "no-content-type": {"data": b"username=boss&password=x"},
    }[kind]


@pytest.fixture
def agent(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann")


@pytest.mark.parametrize("body", WRONG_BODIES)
def test_a_login_with_a_body_that_is_not_a_form_is_415_and_not_counted(client, admin, body,
                                                                      caplog):
    before = database_rows()
    response = client.post("/login", **wrong_body(body))
    assert_our_error(response, 415, "form")
    assert database_rows() == before  # no failed login counted, no audit entry
    refused = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("/login" in line and "ontent" in line for line in refused), refused


@pytest.mark.parametrize("body", WRONG_BODIES)
@pytest.mark.parametrize("path", ["/users", "/users/{id}", "/users/{id}/password"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_user_forms_refuse_bodies_that_are_not_forms(admin_client, agent, body, path, headers):
    before = database_rows()
    response = admin_client.post(path.format(id=agent.id), headers=headers,
                                 **wrong_body(body))
    assert_our_error(response, 415, "form")
    assert database_rows() == before


def test_a_post_without_a_body_is_still_a_post(admin_client, agent):
    assert admin_client.post(f"/users/{agent.id}/delete", headers=HTMX).status_code == 204
    assert admin_client.post("/logout").status_code == 302


def test_the_kind_of_body_is_checked_before_the_csrf_token(app, client, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/login", json={"username": "boss"}).status_code == 415
    assert client.post("/login", data={"username": "boss"}).status_code == 400  # no token


# -- 4, 5. Where anonymous and timed-out visitors are sent -------------------------------------

@pytest.mark.parametrize("current_url", ["http://[::1", "//[", "http://x:99999",
                                         "http://localhost:99999/users"])
def test_a_malformed_hx_current_url_still_sends_htmx_to_login(client, current_url):
    response = client.get("/users", headers=HTMX | {"HX-Current-URL": current_url})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/settings"


def test_logging_out_after_the_idle_timeout_ends_on_a_page_not_a_405(client, admin):
    logged_in_cookie(client)
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - IDLE_TIMEOUT_SECONDS - 60
    response = client.post("/logout")
    assert response.status_code == 302
    login_page = response.headers["Location"]
    assert login_page == "/login"  # no next: the browser would GET it after logging in
    response = client.post(login_page, data={"username": "boss", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_timed_out_get_still_returns_to_its_page(client, admin):
    logged_in_cookie(client)
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - IDLE_TIMEOUT_SECONDS - 60
    assert client.get("/users?q=ann").headers["Location"] == "/login?next=/users?q%3Dann"


# -- 6. Proxy headers ------------------------------------------------------------------------------

def test_behind_a_proxy_only_the_client_address_and_scheme_come_from_it(other_app, admin):
    app = other_app(PROXY_COUNT=1)

    @app.get("/test-where")
    def where():
        return {"address": request.remote_addr, "root": request.script_root,
                "login": url_for("auth.login", _external=True)}

    client = app.test_client()
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
              "X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"}
    assert client.get("/test-where", headers=forged).json == {
        "address": "203.0.113.7", "root": "", "login": "https://localhost/login"}
    assert client.get("/", headers=forged).headers["Location"] == "/login"
    response = client.post("/login", headers=forged,
                           data={"username": "boss", "password": PASSWORD})
    assert response.headers["Location"] == "/settings"
    addresses = set(db.session.scalars(select(AuditEntry.address)))
    assert addresses == {"203.0.113.7"}


# -- 7. /healthz -----------------------------------------------------------------------------------

def read_only_app(other_app):
    """The app on the same database, which it may read but not write."""
    if on_postgresql():
        return other_app(SQLALCHEMY_ENGINE_OPTIONS={
            "connect_args": {"options": "-c default_transaction_read_only=on"}})
    return other_app(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{db.engine.url.database}?mode=ro&uri=true")


def test_healthz_is_503_when_the_database_cannot_be_written(other_app, admin):
    response = read_only_app(other_app).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "database read-only"}


@sqlite_only
def test_healthz_writes_nothing_and_does_not_wait_for_a_writer(client):
    with db.engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA user_version = 7")
    assert client.get("/healthz").status_code == 200  # its trial write is rolled back
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA user_version").scalar() == 7
    holder = sqlite3.connect(db.engine.url.database)
    holder.execute("BEGIN IMMEDIATE")  # a long write elsewhere: busy, not broken
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 200 and elapsed < 1


def test_healthz_never_loads_the_user_of_a_login_cookie(client, admin):
    logged_in_cookie(client)
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - IDLE_TIMEOUT_SECONDS - 60  # would log out
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("down", ["sqlite-missing-directory", "postgresql-refusing"])
def test_healthz_with_a_login_cookie_and_the_database_down_is_503(other_app, admin, tmp_path,
                                                                  down):
    cookie = logged_in_cookie(other_app().test_client())
    client = other_app(SQLALCHEMY_DATABASE_URI=down_database_urls(tmp_path)[down]).test_client()
    client.set_cookie("session", cookie)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "database unavailable"}


# -- 8. The SQLite database file is private --------------------------------------------------------

def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@sqlite_only
def test_a_new_database_file_and_its_companions_are_private(tmp_path):
    path = tmp_path / "new.sqlite3"
    app = create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    assert mode_of(path) == 0o600  # before SQLAlchemy ever connected
    with app.app_context():
        db.create_all()
        with db.engine.connect():  # in WAL mode: -wal and -shm exist now
            assert {mode_of(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")} == {0o600}
        db.engine.dispose()


@sqlite_only
def test_an_existing_readable_database_file_is_made_private(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("PRAGMA journal_mode = WAL")
    old.execute("CREATE TABLE kept (x)")
    old.commit()  # -wal and -shm stay while this connection is open
    try:
        for name in (path, f"{path}-wal", f"{path}-shm"):
            os.chmod(name, 0o644)
        create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        assert {mode_of(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")} == {0o600}
    finally:
        old.close()


@sqlite_only
@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_database_file_of_another_user_is_left_alone(tmp_path):
    path = tmp_path / "theirs.sqlite3"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    os.chown(path, 65534, 65534)
    create_app({"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    assert mode_of(path) == 0o644


@pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL's lock_timeout")
def test_a_postgresql_lock_waits_at_most_five_seconds(app):
    assert db.session.execute(text("SHOW lock_timeout")).scalar() == "5s"


@pytest.mark.skipif(on_postgresql(), reason="SQLite files")
def test_a_relative_sqlite_path_is_made_private_where_it_really_lives(tmp_path, monkeypatch):
    """Flask-SQLAlchemy puts a relative SQLite path under the instance folder; that file
    is the one that must be private."""
    import secrets

    name = f"relative-{secrets.token_hex(4)}.sqlite3"
    monkeypatch.chdir(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{name}", "SECRET_KEY": "x"})
    real = os.path.join(app.instance_path, name)
    try:
        assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
        assert not (tmp_path / name).exists()
    finally:
        os.remove(real)
