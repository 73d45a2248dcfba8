"""The users list in daily use (issue 10, items 2, 3, 6 and 7; issue 15's slim rows): the
list and the clicked control show that a request is on its way; unsaved row edits are not lost
without a word; Escape cancels a row edit; "Change Password" and "View activity" on the row
being edited; every row's "Edit" and "Delete" in reach of the keyboard; sorting, the status
filter, numbered pages; toasts that name the user; no working trash button on one's own row."""

import re
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Dialog, Locator, Page, Route, expect

from webapp.models import Role, Status

from .live import Seed, login

pytestmark = pytest.mark.browser

UNSAVED = re.compile(r"^Your changes to .+ are not saved\. Leave them unsaved\?$")


@pytest.fixture
def team(page: Page, seed: Seed):
    """An account with a few users, its Admin logged in on the users list; (admin, people)."""
    admin = seed.admin(first_name="Ada", last_name="Admin")
    people = {
        "zed": seed.user(admin.account_id, Role.AGENT, first_name="Zed", last_name="Zebra"),
        "zelda": seed.user(admin.account_id, Role.SUPERVISOR, first_name="Zelda",
                           last_name="Quinn"),
        "omar": seed.user(admin.account_id, Role.AGENT, first_name="Omar", last_name="Oak",
                          status=Status.DISABLED),
        "budi": seed.user(admin.account_id, Role.AGENT, first_name="Budi", last_name="Santoso"),
    }
    open_users(page, admin)
    return admin, people


def open_users(page: Page, admin, path: str = "/users") -> None:
    login(page, admin)
    page.goto(path)
    page.wait_for_load_state()  # htmx is set up: clicks now make htmx requests


def rows(page: Page) -> Locator:
    return page.locator("#user-rows > tr")


def row_of(page: Page, person) -> Locator:
    return page.locator(f"#user-{person.id}")


def names(page: Page) -> Locator:
    return page.locator("#user-rows > tr > td:first-child")


def edit_link(row: Locator) -> Locator:
    """A display row's "Edit" (a link that app.js sends through htmx, issue 15)."""
    return row.get_by_role("link", name="Edit", exact=True)


def trash(row: Locator) -> Locator:
    """A display row's trash button on another user's row: named "Delete" (SPEC §3), a link
    with the role of a button (without JavaScript it opens a confirmation page)."""
    return row.get_by_role("button", name="Delete", exact=True)


def filters(page: Page) -> Locator:
    return page.locator("#users-filter")


def url_params(page: Page) -> dict:
    return dict(parse_qsl(urlsplit(page.url).query, keep_blank_values=True))


def expect_url_params(page: Page, /, **params) -> None:
    """Wait until the address carries exactly these parameters (no empty or repeated ones)."""
    wanted = {name: str(value) for name, value in params.items()}
    for _ in range(100):
        if url_params(page) == wanted:
            break
        page.wait_for_timeout(50)
    query = urlsplit(page.url).query
    assert url_params(page) == wanted, page.url
    assert len(parse_qsl(query)) == len(wanted), f"repeated parameters in {page.url}"


@contextmanager
def held(page: Page, method: str, path: str):
    """Requests of `method` to `path` wait while inside; they go on at its end."""
    waiting: list[Route] = []

    def matches(url: str) -> bool:
        return urlsplit(url).path == path

    def hold(route: Route) -> None:
        if route.request.method == method:
            waiting.append(route)
        else:
            route.continue_()

    page.route(matches, hold)
    try:
        yield waiting
    finally:
        for route in waiting:
            route.continue_()
        page.unroute(matches, hold)


def wait_for_held(page: Page, waiting: list) -> None:
    for _ in range(100):
        if waiting:
            return
        page.wait_for_timeout(20)
    raise AssertionError("no request was sent")


def shows_progress(control: Locator) -> bool:
    """The spinner app.css draws in front of a control that hx-disabled-elt disabled."""
    return control.evaluate("""node => {
        const before = getComputedStyle(node, '::before');
        return before.content !== 'none' && before.backgroundImage.startsWith('url(')
            && parseFloat(before.width) > 0 && parseFloat(before.height) > 0;
    }""")


