"""Search in the browser: typing filters the rows, the URL carries the query (and nothing
empty), and reload and the back button show the same state."""

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page, expect

from webapp.models import Role

from .live import login

pytestmark = pytest.mark.browser


@pytest.fixture
def team(page: Page, seed):
    """An account with a few users, its Admin logged in on the users list."""
    admin = seed.admin(first_name="Ada", last_name="Admin")
    people = {
        "zebra": seed.user(admin.account_id, Role.AGENT, first_name="Zed", last_name="Zebra"),
        "zelda": seed.user(admin.account_id, Role.SUPERVISOR, first_name="Zelda",
                           last_name="Quinn"),
        "omar": seed.user(admin.account_id, Role.AGENT, first_name="Omar", last_name="Oak",
                          phone="+6281299990000"),
    }
    login(page, admin)
    page.goto("/users")
    expect(rows(page)).to_have_count(4)
    return admin, people


def url_state(page: Page) -> tuple[str, list[tuple[str, str]]]:
    """(path, parameters) of the page's URL, empty ones included."""
    parts = urlsplit(page.url)
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def expect_url(page: Page, q: str = "", role: str = "", timeout: float = 5.0) -> None:
    """Wait until the URL carries exactly this search and role filter: no empty parameter
    (the list answers with its state's one spelling, which htmx pushes)."""
    wanted = ("/users", [(name, value) for name, value in (("q", q), ("role", role)) if value])
    deadline = time.monotonic() + timeout
    while url_state(page) != wanted and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert url_state(page) == wanted, f"{page.url} is not the URL of q={q!r}, role={role!r}"


def rows(page: Page):
    return page.locator("#user-rows").get_by_role("row")


def expect_names(page: Page, names: list[str]) -> None:
    """Wait until the rows show exactly these names, newest first."""
    expect(page.locator("#user-rows > tr > td:first-child")).to_have_text(names)


def search_box(page: Page):
    return page.get_by_role("searchbox", name="Search")


def test_typing_filters_rows_without_a_reload_and_puts_the_query_in_the_url(page: Page, team):
    page.evaluate("window.__noReload = 1")
    search_box(page).press_sequentially("ze", delay=40)
    expect_url(page, q="ze")
    expect_names(page, ["Zelda Quinn", "Zed Zebra"])
    expect(page.get_by_text("matching your search")).to_be_visible()

    search_box(page).press_sequentially("LDA", delay=40)  # ignores case
    expect_url(page, q="zeLDA")
    expect_names(page, ["Zelda Quinn"])

    # Phone typed with spaces finds the stored digits.
    search_box(page).fill("8129 999")
    expect_names(page, ["Omar Oak"])

    search_box(page).fill("nobody at all")
    expect(page.get_by_text("No users match your search.")).to_be_visible()

    page.get_by_role("combobox", name="Role").select_option("Supervisor")
    search_box(page).fill("")
    expect_url(page, role="Supervisor")
    expect_names(page, ["Zelda Quinn"])
    assert page.evaluate("window.__noReload") == 1, "the page reloaded while searching"


def test_reload_keeps_the_search_and_role(page: Page, team):
    page.get_by_role("combobox", name="Role").select_option("Agent")
    expect_url(page, role="Agent")
    search_box(page).press_sequentially("z", delay=40)
    expect_url(page, q="z", role="Agent")
    expect_names(page, ["Zed Zebra"])
    page.reload()
    expect(search_box(page)).to_have_value("z")
    expect(page.get_by_role("combobox", name="Role")).to_have_value("Agent")
    expect_names(page, ["Zed Zebra"])


def test_back_and_forward_show_each_earlier_search(page: Page, team):
    search_box(page).press_sequentially("zel", delay=40)
    expect_url(page, q="zel")
    expect_names(page, ["Zelda Quinn"])
    search_box(page).fill("oak")
    expect_url(page, q="oak")
    expect_names(page, ["Omar Oak"])

    page.go_back()
    expect_url(page, q="zel")
    expect(search_box(page)).to_have_value("zel")
    expect_names(page, ["Zelda Quinn"])

    page.go_back()
    expect_url(page)
    expect(search_box(page)).to_have_value("")
    expect_names(page, ["Omar Oak", "Zelda Quinn", "Zed Zebra", "Ada Admin"])

    page.go_forward()
    expect_url(page, q="zel")
    expect(search_box(page)).to_have_value("zel")
    expect_names(page, ["Zelda Quinn"])
