"""Keyboard only: every action is reached with Tab and started with Enter; a dialog opens with
focus on its first field, keeps Tab inside, closes on Escape and gives focus back to the
button that opened it."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from webapp.models import Role

pytestmark = pytest.mark.browser

FOCUS_IN_TOP_DIALOG = """() => {
  const open = Array.from(document.querySelectorAll("dialog[open]"));
  const top = open[open.length - 1];
  return Boolean(top && top.contains(document.activeElement) && document.activeElement !== top);
}"""


def tab_to(page: Page, target: Locator, limit: int = 40, key: str = "Tab") -> None:
    """Press Tab until `target` has the focus; fail when it is not reached in `limit` presses."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press(key)
        if handle.evaluate("node => node === document.activeElement"):
            return
    described = page.evaluate("document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{target} not reached with {key} in {limit} presses; at {described}")


def press_enter(page: Page) -> None:
    page.keyboard.press("Enter")


def assert_tab_stays_inside(page: Page, presses: int, key: str = "Tab") -> None:
    for number in range(presses):
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_IN_TOP_DIALOG), f"{key} #{number + 1} left the dialog"


def assert_dialog_keyboard_contract(page: Page, opener: Locator, dialog: Locator,
                                    first: Locator, controls: int) -> None:
    """Enter on `opener` opens `dialog` with focus on `first`; Tab and Shift+Tab stay inside
    it; Escape closes it and gives focus back to `opener`."""
    press_enter(page)
    expect(first).to_be_focused()
    assert_tab_stays_inside(page, controls)
    assert_tab_stays_inside(page, controls, "Shift+Tab")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def login_by_keyboard(page: Page, person) -> None:
    page.goto("/login")
    tab_to(page, page.get_by_label("Username"))
    page.keyboard.type(person.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(person.password)
    press_enter(page)
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()


def test_create_dialog_by_keyboard(page: Page, problems, seed, admin):
    problems.allow_status(422, "the form comes back with its errors as 422")
    login_by_keyboard(page, admin)
    tab_to(page, page.get_by_role("link", name="Users", exact=True))
    press_enter(page)
    expect(page).to_have_url(re.compile(r"/users$"))
    page.wait_for_load_state()
    opener = page.get_by_role("button", name="+ Create User")
    tab_to(page, opener)

    # Opens with focus on the first field; Tab and Shift+Tab stay inside; Escape closes it
    # and gives focus back to "+ Create User".
    dialog = page.get_by_role("dialog", name="Create User")
    assert_dialog_keyboard_contract(page, opener, dialog,
                                    dialog.get_by_label("First name", exact=True), 16)

    # Again, and this time create a user with the keyboard alone.
    press_enter(page)
    expect(dialog.get_by_label("First name", exact=True)).to_be_focused()
    username = seed.unique("keys.")
    page.keyboard.type("Kim")
    tab_to(page, dialog.get_by_label("Username", exact=True))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(f"{username}@example.com")
    tab_to(page, dialog.get_by_label("Role", exact=True))
    page.keyboard.press("ArrowDown")  # "Choose a role" → Admin
    expect(dialog.get_by_label("Role", exact=True)).to_have_value("Admin")
    tab_to(page, dialog.get_by_label("Password", exact=True))
    page.keyboard.type("typed with keys only 42")
    page.keyboard.press("Tab")
    page.keyboard.type("typed with keys only 24")  # does not match: popup error
    tab_to(page, dialog.get_by_role("button", name="Create", exact=True))
    press_enter(page)

    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup.get_by_role("button", name="Close")).to_be_focused()
    assert_tab_stays_inside(page, 3)
    press_enter(page)  # Close
    expect(popup).to_have_count(0)
    # Back in the form at the field the problem is about (the confirmation does not match).
    expect(dialog.get_by_label("Confirm password", exact=True)).to_be_focused()

    tab_to(page, dialog.get_by_label("Password", exact=True), key="Shift+Tab")
    page.keyboard.type("typed with keys only 42")
    page.keyboard.press("Tab")
    page.keyboard.type("typed with keys only 42")
    # What was typed went where the focus was: nothing moved it behind the person's back.
    for label in ("Password", "Confirm password"):
        expect(dialog.get_by_label(label, exact=True)).to_have_value("typed with keys only 42")
    with page.expect_response(lambda r: r.request.method == "POST") as created:
        press_enter(page)  # Enter in a field submits the form
    assert created.value.status == 201, created.value.text()
    expect(dialog).to_have_count(0)
    expect(page.locator("#toasts").get_by_text("Kim created")).to_be_visible()
    expect(opener).to_be_focused()
    assert seed.find(username) is not None