# -- item 2: feedback while waiting -------------------------------------------------------

def test_a_search_dims_the_list_and_says_it_is_busy_until_the_new_one_is_in(page: Page, team):
    users_list = page.locator("#users-list")
    with held(page, "GET", "/users") as waiting:
        page.get_by_role("searchbox", name="Search").fill("zel")
        wait_for_held(page, waiting)
        expect(users_list).to_have_attribute("aria-busy", "true")
        expect(users_list).to_have_class(re.compile(r"\bhtmx-request\b"))
        page.wait_for_timeout(400)  # past the short delay that spares quick answers a flicker
        table = page.locator(".users-table-wrap")
        assert float(table.evaluate("node => getComputedStyle(node).opacity")) < 0.6
        expect(names(page)).to_have_count(5)  # the old list, dimmed, until the answer
    expect(names(page)).to_have_text(["Zelda Quinn"])
    expect(users_list).not_to_have_attribute("aria-busy", "true")
    assert float(page.locator(".users-table-wrap").evaluate(
        "node => getComputedStyle(node).opacity")) == 1


def test_a_page_link_is_disabled_and_shows_progress(page: Page, seed: Seed):
    admin = seed.admin()
    for number in range(30):
        seed.user(admin.account_id, Role.AGENT, first_name=f"Agent {number:02}")
    open_users(page, admin)
    next_page = page.locator("nav.pager").get_by_role("link", name="Next ›")
    with held(page, "GET", "/users") as waiting:
        next_page.click()
        wait_for_held(page, waiting)
        expect(next_page).to_have_attribute("disabled", "")
        assert shows_progress(next_page)
        expect(page.locator("#users-list")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_text("Showing 26–31 of 31 users")).to_be_visible()
    expect_url_params(page, page=2)


def test_edit_save_and_cancel_are_disabled_and_show_progress(page: Page, team):
    _, people = team
    row = row_of(page, people["zed"])
    edit = edit_link(row)
    with held(page, "GET", f"/users/{people['zed'].id}/edit") as waiting:
        edit.click()
        wait_for_held(page, waiting)
        expect(edit).to_have_attribute("data-disabled-by-htmx", "")
        assert shows_progress(edit)
        assert edit.evaluate("node => getComputedStyle(node).pointerEvents") == "none"
        expect(row).to_have_class(re.compile(r"\bhtmx-request\b"))  # the row dims
    save, cancel = row.get_by_role("button", name="Save"), row.get_by_role("button",
                                                                           name="Cancel")
    change_password = row.get_by_role("button", name="Change Password")
    row.get_by_role("textbox", name="First name").fill("Zeddy")
    with held(page, "POST", f"/users/{people['zed'].id}") as waiting:
        save.click()
        wait_for_held(page, waiting)
        expect(save).to_be_disabled()
        assert shows_progress(save)
        expect(cancel).to_have_attribute("disabled", "")
        expect(change_password).to_have_attribute("disabled", "")
    expect(row).to_contain_text("Zeddy Zebra")

    edit_link(row).click()
    cancel = row.get_by_role("button", name="Cancel")
    with held(page, "GET", f"/users/{people['zed'].id}") as waiting:
        cancel.click()
        wait_for_held(page, waiting)
        expect(cancel).to_have_attribute("disabled", "")
        assert shows_progress(cancel)
        expect(row.get_by_role("button", name="Save")).to_be_disabled()
    expect(row.get_by_role("textbox")).to_have_count(0)


