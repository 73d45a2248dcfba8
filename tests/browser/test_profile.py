"""Profile and way-finding in Chromium: where each role lands, the header that names the
user once and leads to their Profile, editing one's details and password (the session
stays), the time zone the browser reports, and the settings side navigation and
breadcrumbs."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from webapp.models import Role

from .live import PASSWORD, Person, Seed, login, watch

pytestmark = pytest.mark.browser

NEW = "granite-willow-harbor-51"


def header(page: Page):
    return page.get_by_role("navigation", name="Main")


def toast(page: Page, text: str):
    return page.locator("#toasts").get_by_text(re.compile(re.escape(text)))


@pytest.fixture
def agent(seed: Seed, admin: Person) -> Person:
    return seed.user(admin.account_id, Role.AGENT, first_name="Dewi", last_name="Lestari")


def test_an_agents_profile_and_the_header_naming_her_once(page: Page, agent: Person):
    login(page, agent)  # lands on My chats
    page.goto("/profile")
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()
    name = header(page).get_by_role("link", name="Dewi Lestari", exact=True)
    expect(name).to_have_attribute("aria-current", "page")
    expect(header(page).locator(".role-label")).to_have_text("Agent")
    expect(header(page)).not_to_contain_text("·")
    expect(header(page).get_by_role("link", name="Settings")).to_have_count(0)
    account = page.get_by_role("region", name="Your account")
    expect(account).to_contain_text(agent.username)
    expect(account).to_contain_text("General")
    expect(account.get_by_role("textbox")).to_have_count(0)  # read-only
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/chats$"))


def test_an_admin_named_admin_is_named_once_and_reaches_the_profile(page: Page, seed: Seed):
    admin = seed.admin(first_name="Admin", last_name="")
    login(page, admin)
    expect(header(page).get_by_role("listitem").filter(has_text="Admin")).to_have_text("Admin")
    expect(header(page).locator(".role-label")).to_have_count(0)
    expect(header(page).get_by_role("link", name="Settings")).to_have_attribute(
        "aria-current", "page")
    header(page).get_by_role("link", name="Admin", exact=True).click()
    expect(page).to_have_url(re.compile(r"/profile$"))
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()


def test_editing_ones_details_updates_the_header_without_a_reload(page: Page, seed: Seed,
                                                                  agent: Person):
    login(page, agent)  # lands on My chats
    page.goto("/profile")
    page.wait_for_load_state()  # htmx is set up
    page.evaluate("window.__noReload = true")
    page.get_by_label("First name", exact=True).fill("Dewi Ayu")
    page.get_by_label("Phone", exact=True).fill("+62 815 3333 4444")
    page.get_by_label("Time zone", exact=True).select_option("Asia/Makassar")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Profile saved")).to_be_visible()
    expect(header(page).get_by_role("link", name="Dewi Ayu Lestari")).to_be_visible()
    assert page.evaluate("window.__noReload") is True, "the page reloaded"
    stored = seed.find(agent.username)
    assert (stored.first_name, stored.phone, stored.time_zone) == (
        "Dewi Ayu", "+6281533334444", "Asia/Makassar")


def test_a_wrong_email_is_said_beside_the_field(page: Page, problems, agent: Person):
    problems.allow_status(422, "the profile form comes back with its errors")
    login(page, agent)  # lands on My chats
    page.goto("/profile")
    page.wait_for_load_state()
    page.get_by_label("Email", exact=True).fill("dewi@")
    page.get_by_role("button", name="Save", exact=True).click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup).to_contain_text("Email is not a valid email address.")
    popup.get_by_role("button", name="Close").click()
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")


def change_own_password(page: Page, current: str, new: str, confirmation: str) -> None:
    form = page.locator("#profile-password-form")
    form.get_by_label("Current password").fill(current)
    form.get_by_label("New password").fill(new)
    form.get_by_label("Confirm password").fill(confirmation)
    form.get_by_role("button", name="Change Password").click()


def logged_in_elsewhere(browser: Browser, base_url: str, person: Person):
    """Another browser (its own cookies) logged in as `person`, on their landing page."""
    context = browser.new_context(base_url=base_url)
    found = watch(context)
    other = context.new_page()
    login(other, person)
    return context, other, found


def test_changing_ones_password_keeps_this_session_and_ends_the_others(
        page: Page, browser: Browser, base_url: str, seed: Seed, agent: Person):
    context, elsewhere, elsewhere_problems = logged_in_elsewhere(browser, base_url, agent)
    # Its open page polls (My chats, presence): once its session ends, a poll may get 401.
    elsewhere_problems.allow_status(401, "the other browser's session ended")
    login(page, agent)  # lands on My chats
    page.goto("/profile")
    page.wait_for_load_state()
    change_own_password(page, PASSWORD, NEW, NEW)
    expect(toast(page, "Password changed")).to_be_visible()
    expect(page.get_by_label("New password")).to_have_value("")
    # Still logged in here: the next request, and a further change, work.
    page.get_by_label("Last name", exact=True).fill("Lestari-Putri")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Profile saved")).to_be_visible()
    page.reload()
    expect(page).to_have_url(re.compile(r"/profile$"))
    # The other browser's session has ended.
    elsewhere.reload()
    expect(elsewhere).to_have_url(re.compile(r"/login"))
    context.close()
    elsewhere_problems.assert_none("in the other browser")
    assert seed.find(agent.username).last_name == "Lestari-Putri"


def test_an_admin_changing_her_own_password_from_the_users_list_stays(page: Page,
                                                                      admin: Person):
    login(page, admin)
    page.goto(f"/users/{admin.id}/password")  # the dialog's page of its own
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW)
    page.get_by_label("Confirm password").fill(NEW)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(toast(page, "Password changed")).to_be_visible()
    page.goto("/activity")  # still logged in
    expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()


def test_a_wrong_current_password_changes_nothing(page: Page, problems, seed: Seed,
                                                  agent: Person):
    problems.allow_status(422, "the password form comes back with its errors")
    old_hash = seed.find(agent.username).password_hash
    login(page, agent)  # lands on My chats
    page.goto("/profile")
    page.wait_for_load_state()
    change_own_password(page, "not my password at all", NEW, NEW)
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup).to_contain_text("Current password is not right.")
    popup.get_by_role("button", name="Close").click()
    page.reload()
    expect(page).to_have_url(re.compile(r"/profile$"))  # still logged in
    assert seed.find(agent.username).password_hash == old_hash  # and nothing changed


@pytest.mark.browser_context_args(timezone_id="Asia/Jakarta")
def test_the_browsers_time_zone_is_remembered(page: Page, seed: Seed, agent: Person):
    assert seed.find(agent.username).time_zone == ""
    login(page, agent)
    expect(page.locator("body")).to_have_attribute("data-report-time-zone", "/profile/time-zone")
    for _ in range(50):  # the report goes out on DOMContentLoaded, in the background
        if seed.find(agent.username).time_zone:
            break
        page.wait_for_timeout(100)
    assert seed.find(agent.username).time_zone == "Asia/Jakarta"
    page.goto("/profile")
    expect(page.locator("body")).not_to_have_attribute("data-report-time-zone", re.compile("."))
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Asia/Jakarta")


def test_the_side_navigation_and_breadcrumbs_lead_around_settings(page: Page, admin: Person):
    login(page, admin)
    page.goto("/users")
    side = page.get_by_role("navigation", name="Settings")
    expect(side.get_by_role("link", name="Users")).to_have_attribute("aria-current", "page")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs).to_have_text(
        re.compile(r"^\s*Settings\s*›\s*Account Management\s*›\s*Users\s*$"))
    expect(crumbs.locator(".breadcrumb-separator").first).to_be_visible()
    expect(crumbs.get_by_role("link", name="Users")).to_have_attribute("aria-current", "page")

    side.get_by_role("link", name="Activity").click()
    expect(page).to_have_url(re.compile(r"/activity$"))
    expect(side.get_by_role("link", name="Activity")).to_have_attribute("aria-current", "page")
    expect(side.get_by_role("link", name="Users")).not_to_have_attribute("aria-current",
                                                                          re.compile("."))
    expect(crumbs.get_by_role("link", name="Activity")).to_have_attribute("aria-current",
                                                                          "page")
    crumbs.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))

    page.goto(f"/users/{admin.id}/edit")  # a page under Users
    expect(side.get_by_role("link", name="Users")).to_have_attribute("aria-current", "true")
    last = crumbs.get_by_role("listitem").last
    expect(last).to_contain_text(f"Edit {admin.username}")
    expect(last.get_by_role("link")).to_have_attribute("aria-current", "page")
    # Side by side with the content on a laptop screen.
    side_box = side.bounding_box()
    heading_box = page.get_by_role("heading", level=1).bounding_box()
    assert side_box["x"] + side_box["width"] <= heading_box["x"], (side_box, heading_box)


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844})
def test_on_a_phone_the_side_navigation_sits_above_and_nothing_overflows(page: Page,
                                                                        admin: Person):
    login(page, admin)
    for path in ("/settings", "/profile"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
    page.goto("/activity")
    side = page.get_by_role("navigation", name="Settings")
    for part in (header(page).get_by_role("button", name="Logout"), side,
                 page.get_by_role("navigation", name="Breadcrumb")):
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert side.bounding_box()["y"] + side.bounding_box()["height"] <= heading["y"]
