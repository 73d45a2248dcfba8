"""What the browser tests and `make screenshots` share: the app on a live server, test data,
logging in, and a watch on the browser for console errors and CSP violations."""

import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.support import Translations
from flask import Flask, got_request_exception
from playwright.sync_api import BrowserContext, Page, expect
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from webapp import create_app
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Account, Division, Role, Status, User

# A cheap scrypt cost keeps logins fast; the real cost is tested elsewhere.
FAST_HASH = "scrypt:1024:8:1"
PASSWORD = "browser tests walk the flow"
# Every seeded user shares one hash, made once, outside any write transaction.
FAST_PASSWORD_HASH = generate_password_hash(PASSWORD, method=FAST_HASH)

# Chromium's own background traffic (updates, sync, field trials) is noise on a test machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]
VIEWPORT = {"width": 1280, "height": 800}
CATALOGUES = Path(__file__).resolve().parents[2] / "webapp" / "translations"
LANGUAGES = ("en", "id")


@cache
def translator(language: str):
    """The app's own words in `language`, from its compiled catalogue, so a test can find a
    button by what an Indonesian reader sees: t("Save") → "Simpan";
    t("Edit %(name)s", name="budi") → "Ubah budi"; a plural names its other form and the count:
    t("%(n)s user", "%(n)s users", count, n=count)."""
    catalogue = Translations.load(str(CATALOGUES), [language])

    def t(message: str, plural: str = "", count: int = 1, **values) -> str:
        text = catalogue.ngettext(message, plural, count) if plural else catalogue.gettext(message)
        return text % values if values else text

    return t

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


# --- The app on a live server --------------------------------------------------------------

def create_live_app(database: Path) -> Flask:
    """The real app on an SQLite file, CSRF protection on, as a person's browser meets it."""
    app = create_app({
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "PASSWORD_HASH_METHOD": FAST_HASH,
    })
    with app.app_context():
        db.create_all()
    return app


@contextmanager
def serve(app: Flask, errors: list[str]) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) from a daemon thread; yields its base URL.

    Every exception the app raises while handling a request is appended to `errors`.
    """
    def record(sender, exception, **extra):
        errors.append(f"{type(exception).__name__}: {exception}")

    got_request_exception.connect(record, app, weak=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Data ---------------------------------------------------------------------------------

@dataclass
class Person:
    id: int
    account_id: int
    username: str
    email: str
    first_name: str
    last_name: str
    role: str
    password: str = PASSWORD

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Seed:
    """Makes accounts and users straight in the live server's database, unique per call."""

    numbers = itertools.count(1)

    def __init__(self, app: Flask):
        self.app = app

    def unique(self, stem: str) -> str:
        return f"{stem}{next(self.numbers)}"

    def account(self, name: str | None = None, divisions: tuple[str, ...] = ()) -> int:
        """A new account (with "General") and these further divisions; returns its id."""
        # A write transaction, as the app writes: it waits for the server's own writes (a
        # time-zone report on page load, say) instead of failing with "database is locked".
        with self.app.app_context(), write_transaction():
            account = Account.create(name or self.unique("Browser Co "))
            for division in divisions:
                account.divisions.append(Division(name=division))
            db.session.flush()
            return account.id

    def user(self, account_id: int, role: Role = Role.AGENT, username: str | None = None,
             first_name: str = "Test", last_name: str = "Person", division: str = "General",
             **fields) -> Person:
        username = username or self.unique(role.value.lower())
        with self.app.app_context(), write_transaction():
            account = db.session.get(Account, account_id)
            division_id = None
            if role is not Role.ADMIN:
                division_id = next(d.id for d in account.divisions if d.name == division)
            user = User(account_id=account_id, username=username,
                        email=fields.pop("email", f"{username.lower()}@example.com"),
                        first_name=first_name, last_name=last_name, role=role,
                        division_id=division_id, **fields)
            user.password_hash = FAST_PASSWORD_HASH
            db.session.add(user)
            db.session.flush()
            return Person(user.id, account_id, user.username, user.email, user.first_name,
                          user.last_name, user.role)

    def admin(self, **fields) -> Person:
        """A new account with its Admin."""
        fields.setdefault("first_name", "Ada")
        fields.setdefault("last_name", "Admin")
        return self.user(self.account(), Role.ADMIN, **fields)

    def find(self, username: str) -> User | None:
        """The stored user (detached), to check what the browser did."""
        with self.app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == username))
            if user is not None:
                db.session.expunge(user)
            return user

    def demo_account(self, suffix: str | None = None, language: str = "en") -> "Demo":
        """An account that looks like a real team: the README's screenshots show it.

        `suffix` keeps its usernames unique; by default a fresh number, "" on an empty database.
        Its people read the app in `language` (their saved choice).
        """
        suffix = str(next(self.numbers)) if suffix is None else suffix
        account_id = self.account(f"Nusantara Retail {suffix}".strip(), ("Sales", "Support"))
        people = [
            # (first, last, username, role, division, phone, status)
            ("Siti", "Rahmawati", "siti.r", Role.ADMIN, None, "+62 812 3456 7890", "active"),
            ("Budi", "Santoso", "budi.s", Role.SUPERVISOR, "Support", "+62 813 1111 2222",
             "active"),
            ("Dewi", "Lestari", "dewi.l", Role.AGENT, "Support", "+62 815 3333 4444", "active"),
            ("Agus", "Pratama", "agus.p", Role.AGENT, "Support", "", "active"),
            ("Rina", "Wijaya", "rina.w", Role.SUPERVISOR, "Sales", "+62 817 5555 6666",
             "active"),
            ("Eko", "Saputra", "eko.s", Role.AGENT, "Sales", "+62 818 7777 8888", "disabled"),
            ("Maya", "Putri", "maya.p", Role.AGENT, "Sales", "+62 819 2468 1357", "active"),
            ("Joko", "Susilo", "joko.s", Role.AGENT, "General", "", "active"),
        ]
        made = []
        for first, last, username, role, division, phone, status in people:
            username = f"{username}{suffix}"
            made.append(self.user(
                account_id, role, username=username, first_name=first, last_name=last,
                division=division or "General", email=f"{username}@nusantara.example",
                phone=phone.replace(" ", ""), status=Status(status), language=language))
        return Demo(admin=made[0], users=made, language=language)