def test_the_clicked_trash_button_is_disabled_and_shows_progress(page: Page, team):
    _, people = team
    row = row_of(page, people["zed"])
    button = trash(row)
    with held(page, "GET", f"/users/{people['zed'].id}/delete") as waiting:
        button.click()
        wait_for_held(page, waiting)
        expect(button).to_have_attribute("data-disabled-by-htmx", "")
        assert button.evaluate("node => getComputedStyle(node).pointerEvents") == "none"
        assert shows_progress(button)
    popup = page.get_by_role("dialog", name="Are you sure want to delete this data?")
    expect(popup).to_be_visible()
    expect(button).not_to_have_attribute("data-disabled-by-htmx", "")
    expect(row.get_by_role("textbox")).to_have_count(0)  # the popup did not take the row's place


# -- item 3: unsaved edits are not lost silently --------------------------------------------

class Dialogs:
    """Answers the page's confirm and beforeunload dialogs, and remembers them."""

    def __init__(self, page: Page, accept: bool = False):
        self.seen: list[tuple[str, str]] = []
        self.accept = accept
        page.on("dialog", self.answer)

    def answer(self, dialog: Dialog) -> None:
        self.seen.append((dialog.type, dialog.message))
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()


def start_editing(page: Page, person, first_name: str | None = "Changed") -> Locator:
    row = row_of(page, person)
    edit_link(row).click()
    field = row.get_by_role("textbox", name="First name")
    expect(field).to_be_focused()
    if first_name is not None:
        field.fill(first_name)
    return row


def test_searching_with_an_unsaved_edit_asks_first(page: Page, team):
    _, people = team
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"], "Budiman")
    page.get_by_role("searchbox", name="Search").fill("zel")
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0][0] == "confirm"
    assert dialogs.seen[0][1] == ("Your changes to Budi Santoso are not saved. "
                                  "Leave them unsaved?")
    # Stayed: the edit is still there, as typed; the list and the address unchanged.
    expect(row.get_by_role("textbox", name="First name")).to_have_value("Budiman")
    expect(names(page)).to_have_count(5)
    expect_url_params(page)

    dialogs.accept = True
    page.get_by_role("searchbox", name="Search").fill("zeld")
    expect(names(page)).to_have_text(["Zelda Quinn"])
    expect_url_params(page, q="zeld")


def test_saving_with_the_keyboard_keeps_focus_on_the_row(page: Page, team):
    """Save is disabled while on its way, which takes the focus from it; the row keeps it,
    and the row that comes back has it on its "Edit"."""
    _, people = team
    row = start_editing(page, people["budi"], "Budiman")
    row.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Budiman Santoso")
    expect(edit_link(row)).to_be_focused()


def test_sorting_or_filtering_with_an_unsaved_edit_asks_first(page: Page, team):
    _, people = team
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"])
    page.locator("th.col-name").get_by_role("link", name="Name").click()
    wait_until(page, lambda: dialogs.seen)
    filters(page).get_by_role("combobox", name="Status").select_option("disabled")
    wait_until(page, lambda: len(dialogs.seen) == 2)
    assert [kind for kind, _ in dialogs.seen] == ["confirm", "confirm"]
    expect(row.get_by_role("textbox", name="First name")).to_have_value("Changed")
    expect_url_params(page)


def test_an_edit_without_changes_does_not_ask(page: Page, team):
    _, people = team
    dialogs = Dialogs(page)
    start_editing(page, people["budi"], first_name=None)
    page.get_by_role("searchbox", name="Search").fill("zel")
    expect(names(page)).to_have_text(["Zelda Quinn"])
    assert dialogs.seen == []


def test_saving_or_cancelling_the_edit_itself_does_not_ask(page: Page, team):
    _, people = team
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"], "Budiman")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts").get_by_text("Changes to Budiman Santoso saved")).to_be_visible()
    row = start_editing(page, people["budi"], "Not kept")
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_contain_text("Budiman Santoso")
    assert dialogs.seen == []


def test_reloading_with_an_unsaved_edit_asks_first(page: Page, team):
    _, people = team
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"], "Budiman")
    page.evaluate("window.__stillHere = true")
    page.evaluate("setTimeout(() => location.reload(), 0)")
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0][0] == "beforeunload"
    page.wait_for_timeout(200)
    assert page.evaluate("window.__stillHere") is True, "the page reloaded"
    expect(row.get_by_role("textbox", name="First name")).to_have_value("Budiman")


