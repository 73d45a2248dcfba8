"""The app's screens, each reached the way an admin reaches it: the accessibility test checks
every one with axe-core, and `make screenshots` photographs every one."""

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from .live import Demo, login

# The sizes issue 10 asks the users screens to work at (and be photographed at).
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def users_page(page: Page, demo: Demo) -> None:
    login(page, demo.admin)
    page.get_by_role("region", name=demo.t("Account Management")).get_by_role(
        "link", name=demo.t("Users"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/users$"))
    page.wait_for_load_state()  # htmx is set up: clicks now make htmx requests
    expect(page.locator("#user-rows").get_by_role("row")).to_have_count(len(demo.users))


def create_dialog(page: Page, demo: Demo) -> Locator:
    users_page(page, demo)
    page.get_by_role("button", name=demo.t("+ Create User")).click()
    dialog = page.get_by_role("dialog", name=demo.t("Create User"))
    expect(dialog.get_by_label(demo.t("First name"), exact=True)).to_be_focused()
    return dialog


def required(demo: Demo, label: str) -> str:
    """The message under a missing field, in the demo team's language."""
    return demo.t("%(label)s field is required", label=demo.t(label))


def row_of(page: Page, username: str) -> Locator:
    return page.locator("#user-rows").get_by_role("row").filter(
        has=page.get_by_role("cell", name=username, exact=True))


def login_screen(page: Page, demo: Demo) -> None:
    page.goto("/login")
    if demo.language != "en":  # a visitor's browser speaks English: they switch
        page.locator(f'button[name="language"][value="{demo.language}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", demo.language)
    expect(page.get_by_role("button", name=demo.t("Login"))).to_be_visible()


def settings_screen(page: Page, demo: Demo) -> None:
    login(page, demo.admin)
    expect(page.get_by_role("region", name=demo.t("Account Management"))).to_be_visible()


def users_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)  # the README's picture: a laptop's screen
    users_page(page, demo)


def create_dialog_errors(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    errors_beside_their_fields(page, demo)


def errors_beside_their_fields(page: Page, demo: Demo) -> None:
    """The form once its popup error is closed: every problem under its own field, next to
    the missing ones, with the password rules and the Division hint."""
    dialog = create_dialog(page, demo)
    dialog.get_by_label(demo.t("Last name"), exact=True).fill("Hartono")
    dialog.get_by_label(demo.t("Username"), exact=True).fill(demo.users[2].username)
    dialog.get_by_label(demo.t("Email"), exact=True).fill("dewi.hartono@")
    dialog.get_by_label(demo.t("Role"), exact=True).select_option("Agent")
    dialog.get_by_label(demo.t("Password"), exact=True).fill("secret")
    dialog.get_by_label(demo.t("Confirm password"), exact=True).fill("secret")
    dialog.get_by_role("button", name=demo.t("Create"), exact=True).click()
    popup = page.get_by_role("dialog", name=demo.t("Please correct the following"))
    popup.get_by_role("button", name=demo.t("Close")).click()
    expect(dialog.get_by_label(demo.t("First name"), exact=True)).to_be_focused()  # popup gone
    expect(dialog.get_by_text(required(demo, "First name"))).to_be_visible()
    expect(dialog.get_by_text(required(demo, "Division"))).to_be_visible()
    expect(dialog.get_by_label(demo.t("Username"), exact=True)).to_have_accessible_description(
        demo.t("Username is already taken."))


def popup_error(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    dialog = create_dialog(page, demo)
    dialog.get_by_label(demo.t("First name"), exact=True).fill("Dewi")
    dialog.get_by_label(demo.t("Last name"), exact=True).fill("Hartono")
    dialog.get_by_label(demo.t("Username"), exact=True).fill(demo.users[2].username)
    dialog.get_by_label(demo.t("Email"), exact=True).fill("dewi.hartono@")
    dialog.get_by_label(demo.t("Phone"), exact=True).fill("0812")
    dialog.get_by_label(demo.t("Role"), exact=True).select_option("Agent")
    dialog.get_by_label(demo.t("Division"), exact=True).select_option("Support")
    dialog.get_by_label(demo.t("Password"), exact=True).fill("secret")
    dialog.get_by_label(demo.t("Confirm password"), exact=True).fill("secret1")
    dialog.get_by_role("button", name=demo.t("Create"), exact=True).click()
    popup = page.get_by_role("dialog", name=demo.t("Please correct the following"))
    expect(popup.get_by_role("button", name=demo.t("Close"))).to_be_focused()


def edit_row(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    users_page(page, demo)
    username = demo.users[2].username
    row = row_of(page, username)
    row_id = row.get_attribute("id")
    row.get_by_role("button", name=demo.t("Edit %(username)s", username=username)).click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=demo.t("Save"))).to_be_visible()


def password_dialog(page: Page, demo: Demo) -> None:
    edit_row(page, demo)
    page.get_by_role("button", name=demo.t("Change Password")).click()
    dialog = page.get_by_role("dialog", name=demo.t("Change Password"))
    expect(dialog.get_by_label(demo.t("New password"))).to_be_focused()


def delete_popup(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    users_page(page, demo)
    row_of(page, demo.users[3].username).get_by_role("button", name=demo.t("Delete")).click()
    popup = page.get_by_role("dialog", name=demo.t("Are you sure want to delete this data?"))
    expect(popup.get_by_role("button", name=demo.t("Delete"))).to_be_visible()


# name (also the screenshot's file name) → how to get there
STATES: dict[str, Callable[[Page, Demo], None]] = {
    "login": login_screen,
    "settings": settings_screen,
    "users": users_screen,
    "create-dialog-errors": create_dialog_errors,
    "popup-error": popup_error,
    "edit-row": edit_row,
    "password-dialog": password_dialog,
    "delete-popup": delete_popup,
}

# The states whose request answers 422 (a form with its errors), which Chromium logs.
ANSWERS_422 = {"create-dialog-errors", "popup-error"}


# -- Profile (issue 10): every user's own page, where Agents and Supervisors land ------------

def profile_of_an_agent(page: Page, demo: Demo) -> None:
    login(page, demo.users[2])  # Dewi Lestari, an Agent: lands on My chats
    # Her browser reports its time zone on the first page; shown on the next page she
    # opens, whichever state comes first.
    page.wait_for_load_state("networkidle")
    page.goto("/profile")
    expect(page.get_by_role("heading", name=demo.t("Profile"), exact=True)).to_be_visible()


def profile_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    profile_of_an_agent(page, demo)


def profile_phone_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    profile_of_an_agent(page, demo)


STATES["profile"] = profile_screen
STATES["profile-phone"] = profile_phone_screen


# -- Users list (issue 10): at phone width, and a row's "More actions" menu -------------------

def users_phone_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    users_page(page, demo)


def row_menu(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    users_page(page, demo)
    row = row_of(page, demo.users[3].username)
    row.locator("summary").click()
    expect(row.get_by_role("link", name=demo.t("Change Password"))).to_be_visible()


def edit_row_phone(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    users_page(page, demo)
    username = demo.users[2].username
    row = page.locator("#user-rows > tr").filter(has_text=username).first
    row_id = row.get_attribute("id")
    row.get_by_role("button", name=demo.t("Edit %(username)s", username=username)).click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=demo.t("Save"))).to_be_visible()


STATES["users-phone"] = users_phone_screen
STATES["row-menu"] = row_menu
STATES["edit-row-phone"] = edit_row_phone


# -- Forms (issue 10): the create dialog's errors beside their fields on a phone -------------

def create_dialog_errors_phone(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    errors_beside_their_fields(page, demo)


STATES["create-dialog-errors-phone"] = create_dialog_errors_phone
ANSWERS_422.add("create-dialog-errors-phone")
