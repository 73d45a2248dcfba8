"""The Activity log in Chromium: filtering by person and action without a reload, paging
that keeps the filters, times in the reader's zone, and names that link to their users."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from webapp import audit
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import AuditAction, Role, User

from .live import Person, login

pytestmark = pytest.mark.browser

# Notes, as each htmx request is sent, its address and whether the list is marked busy.
WATCH_BUSY = """
window.__busyWhileLoading = [];
document.addEventListener("htmx:beforeSend", (event) => {
  const list = document.getElementById("activity-list");
  window.__busyWhileLoading.push(
    [event.detail.requestConfig.path, list.classList.contains("htmx-request")]);
});
"""


def write_log(app: Flask, account_id: int, entries: list[tuple]) -> None:
    """Entries (action, actor, target, details) in the live server's log, oldest first."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}), \
            write_transaction():
        for action, actor, target, details in entries:
            audit.record(action, account_id=account_id,
                         actor=db.session.get(User, actor.id) if actor else None,
                         target=db.session.get(User, target.id) if target else None,
                         details=details)


def query_of(page: Page) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}


def details_column(page: Page):
    return page.locator("#activity-rows > tr > td:nth-child(5)")


@pytest.fixture
def team(seed, live_app):
    """An Admin, Ann and Bob, with a little history each."""
    admin = seed.admin(first_name="Ada", last_name="Admin")
    ann = seed.user(admin.account_id, Role.AGENT, username=seed.unique("ann"),
                    first_name="Ann", last_name="Lee")
    bob = seed.user(admin.account_id, Role.AGENT, username=seed.unique("bob"),
                    first_name="Bob", last_name="Stone")
    write_log(live_app, admin.account_id, [
        (AuditAction.LOGIN, ann, ann, "ann logs in"),
        (AuditAction.USER_EDITED, admin, ann, "ann edited"),
        (AuditAction.LOGIN, bob, bob, "bob logs in"),
        (AuditAction.USER_CREATED, ann, bob, "ann creates bob"),
    ])
    return admin, ann, bob


def test_filter_by_person_and_action_without_a_reload(page: Page, team):
    admin, ann, bob = team
    page.add_init_script(WATCH_BUSY)
    login(page, admin)
    page.goto("/activity")
    page.evaluate("window.__noReload = true")

    # The person picker: type part of a name, then pick the match by keyboard.
    picker = page.get_by_role("searchbox", name="Person")
    picker.press_sequentially("ann l", delay=30)
    match = page.locator("#activity-people").get_by_role("link", name=f"Ann Lee {ann.username}")
    expect(match).to_be_visible()
    expect(page.locator("#activity-people").get_by_role("link")).to_have_count(1)
    picker.press("Tab")
    expect(match).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Showing the activity of Ann Lee ({ann.username}).")).to_be_visible()
    expect(details_column(page)).to_have_text(["ann creates bob", "ann edited", "ann logs in"])
    assert query_of(page) == {"person": str(ann.id)}

    # Then an action, with the person kept; focus stays on the select through the swap.
    action = page.get_by_label("Action", exact=True)
    action.focus()
    action.select_option(label="Login")
    expect(details_column(page)).to_have_text(["ann logs in"])
    assert query_of(page) == {"person": str(ann.id), "action": "login"}
    expect(page.get_by_label("Action", exact=True)).to_be_focused()

    # Everyone again, the action kept: the admin's own login (no details) is newest.
    page.get_by_role("link", name="Show everyone").click()
    expect(details_column(page)).to_have_text(["", "bob logs in", "ann logs in"])
    assert query_of(page) == {"action": "login"}
    expect(page.get_by_label("Action", exact=True)).to_have_value("login")

    assert page.evaluate("window.__noReload") is True, "the page reloaded"
    # The list dims while a filter loads; typing in the picker dims only the picker's matches.
    busy = dict(page.evaluate("window.__busyWhileLoading"))
    assert busy == {"/activity/people": False, f"/activity?person={ann.id}": True,
                    "/activity": True, "/activity?action=login": True}, busy