def test_back_with_an_unsaved_edit_asks_first(page: Page, team):
    _, people = team
    page.get_by_role("searchbox", name="Search").fill("b")
    expect_url_params(page, q="b")
    expect(names(page)).to_have_text(["Budi Santoso", "Zed Zebra"])
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"], "Budiman")
    page.evaluate("history.back()")
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0] == ("confirm", "Your changes to Budi Santoso are not saved. "
                                          "Leave them unsaved?")
    expect_url_params(page, q="b")  # stayed, and the address says so
    expect(row.get_by_role("textbox", name="First name")).to_have_value("Budiman")

    dialogs.accept = True
    page.evaluate("history.back()")
    expect_url_params(page)
    expect(names(page)).to_have_count(5)


def test_a_refused_save_leaves_the_row_unsaved(page: Page, problems, team):
    problems.allow_status(422, "the row comes back with its errors as 422")
    _, people = team
    row = start_editing(page, people["budi"], first_name=None)
    row.get_by_role("textbox", name="Email").fill("not an email")
    row.get_by_role("button", name="Save").click()
    page.get_by_role("dialog", name="Please correct the following").get_by_role(
        "button", name="Close").click()
    dialogs = Dialogs(page)
    page.get_by_role("searchbox", name="Search").fill("zel")
    wait_until(page, lambda: dialogs.seen)
    assert UNSAVED.match(dialogs.seen[0][1])


def test_escape_cancels_an_unchanged_row_edit_at_once(page: Page, team):
    _, people = team
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"], first_name=None)
    page.keyboard.press("Escape")
    expect(row.get_by_role("textbox")).to_have_count(0)
    expect(edit_link(row)).to_be_focused()
    assert dialogs.seen == []


def test_escape_in_a_changed_row_asks_before_cancelling(page: Page, seed: Seed, team):
    _, people = team
    dialogs = Dialogs(page)
    row = start_editing(page, people["budi"], "Budiman")
    page.keyboard.press("Escape")
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0][0] == "confirm" and UNSAVED.match(dialogs.seen[0][1])
    expect(row.get_by_role("textbox", name="First name")).to_have_value("Budiman")

    dialogs.accept = True
    page.keyboard.press("Escape")
    expect(row.get_by_role("textbox")).to_have_count(0)
    expect(row).to_contain_text("Budi Santoso")
    expect(edit_link(row)).to_be_focused()
    assert seed.find(people["budi"].username).first_name == "Budi"


def test_escape_in_a_rows_popup_closes_only_the_popup(page: Page, problems, team):
    problems.allow_status(422, "the row comes back with its errors as 422")
    _, people = team
    row = start_editing(page, people["budi"], first_name=None)
    row.get_by_role("textbox", name="Email").fill("not an email")
    row.get_by_role("button", name="Save").click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup).to_be_visible()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    expect(row.get_by_role("textbox", name="Email")).to_have_value("not an email")


CREATE_UNSAVED = "This user is not created yet. Leave without creating them?"


def open_create_dialog(page: Page) -> Locator:
    page.get_by_role("button", name="+ Create User").click()
    dialog = page.get_by_role("dialog", name="Create User")
    expect(dialog.get_by_role("textbox", name="First name")).to_be_focused()
    return dialog


def test_escape_closes_an_untouched_create_dialog_at_once(page: Page, team):
    dialogs = Dialogs(page)
    dialog = open_create_dialog(page)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert dialogs.seen == []