@dataclass
class Demo:
    admin: Person
    users: list[Person]
    language: str = "en"

    def t(self, message: str, plural: str = "", count: int = 1, **values) -> str:
        """`message` as this team reads it (see translator)."""
        return translator(self.language)(message, plural, count, **values)


def login(page: Page, person: Person) -> None:
    """Log in through the form, as a person would; lands on Settings (an Admin) or on
    My chats (Agents and Supervisors)."""
    page.goto("/login")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Login").click()
    landing = "settings" if person.role == Role.ADMIN else "chats"
    expect(page).to_have_url(re.compile(rf"/{landing}$"))


# --- Watching the browser -----------------------------------------------------------------

# Reports every CSP violation to Python (window.__reportCspViolation is bound by
# expose_function) and keeps them on the page as well, in window.__cspViolations.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.violatedDirective, blocked: event.blockedURI,
    source: event.sourceFile, line: event.lineNumber, sample: event.sample,
  };
  window.__cspViolations.push(violation);
  if (typeof window.__reportCspViolation === "function") window.__reportCspViolation(violation);
});
"""

FAILED_RESOURCE = re.compile(r"^Failed to load resource: the server responded with a status "
                             r"of (\d{3})\b")


ABORTED, AFTER_REQUEST = "htmx:sendAbort", "htmx:afterRequest"


@dataclass
class Problems:
    """What went wrong in the browser or on the server."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    # Chromium logs every 4xx/5xx answer as a console error ("Failed to load resource").
    # A test that deliberately provokes one allows that status; the lines are kept here.
    allowed_statuses: dict[int, str] = field(default_factory=dict, repr=False)
    allowed_http_errors: list[str] = field(default_factory=list, repr=False)
    aborted_requests: list[str] = field(default_factory=list, repr=False)

    def __bool__(self) -> bool:
        return bool(self.console_errors or self.page_errors or self.csp_violations
                    or self.server_errors)

    def allow_status(self, status: int, why: str) -> None:
        """Accept Chromium's console line for an HTTP `status` provoked on purpose."""
        self.allowed_statuses[status] = why

    def assert_none(self, when: str = "") -> None:
        assert not self, f"Problems in the browser{' ' + when if when else ''}: {self}"

    def on_console(self, message) -> None:
        if message.type != "error" and "Content Security Policy" not in message.text:
            return
        location = message.location or {}
        line = f"{message.text} ({location.get('url', '')})"
        failed = FAILED_RESOURCE.match(message.text)
        if failed and int(failed.group(1)) in self.allowed_statuses:
            self.allowed_http_errors.append(line)
        elif message.text.startswith(ABORTED):
            # htmx aborts a request whose element went away (a poll in flight when a filter
            # replaced its table) and logs it as two errors, htmx:afterRequest then
            # htmx:sendAbort: nothing went wrong, and a slow machine makes it likely.
            self.aborted_requests.append(line)
            after_request = next((logged for logged in reversed(self.console_errors)
                                  if logged.startswith(AFTER_REQUEST)), None)
            if after_request is not None:
                self.console_errors.remove(after_request)
        else:
            self.console_errors.append(line)


def watch(context: BrowserContext) -> Problems:
    """Collect console errors, uncaught exceptions and CSP violations of every page of
    `context`; call before its pages are opened."""
    found = Problems()
    context.on("console", found.on_console)
    context.on("weberror", lambda error: found.page_errors.append(str(error.error)))
    context.expose_function("__reportCspViolation",
                            lambda violation: found.csp_violations.append(violation))
    context.add_init_script(CSP_WATCH)
    return found
