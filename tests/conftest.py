"""Fixtures: the real app on a temporary SQLite database, clients, and ready-made users."""

import contextvars
import io
import os
import re

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from webapp import create_app
from webapp.extensions import db
from webapp.models import Account, Division, Role, User

# The real scrypt cost is checked in
# test_security.py::test_default_hash_is_scrypt_with_n_at_least_2_16;
# elsewhere a cheap one keeps tests fast.
FAST_HASH = "scrypt:1024:8:1"
PASSWORD = "correct horse battery staple"


class IsolatedClient(FlaskClient):
    """A test client whose requests run as a server runs them: each in a fresh context.

    The test itself holds an app context (for db.session in assertions). Without this, every
    request would share that context's `g`, and with it Flask-Login's cached user and the
    CSRF token, which would hide real bugs.
    """

    def open(self, *args, **kwargs):
        db.session.commit()  # end the test's transaction, so the request sees its writes
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # and the test then sees the request's writes
        return response


# Set to a PostgreSQL URL to run every test against PostgreSQL instead of SQLite.
POSTGRESQL_URL = os.environ.get("TEST_DATABASE_URL", "")


def reset_postgresql(url: str) -> None:
    """An empty database for each test: drop everything the last one made."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    """A fresh, empty database: a temporary SQLite file, or the test PostgreSQL database."""
    if POSTGRESQL_URL:
        reset_postgresql(POSTGRESQL_URL)
        return POSTGRESQL_URL
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


def on_postgresql() -> bool:
    return bool(POSTGRESQL_URL)


@pytest.fixture
def empty_app(database_url):
    """The app on an empty database with no tables: for tests of the migrations."""
    app = create_app({"SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        yield app
        db.engine.dispose()


@pytest.fixture
def app(database_url):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "WTF_CSRF_ENABLED": False,
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def other_app(app):
    """Another app on the same database: another worker process, or other settings."""
    made = []

    def make(**settings):
        other = create_app({
            "SECRET_KEY": "test-secret", "PASSWORD_HASH_METHOD": FAST_HASH,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        } | settings)
        other.test_client_class = IsolatedClient
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def app_with_catalogue(other_app, tmp_path):
    """An app reading Indonesian from a catalogue of just `translations` (msgid: msgstr, or
    (msgid, plural): msgstr), so a test shows its words in Indonesian whatever the real
    catalogue holds. Each app has its own catalogue cache (webapp.i18n)."""

    def make(translations: dict):
        # Indonesian has one plural form, as the real catalogue's header says.
        catalogue = read_po(io.StringIO('msgid ""\nmsgstr ""\n'
                                        '"Plural-Forms: nplurals=1; plural=0;\\n"\n'),
                            locale="id")
        for msgid, msgstr in translations.items():
            catalogue.add(msgid, (msgstr,) if isinstance(msgid, tuple) else msgstr)
        folder = tmp_path / f"catalogue{len(list(tmp_path.glob('catalogue*')))}"
        compiled = folder / "id" / "LC_MESSAGES" / "messages.mo"
        compiled.parent.mkdir(parents=True)
        with compiled.open("wb") as file:
            write_mo(file, catalogue)
        return other_app(BABEL_TRANSLATION_DIRECTORIES=str(folder))

    return make


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Makes accounts and users straight in the database."""

    def __init__(self, app):
        self.app = app
        self.count = 0

    def account(self, name="Acme") -> Account:
        account = Account.create(name)
        db.session.commit()
        return account

    def user(self, account: Account, role=Role.AGENT, username=None, **fields) -> User:
        self.count += 1
        username = username or f"user{self.count}"
        division = None
        if role != Role.ADMIN:
            division = fields.pop("division", None) or account.divisions[0]
        user = User(
            account_id=account.id, username=username,
            email=fields.pop("email", f"{username.lower()}@example.com"),
            first_name=fields.pop("first_name", username.capitalize()),
            last_name=fields.pop("last_name", "Tester"),
            role=role, division_id=division.id if division else None, **fields,
        )
        user.set_password(PASSWORD, FAST_HASH)
        db.session.add(user)
        db.session.commit()
        return user

    def division(self, account: Account, name: str) -> Division:
        division = Division(account_id=account.id, name=name)
        db.session.add(division)
        db.session.commit()
        return division


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def account(factory):
    return factory.account("Acme")


@pytest.fixture
def admin(factory, account):
    return factory.user(account, Role.ADMIN, username="boss", first_name="Bo", last_name="Ss")


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username="boss", password=PASSWORD, **kwargs):
        return self.client.post("/login", data={"username": username, "password": password},
                                **kwargs)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def admin_client(client, auth, admin):
    """A client logged in as the account's Admin."""
    auth.login()
    return client


HTMX = {"HX-Request": "true"}


def csrf_token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def server(database_url):
    """The app under gunicorn (several workers) on the test database: real HTTP, real
    processes (tests/live.py)."""
    from tests import live

    with live.gunicorn(database_url) as running:
        yield running


@pytest.fixture
def root(server):
    """A cookie-keeping HTTP client logged in to `server` as its Admin "root"."""
    from tests import live

    browser = live.Browser(server.url)
    browser.login()
    return browser