def test_paging_keeps_the_filters_and_the_back_button_returns(page: Page, team, live_app):
    admin, ann, bob = team
    write_log(live_app, admin.account_id, [
        entry for number in range(60) for entry in (
            (AuditAction.USER_EDITED, admin, ann, f"ann edit {number}"),
            (AuditAction.USER_EDITED, admin, bob, f"bob edit {number}"),
            (AuditAction.LOGIN, ann, ann, "ann logs in"),
        )])
    page.add_init_script(WATCH_BUSY)
    login(page, admin)
    page.goto(f"/activity?person={ann.id}&action=user+edited")
    expect(details_column(page).first).to_have_text("ann edit 59")
    page.evaluate("window.__noReload = true")

    page.get_by_role("link", name="Older ›").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert query_of(page) == {"page": "2", "person": str(ann.id), "action": "user edited"}
    # 61 of Ann's edits (60 and the team's one), 50 a page: eleven left, all hers.
    expect(details_column(page)).to_have_count(11)
    expect(details_column(page).first).to_have_text("ann edit 9")
    expect(details_column(page).last).to_have_text("ann edited")
    expect(page.get_by_label("Action", exact=True)).to_have_value("user edited")
    expect(page.get_by_text(f"Showing the activity of Ann Lee ({ann.username}).")).to_be_visible()
    assert page.evaluate("window.__busyWhileLoading") == [
        [f"/activity?page=2&person={ann.id}&action=user+edited", True]]

    page.go_back()
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(details_column(page).first).to_have_text("ann edit 59")
    assert query_of(page) == {"person": str(ann.id), "action": "user edited"}


def test_times_are_in_the_readers_zone_and_keep_the_utc_instant(page: Page, seed, live_app):
    admin = seed.admin(time_zone="Asia/Jakarta")
    write_log(live_app, admin.account_id, [(AuditAction.LOGIN, admin, admin, "")])
    login(page, admin)
    page.goto("/activity")
    expect(page.get_by_role("columnheader", name="When (Asia/Jakarta)")).to_be_visible()
    for time in page.locator("#activity-rows time").all():
        instant = time.get_attribute("datetime")
        assert instant.endswith("Z")
        # What Jakarta's clock read at that instant, as the browser itself works it out,
        # written as the English page writes it ("Nov 23, 2026, 9:03 PM").
        in_jakarta = page.evaluate("""instant => {
            const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
                timeZone: "Asia/Jakarta", hour12: true, year: "numeric",
                month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
            }).formatToParts(new Date(instant)).map(part => [part.type, part.value]));
            return `${parts.month} ${parts.day}, ${parts.year}, `
                + `${parts.hour}:${parts.minute} ${parts.dayPeriod}`;
        }""", instant)
        expect(time).to_have_text(in_jakarta)


def test_names_link_to_the_users_who_still_exist(page: Page, team, seed, live_app):
    admin, ann, bob = team
    gone: Person = seed.user(admin.account_id, Role.AGENT, username=seed.unique("gone"))
    write_log(live_app, admin.account_id, [(AuditAction.USER_EDITED, admin, gone, "")])
    with live_app.app_context(), write_transaction():
        db.session.delete(db.session.get(User, gone.id))
    login(page, admin)
    page.goto("/activity")
    edit_of_gone = page.locator("#activity-rows > tr").filter(has_text=gone.username)
    # The admin who made the edit is a link; the user deleted since is plain text.
    expect(edit_of_gone.get_by_role("link")).to_have_text([admin.username])
    expect(edit_of_gone.get_by_role("cell", name=gone.username, exact=True)).to_be_visible()

    ann_row = page.locator("#activity-rows > tr").filter(has_text="ann edited")
    ann_row.get_by_role("link", name=ann.username).click()
    expect(page).to_have_url(re.compile(rf"/users/{ann.id}$"))
    expect(page.get_by_role("heading", name="Ann Lee")).to_be_visible()


def test_the_filters_work_without_javascript(browser, live_server, team):
    """With JavaScript off the picker's "Find" lists the matches on the page, and "Filter"
    applies the action: plain links and GET forms."""
    admin, ann, bob = team
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, admin)
        page.goto("/activity")
        page.get_by_role("searchbox", name="Person").fill("Ann")
        page.get_by_role("button", name="Find").click()
        page.get_by_role("link", name=f"Ann Lee {ann.username}").click()
        expect(page.get_by_text(f"Showing the activity of Ann Lee ({ann.username}).")
               ).to_be_visible()
        page.get_by_label("Action", exact=True).select_option(label="User created")
        page.get_by_role("button", name="Filter").click()
        expect(details_column(page)).to_have_text(["ann creates bob"])
        assert query_of(page) == {"person": str(ann.id), "action": "user created"}
    finally:
        context.close()