@pytest.mark.parametrize("close", ["Escape", "Cancel"])
def test_closing_a_create_dialog_with_typed_values_asks_first(page: Page, team, close):
    dialogs = Dialogs(page)
    dialog = open_create_dialog(page)
    dialog.get_by_role("textbox", name="First name").fill("Rina")

    def close_it() -> None:
        if close == "Escape":
            page.keyboard.press("Escape")
        else:
            dialog.get_by_role("button", name="Cancel").click()

    close_it()
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0] == ("confirm", CREATE_UNSAVED)
    expect(dialog.get_by_role("textbox", name="First name")).to_have_value("Rina")

    dialogs.accept = True
    close_it()
    expect(dialog).to_have_count(0)
    assert len(dialogs.seen) == 2


def test_a_create_dialog_sent_back_with_errors_asks_before_closing(page: Page, problems, team):
    problems.allow_status(422, "the form comes back with its errors as 422")
    dialogs = Dialogs(page)
    dialog = open_create_dialog(page)
    dialog.get_by_role("textbox", name="First name").fill("Rina")
    dialog.get_by_role("button", name="Create").click()
    # Only required fields are missing: no popup, focus on the first of them.
    expect(dialog.locator('[aria-invalid="true"]').first).to_be_focused()
    page.keyboard.press("Escape")
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0] == ("confirm", CREATE_UNSAVED)
    expect(dialog).to_be_visible()


def test_leaving_an_edited_profile_asks_first(page: Page, team):
    page.goto("/profile")
    page.wait_for_load_state()
    dialogs = Dialogs(page)
    page.evaluate("setTimeout(() => location.reload(), 0)")  # nothing changed: no question
    page.wait_for_load_state()
    assert dialogs.seen == []
    page.get_by_role("textbox", name="First name").fill("Adaline")
    page.evaluate("window.__stillHere = true")
    page.evaluate("setTimeout(() => location.reload(), 0)")
    wait_until(page, lambda: dialogs.seen)
    assert dialogs.seen[0][0] == "beforeunload"
    page.wait_for_timeout(200)
    assert page.evaluate("window.__stillHere") is True, "the page reloaded"


def wait_until(page: Page, condition, timeout_ms: int = 5000) -> None:
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("waited in vain")


# -- item 6 and issue 15: each row's actions ------------------------------------------------

def delete_control(row: Locator) -> Locator:
    """A row's trash button, named "Delete": a link with a button's role, or on one's own
    row a (disabled) button."""
    return row.get_by_role("button", name="Delete", exact=True)


def test_a_display_row_has_only_edit_and_delete(page: Page, team):
    """What the row being edited offers besides Save and Cancel is not repeated on every
    row (issue 15): a display row's controls are its "Edit" and its trash button."""
    admin, _ = team
    for row in rows(page).all():
        controls = row.locator("a, button, summary, [tabindex]")
        expect(controls).to_have_count(2)
        expect(edit_link(row)).to_have_count(1)
        expect(delete_control(row)).to_have_count(1)
    # One's own: a disabled <button>, which opens nothing, where others' is a link.
    expect(row_of(page, admin).locator("a", has_text="Delete")).to_have_count(0)
    expect(delete_control(row_of(page, admin))).to_have_attribute("aria-disabled", "true")


def test_change_password_and_view_activity_on_the_row_being_edited(page: Page, seed: Seed,
                                                                  team):
    _, people = team
    zed = people["zed"]
    row = row_of(page, zed)
    change = row.get_by_role("button", name="Change Password")
    activity = row.get_by_role("link", name="View activity")
    expect(change).to_have_count(0)
    expect(activity).to_have_count(0)
    edit_link(row).click()
    expect(row.get_by_role("textbox", name="First name")).to_be_focused()

    change.click()
    dialog = page.get_by_role("dialog", name="Change Password")
    expect(dialog.get_by_label("New password")).to_be_focused()
    dialog.get_by_label("New password").fill("a fresh passphrase for Zed")
    dialog.get_by_label("Confirm password").fill("a fresh passphrase for Zed")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#toasts").get_by_text("Password changed for Zed Zebra")).to_be_visible()
    expect(change).to_be_focused()  # back where it was, the row still being edited
    expect(row.get_by_role("textbox", name="First name")).to_have_value("Zed")
    from werkzeug.security import check_password_hash
    assert check_password_hash(seed.find(zed.username).password_hash,
                               "a fresh passphrase for Zed")

    # View activity: the Activity log of this user, with the change just made in it.
    activity.click()
    expect(page).to_have_url(re.compile(rf"/activity\?person={zed.id}$"))
    expect(page.get_by_text(f"Showing the activity of Zed Zebra ({zed.username}).")) \
        .to_be_visible()
    expect(page.locator("#activity-rows > tr")).not_to_have_count(0)


