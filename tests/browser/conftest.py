"""Browser fixtures: Debian's Chromium, the real app on a live server, and a watch on the page.

The app runs in this process on a werkzeug server (127.0.0.1, a free port, a daemon thread)
against a temporary SQLite file, with CSRF protection on, as a person's browser meets it.
Every test makes its own account and users (`seed`), so tests never see each other's data.
Every page is watched: a console error, an uncaught exception, a Content-Security-Policy
violation or a server exception fails the test that caused it.
"""

import pytest
from playwright.sync_api import BrowserContext, Page

from .check_chromium import DEFAULT_CHROMIUM, check, chromium_path
from .live import (
    CHROMIUM_ARGS,
    VIEWPORT,
    Person,
    Problems,
    Seed,
    create_live_app,
    login,
    serve,
    watch,
)

# --- The browser ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (or $CHROMIUM_PATH); Playwright's own download is never used."""
    path = chromium_path()
    problem = check(path)
    if problem:
        pytest.fail(
            f"Chromium is needed for the browser tests, and {problem}. Run "
            "`sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary "
            f"(default {DEFAULT_CHROMIUM}).", pytrace=False)
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "en-US"}


# --- The app on a live server --------------------------------------------------------------

@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    return create_live_app(tmp_path_factory.mktemp("browser") / "app.sqlite3")


@pytest.fixture(scope="session")
def server_errors() -> list[str]:
    """Exceptions raised while the live server handled a request, in order."""
    return []


@pytest.fixture(scope="session")
def live_server(live_app, server_errors):
    with serve(live_app, server_errors) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright gives it to every context, so page.goto("/login") works."""
    return live_server


# --- Data ---------------------------------------------------------------------------------

@pytest.fixture
def seed(live_app) -> Seed:
    return Seed(live_app)


@pytest.fixture
def admin(seed) -> Person:
    """A fresh account's Admin."""
    return seed.admin()


# --- Watching the page --------------------------------------------------------------------

@pytest.fixture
def problems(context: BrowserContext, server_errors) -> Problems:
    """Console errors, uncaught exceptions, CSP violations and server exceptions of this test;
    any of them fails it at the end (tests may also check at each step)."""
    found = watch(context)
    already = len(server_errors)
    yield found
    found.server_errors.extend(server_errors[already:])
    found.assert_none("during the test")


@pytest.fixture
def page(problems: Problems, page: Page) -> Page:
    """pytest-playwright's page, watched by `problems` (set up first, so from its start)."""
    page.set_default_timeout(5000)
    return page


@pytest.fixture
def admin_page(page: Page, admin: Person) -> Page:
    """A page logged in as a fresh account's Admin, on Settings."""
    login(page, admin)
    return page