def test_row_actions_by_keyboard(page: Page, problems, seed, admin):
    agent = seed.user(admin.account_id, Role.AGENT, first_name="Kai", last_name="Keys")
    login_by_keyboard(page, admin)
    page.goto("/users")
    row = page.locator(f"#user-{agent.id}")

    # Edit → the row's first field has focus; Save with Enter.
    edit = row.get_by_role("link", name="Edit", exact=True)
    tab_to(page, edit)
    press_enter(page)
    first_name = row.get_by_role("textbox", name="First name")
    expect(first_name).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Kaia")
    tab_to(page, row.get_by_role("button", name="Save"))
    press_enter(page)
    expect(page.locator("#toasts").get_by_text("Changes to Kaia Keys saved")).to_be_visible()
    expect(row).to_contain_text("Kaia Keys")
    # Focus is not lost: it is back on the row's "Edit".
    expect(edit).to_be_focused()

    # Edit again → Change Password: the dialog opens on "New password", keeps Tab inside,
    # Escape closes it and focus returns to "Change Password".
    press_enter(page)
    expect(row.get_by_role("textbox", name="First name")).to_be_focused()
    change = row.get_by_role("button", name="Change Password")
    tab_to(page, change)
    dialog = page.get_by_role("dialog", name="Change Password")
    assert_dialog_keyboard_contract(page, change, dialog, dialog.get_by_label("New password"), 6)

    # And once more, saving a new password with the keyboard.
    press_enter(page)
    expect(dialog.get_by_label("New password")).to_be_focused()
    page.keyboard.type("a keyboard-only passphrase")
    page.keyboard.press("Tab")
    page.keyboard.type("a keyboard-only passphrase")
    press_enter(page)
    expect(dialog).to_have_count(0)
    expect(page.locator("#toasts").get_by_text("Password changed")).to_be_visible()
    expect(change).to_be_focused()

    # "View activity" is next to it; then Cancel the edit with Enter: focus goes back to the
    # row's "Edit".
    tab_to(page, row.get_by_role("link", name="View activity"), limit=1)
    tab_to(page, row.get_by_role("button", name="Cancel"), key="Shift+Tab")
    press_enter(page)
    expect(row.get_by_role("textbox")).to_have_count(0)
    expect(edit).to_be_focused()

    # Delete: the popup opens on "Cancel" (the safe choice); Escape closes it and returns
    # focus to the trash button (a button named "Delete"), the row left as it was; then Delete
    # for real.
    trash = row.get_by_role("button", name="Delete", exact=True)
    tab_to(page, trash)
    popup = page.get_by_role("dialog", name="Are you sure want to delete this data?")
    assert_dialog_keyboard_contract(page, trash, popup,
                                    popup.get_by_role("button", name="Cancel"), 4)
    expect(row).to_contain_text("Kaia Keys")
    press_enter(page)
    expect(popup.get_by_role("button", name="Cancel")).to_be_focused()
    tab_to(page, popup.get_by_role("button", name="Delete", exact=True), limit=3)
    press_enter(page)
    expect(popup).to_have_count(0)
    expect(page.locator("#toasts").get_by_text("Kaia Keys deleted")).to_be_visible()
    expect(row).to_have_count(0)
    assert seed.find(agent.username) is None
    # Focus stays in the list, on the row that took the deleted one's place.
    expect(page.locator(f"#user-{admin.id}").get_by_role("link", name="Edit", exact=True)) \
        .to_be_focused()


def test_search_role_filter_and_logout_by_keyboard(page: Page, seed, admin):
    seed.user(admin.account_id, Role.SUPERVISOR, first_name="Sam", last_name="Super")
    login_by_keyboard(page, admin)
    page.goto("/users")
    tab_to(page, page.get_by_role("searchbox", name="Search"))
    page.keyboard.type("sam")
    expect(page.locator("#user-rows > tr")).to_have_count(1)
    page.keyboard.press("Tab")
    expect(page.get_by_role("combobox", name="Role")).to_be_focused()
    page.keyboard.press("ArrowDown")  # All role → Admin
    expect(page.get_by_text("No users match your search.")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Logout"), key="Shift+Tab")
    press_enter(page)
    expect(page.get_by_role("button", name="Login")).to_be_visible()