def test_every_rows_edit_and_delete_are_reached_with_tab(page: Page, team):
    """Tab goes from each row's "Edit" to its trash button, then on to the next row's "Edit";
    Enter on one's own (disabled) trash button opens nothing."""
    admin, _ = team
    all_rows = rows(page).all()
    assert len(all_rows) == 5
    edit_link(all_rows[0]).focus()
    for row in all_rows:
        expect(edit_link(row)).to_be_focused()
        page.keyboard.press("Tab")
        expect(delete_control(row)).to_be_focused()
        if row.get_attribute("id") == f"user-{admin.id}":
            page.keyboard.press("Enter")
            page.keyboard.press("Space")
            page.wait_for_timeout(200)
            expect(page.get_by_role("dialog")).to_have_count(0)
            expect(delete_control(row)).to_be_focused()
        page.keyboard.press("Tab")


def test_a_rows_link_opened_in_a_new_tab_is_a_page_of_its_own(page: Page, team):
    """Only a plain click goes through htmx: Ctrl+click opens the edit page in a new tab
    and leaves the list as it was."""
    _, people = team
    row = row_of(page, people["zed"])
    with page.context.expect_page() as opened:
        edit_link(row).click(modifiers=["ControlOrMeta"])
    tab = opened.value
    tab.wait_for_load_state()
    assert urlsplit(tab.url).path == f"/users/{people['zed'].id}/edit"
    expect(tab.get_by_role("textbox", name="First name")).to_have_value("Zed")
    tab.close()
    expect(row.get_by_role("textbox")).to_have_count(0)
    expect(edit_link(row)).not_to_have_attribute("data-disabled-by-htmx", "")


def test_no_working_trash_button_on_ones_own_row(page: Page, team):
    admin, _ = team
    own = row_of(page, admin).get_by_role("button", name="Delete", exact=True)
    expect(own).to_be_disabled()
    expect(own).to_have_accessible_description("You cannot delete your own account")
    expect(own).to_have_attribute("title", "You cannot delete your own account")
    own.click(force=True)
    page.wait_for_timeout(200)
    expect(page.get_by_role("dialog")).to_have_count(0)


# -- item 7: sorting, the status filter, pages, toasts ----------------------------------------

def test_headings_sort_and_the_address_keeps_it(page: Page, team):
    heading = page.locator("th.col-name")
    sort_by = filters(page).get_by_role("combobox", name="Sort by")
    expect(sort_by).to_have_value("")  # newest first
    heading.get_by_role("link", name="Name").click()
    expect_url_params(page, sort="name")
    expect(heading).to_have_attribute("aria-sort", "ascending")
    expect(sort_by).to_have_value("name")  # "Sort by" says so too
    # The arrow is drawn, not read out: aria-sort says it.
    expect(heading.get_by_role("link", name="Name", exact=True)).to_have_count(1)
    expect(names(page)).to_have_text(["Ada Admin", "Budi Santoso", "Omar Oak", "Zed Zebra",
                                      "Zelda Quinn"])
    heading.get_by_role("link", name="Name").click()
    expect_url_params(page, sort="-name")
    expect(heading).to_have_attribute("aria-sort", "descending")
    expect(sort_by).to_have_value("-name")
    expect(names(page).first).to_have_text("Zelda Quinn")

    # A search keeps the sort; so does a reload.
    page.get_by_role("searchbox", name="Search").fill("z")
    expect_url_params(page, q="z", sort="-name")
    expect(names(page)).to_have_text(["Zelda Quinn", "Zed Zebra"])
    page.reload()
    expect(names(page)).to_have_text(["Zelda Quinn", "Zed Zebra"])
    expect(sort_by).to_have_value("-name")

    # "Sort by" does the same where there are no headings to click (and here too).
    sort_by.select_option("username")
    expect_url_params(page, q="z", sort="username")
    expect(page.locator("th.col-username")).to_have_attribute("aria-sort", "ascending")
    expect(heading).not_to_have_attribute("aria-sort", re.compile("."))


