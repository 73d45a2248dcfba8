"""Errors where the mistake is (issue 10, item 4), and dialogs that show they are working
(item 2): each problem under its own field as well as in the popup, focus on the first wrong
field, typed passwords kept without the server sending them back, the hints that say the rules
before anything is submitted, and submit buttons disabled with a spinner while in flight."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Locator, Page, Route, expect
from werkzeug.security import check_password_hash

from webapp import passwords
from webapp.models import Role

from .live import Person, Seed

# The password rules' English text (a lazy translation in the app; Playwright wants text).
RULES = str(passwords.RULES)
pytestmark = pytest.mark.browser

VALIDATION = "the app answers a form with errors as 422 (Unprocessable Content)"
DIVISION_HINT = "Required for Agents and Supervisors."


@pytest.fixture
def agent(seed: Seed, admin: Person) -> Person:
    """A colleague in the admin's account. Tests ask for it before admin_page, so it is made
    before the login, whose own writes (the browser's time zone) it then cannot meet."""
    return seed.user(admin.account_id, Role.AGENT)


def open_create_dialog(page: Page) -> Locator:
    page.goto("/users")
    page.wait_for_load_state()  # htmx is set up: clicks now make htmx requests
    page.get_by_role("button", name="+ Create User").click()
    dialog = page.get_by_role("dialog", name="Create User")
    expect(dialog.get_by_label("First name", exact=True)).to_be_focused()
    return dialog


def fill(dialog: Locator, **values: str) -> None:
    """Type into the fields named by their labels ("first_name" is "First name")."""
    for name, value in values.items():
        field = dialog.get_by_label(name.replace("_", " ").capitalize(), exact=True)
        if name in ("role", "division"):
            field.select_option(label=value)
        else:
            field.fill(value)


def expect_message_under(dialog: Locator, label: str, message: str) -> None:
    """The field is marked wrong, says why to a screen reader, and shows it right under it."""
    field = dialog.get_by_label(label, exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("^" + re.escape(message)))
    shown = field.locator("xpath=..").get_by_text(message, exact=True)
    expect(shown).to_be_visible()
    assert shown.bounding_box()["y"] > field.bounding_box()["y"], f"{message} is not under"


def send_back(dialog: Locator) -> None:
    """Press "Create" and wait until the form comes back in place of the one sent, so what
    follows looks at the answer, not at the form that was there before."""
    dialog.locator("form").evaluate("form => { form.dataset.sent = 'yes'; }")
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(dialog.locator("form[data-sent]")).to_have_count(0)
    expect(dialog.locator("form")).to_have_count(1)


def spinner_of(button: Locator) -> str:
    """The image drawn in front of the button's words: Pico's spinner while it works."""
    return button.evaluate("button => getComputedStyle(button, '::before').backgroundImage")


@contextmanager
def posts_held(page: Page) -> Iterator[list[Route]]:
    """Keep every POST of the page waiting until the block ends, so the in-flight state can
    be looked at; other requests go through."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route("**/*", hold)
    try:
        yield held
    finally:
        for route in held:
            route.continue_()
        page.unroute("**/*", hold)


def expect_busy_while_held(page: Page, held: list[Route], button: Locator) -> None:
    """While its POST waits, the button cannot be pressed again and shows a spinner."""
    for _ in range(250):
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1, "the form was not sent, or sent twice"
    expect(button).to_be_disabled()
    assert "data:image/svg+xml" in spinner_of(button)
    button.click(force=True)  # a second press while in flight does nothing
    page.wait_for_timeout(100)
    assert len(held) == 1, "a disabled button sent the form again"


# --- Item 4: errors where the mistake is ---------------------------------------------------

def test_each_problem_is_under_its_field_once_the_popup_closes(agent: Person,
                                                               admin_page: Page, problems):
    problems.allow_status(422, VALIDATION)
    colleague = agent
    dialog = open_create_dialog(admin_page)
    fill(dialog, first_name="Grace", username=colleague.username, email=colleague.email,
         role="Agent", division="General", password="kiwi-9", confirm_password="kiwi-9!")
    with admin_page.expect_response(lambda r: r.request.method == "POST") as answer:
        dialog.get_by_role("button", name="Create", exact=True).click()
    assert answer.value.status == 422
    assert "kiwi-9" not in answer.value.text()  # the server never sends a password back

    expected = [("Username", "Username is already taken."),
                ("Email", "Email is already taken."),
                ("Password", "Password must be 12–128 characters long."),
                ("Confirm password", "Password and confirmation do not match.")]
    popup = admin_page.get_by_role("dialog", name="Please correct the following")
    expect(popup.get_by_role("listitem")).to_have_text([message for _, message in expected])
    popup.get_by_role("button", name="Close").click()
    expect(popup).to_have_count(0)

    expect(dialog.get_by_label("Username", exact=True)).to_be_focused()  # the first wrong one
    for label, message in expected:
        expect_message_under(dialog, label, message)
    for label in ("First name", "Role", "Division"):
        expect(dialog.get_by_label(label, exact=True)).not_to_have_attribute(
            "aria-invalid", "true")
    # What was typed is all still there, passwords included.
    expect(dialog.get_by_label("Username", exact=True)).to_have_value(colleague.username)
    expect(dialog.get_by_label("Password", exact=True)).to_have_value("kiwi-9")
    expect(dialog.get_by_label("Confirm password", exact=True)).to_have_value("kiwi-9!")


def test_without_a_popup_the_first_missing_field_gets_focus(admin_page: Page, problems):
    problems.allow_status(422, VALIDATION)
    dialog = open_create_dialog(admin_page)
    fill(dialog, first_name="Grace", last_name="Hopper", role="Supervisor")
    send_back(dialog)
    expect_message_under(dialog, "Username", "Username field is required")
    expect(admin_page.get_by_role("dialog", name="Please correct the following")).to_have_count(0)
    expect(dialog.get_by_label("Username", exact=True)).to_be_focused()
    expect_message_under(dialog, "Division", "Division field is required")


def test_typed_passwords_are_kept_until_the_dialog_closes(admin_page: Page, problems):
    problems.allow_status(422, VALIDATION)
    dialog = open_create_dialog(admin_page)
    # Acceptable passwords, and a missing first name: the form comes back without a popup.
    fill(dialog, password="a long enough passphrase", confirm_password="a long enough passphrase")
    send_back(dialog)
    expect_message_under(dialog, "First name", "First name field is required")
    expect(dialog.get_by_label("Password", exact=True)).to_have_value("a long enough passphrase")
    expect(dialog.get_by_label("Confirm password", exact=True)).to_have_value(
        "a long enough passphrase")
    # Sent again, they come back again: each answer's form gets them from the one before.
    send_back(dialog)
    expect_message_under(dialog, "First name", "First name field is required")
    expect(dialog.get_by_label("Password", exact=True)).to_have_value("a long enough passphrase")

    # Cancel asks first (the form holds typed values); leaving unsaved forgets them.
    asked = []
    admin_page.once("dialog", lambda confirm: (asked.append(confirm.message), confirm.accept()))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert asked == ["This user is not created yet. Leave without creating them?"]
    admin_page.get_by_role("button", name="+ Create User").click()
    for label in ("Password", "Confirm password"):
        expect(dialog.get_by_label(label, exact=True)).to_have_value("")


def test_a_problem_of_no_field_stays_in_the_popup_only(admin_page: Page, problems,
                                                      admin: Person):
    problems.allow_status(422, VALIDATION)
    admin_page.goto("/users")
    admin_page.wait_for_load_state()
    row = admin_page.locator(f"#user-{admin.id}")
    row.get_by_role("link", name="Edit", exact=True).click()
    row.get_by_label("Status").select_option("Disabled")
    row.get_by_role("button", name="Save").click()
    popup = admin_page.get_by_role("dialog", name="Please correct the following")
    expect(popup.get_by_role("listitem")).to_have_text(
        ["You cannot disable your own account: ask another Admin to do it."])
    expect(row.locator("[aria-invalid='true']")).to_have_count(0)
    expect(row.locator(".field-error")).to_have_count(0)
    popup.get_by_role("button", name="Close").click()
    expect(popup).to_have_count(0)
    expect(row.get_by_label("Status")).to_have_value("disabled")  # what was chosen is kept


def test_the_password_rules_are_shown_before_submitting(agent: Person, admin_page: Page):
    dialog = open_create_dialog(admin_page)
    password = dialog.get_by_label("Password", exact=True)
    expect(password).to_have_accessible_description(RULES)
    expect(dialog.get_by_text(RULES, exact=True)).to_be_visible()

    admin_page.goto(f"/users/{agent.id}/password")
    expect(admin_page.get_by_label("New password")).to_have_accessible_description(RULES)
    expect(admin_page.get_by_text(RULES, exact=True)).to_be_visible()


def test_the_division_hint_appears_once_the_role_needs_a_division(admin_page: Page):
    dialog = open_create_dialog(admin_page)
    role = dialog.get_by_label("Role", exact=True)
    division = dialog.get_by_label("Division", exact=True)
    hint = dialog.get_by_text(DIVISION_HINT, exact=True)
    expect(hint).to_be_hidden()
    expect(division).to_have_accessible_description("")
    for choice, needs_division in [("Agent", True), ("Admin", False), ("Supervisor", True),
                                   ("Choose a role", False)]:
        role.select_option(label=choice)
        if needs_division:
            expect(hint).to_be_visible()
            expect(division).to_have_accessible_description(DIVISION_HINT)
        else:
            expect(hint).to_be_hidden()
            expect(division).to_have_accessible_description("")


def test_the_division_hint_survives_the_form_coming_back(admin_page: Page, problems):
    problems.allow_status(422, VALIDATION)
    dialog = open_create_dialog(admin_page)
    fill(dialog, role="Agent")
    send_back(dialog)
    expect_message_under(dialog, "Division", "Division field is required")
    division = dialog.get_by_label("Division", exact=True)
    expect(division).to_have_accessible_description(
        f"Division field is required {DIVISION_HINT}")
    dialog.get_by_label("Role", exact=True).select_option("Admin")
    # The hint goes; the error stays until the form is sent again.
    expect(dialog.get_by_text(DIVISION_HINT, exact=True)).to_be_hidden()
    expect(division).to_have_accessible_description("Division field is required")


def test_the_division_hint_follows_the_role_in_an_edited_row(agent: Person, admin_page: Page):
    admin_page.goto("/users")
    admin_page.wait_for_load_state()
    row = admin_page.locator(f"#user-{agent.id}")
    row.get_by_role("link", name="Edit", exact=True).click()
    division = row.get_by_label("Division", exact=True)
    hint = row.get_by_text(DIVISION_HINT, exact=True)
    expect(hint).to_be_visible()  # an Agent's row says so at once
    expect(division).to_have_accessible_description(DIVISION_HINT)
    row.get_by_label("Role", exact=True).select_option(label="Admin")
    expect(hint).to_be_hidden()
    expect(division).to_have_accessible_description("")
    row.get_by_label("Role", exact=True).select_option(label="Supervisor")
    expect(hint).to_be_visible()


# --- Item 2: the dialogs show they are working ---------------------------------------------

def test_create_is_disabled_and_shows_progress_while_in_flight(admin_page: Page, problems):
    problems.allow_status(422, VALIDATION)
    dialog = open_create_dialog(admin_page)
    create = dialog.get_by_role("button", name="Create", exact=True)
    assert spinner_of(create) == "none"
    with posts_held(admin_page) as held:
        create.click()
        expect_busy_while_held(admin_page, held, create)
    expect_message_under(dialog, "First name", "First name field is required")
    expect(create).to_be_enabled()
    assert spinner_of(create) == "none"


def test_password_save_is_disabled_and_shows_progress_while_in_flight(
        agent: Person, admin_page: Page, seed: Seed):
    admin_page.goto(f"/users/{agent.id}/password")
    admin_page.wait_for_load_state()
    admin_page.get_by_label("New password").fill("a new passphrase, long enough")
    admin_page.get_by_label("Confirm password").fill("a new passphrase, long enough")
    save = admin_page.get_by_role("button", name="Save")
    with posts_held(admin_page) as held:
        save.click()
        expect_busy_while_held(admin_page, held, save)
    expect(admin_page.locator("#toasts .toast-success")).to_have_count(1)
    expect(save).to_be_enabled()
    assert check_password_hash(seed.find(agent.username).password_hash,
                               "a new passphrase, long enough")


def test_delete_is_disabled_and_shows_progress_while_in_flight(agent: Person, admin_page: Page,
                                                               seed: Seed):
    admin_page.goto("/users")
    admin_page.wait_for_load_state()
    admin_page.locator(f"#user-{agent.id}").get_by_role(
        "button", name="Delete", exact=True).click()
    confirm = admin_page.get_by_role("dialog", name="Are you sure want to delete this data?")
    delete = confirm.get_by_role("button", name="Delete", exact=True)
    with posts_held(admin_page) as held:
        delete.click()
        expect_busy_while_held(admin_page, held, delete)
    expect(confirm).to_have_count(0)
    expect(admin_page.locator("#toasts .toast-success")).to_have_count(1)
    assert seed.find(agent.username) is None


def test_a_dialog_taller_than_a_phone_opens_on_its_first_field(agent: Person,
                                                               admin_page: Page):
    """Too tall for 390×844, the dialog scrolls; focus still starts at the first field, not on
    the scrolling box."""
    admin_page.set_viewport_size({"width": 390, "height": 844})
    open_create_dialog(admin_page)  # expects First name focused
    admin_page.goto(f"/users/{agent.id}/password")
    expect(admin_page.get_by_label("New password")).to_be_focused()