def test_the_status_filter(page: Page, team):
    status = filters(page).get_by_role("combobox", name="Status")
    expect(status).to_have_value("")
    expect(status.locator("option")).to_have_text(["All statuses", "Active", "Disabled"])
    expect(page.get_by_role("combobox", name="Role").locator("option").first) \
        .to_have_text("All roles")
    status.select_option("disabled")
    expect_url_params(page, status="disabled")
    expect(names(page)).to_have_text(["Omar Oak"])
    status.select_option("active")
    expect_url_params(page, status="active")
    expect(names(page)).to_have_count(4)
    status.select_option("")
    expect_url_params(page)
    expect(names(page)).to_have_count(5)


def test_numbered_first_and_last_pages(page: Page, seed: Seed):
    admin = seed.admin()
    for number in range(80):
        seed.user(admin.account_id, Role.AGENT, first_name=f"Agent {number:02}")
    open_users(page, admin, "/users?sort=name")
    pager = page.locator("nav.pager")
    expect(pager.get_by_text("Page 1 of 4")).to_be_visible()
    pager.get_by_role("link", name="Page 3").click()
    expect_url_params(page, sort="name", page=3)
    expect(pager.get_by_text("Page 3 of 4")).to_be_visible()
    pager.get_by_role("link", name="Last »").click()
    expect_url_params(page, sort="name", page=4)
    expect(page.get_by_text("Showing 76–81 of 81 users")).to_be_visible()
    expect(pager.get_by_text("Last »")).to_have_attribute("aria-disabled", "true")
    pager.get_by_role("link", name="« First").click()
    expect_url_params(page, sort="name")
    expect(names(page).first).to_have_text("Ada Admin")
    page.go_back()
    expect_url_params(page, sort="name", page=4)
    expect(page.get_by_text("Showing 76–81 of 81 users")).to_be_visible()


def test_toasts_name_the_user(page: Page, team):
    _, people = team
    toasts = page.locator("#toasts")
    row = start_editing(page, people["zelda"], "Zeldina")
    row.get_by_role("button", name="Save").click()
    expect(toasts.get_by_text("Changes to Zeldina Quinn saved", exact=True)).to_be_visible()

    trash(row_of(page, people["omar"])).click()
    page.get_by_role("dialog", name="Are you sure want to delete this data?").get_by_role(
        "button", name="Delete", exact=True).click()
    expect(toasts.get_by_text("Omar Oak deleted", exact=True)).to_be_visible()
    expect(row_of(page, people["omar"])).to_have_count(0)

    page.get_by_role("button", name="+ Create User").click()
    dialog = page.get_by_role("dialog", name="Create User")
    dialog.get_by_label("First name", exact=True).fill("Dewi")
    dialog.get_by_label("Last name", exact=True).fill("Lestari")
    dialog.get_by_label("Username", exact=True).fill("dewi.lestari.toast")
    dialog.get_by_label("Email", exact=True).fill("dewi.lestari.toast@example.com")
    dialog.get_by_label("Role", exact=True).select_option("Admin")
    dialog.get_by_label("Password", exact=True).fill("a long passphrase for Dewi")
    dialog.get_by_label("Confirm password", exact=True).fill("a long passphrase for Dewi")
    dialog.get_by_role("button", name="Create", exact=True).click()
    expect(toasts.get_by_text("Dewi Lestari created", exact=True)).to_be_visible()
    expect(names(page).first).to_have_text("Dewi Lestari")
