"""The users list in daily use (issue 10, items 2, 3, 6 and 7): the list and the clicked
control show that a request is on its way; unsaved row edits are not lost without a word;
Escape cancels a row edit; "Change Password" from the row menu; sorting, the status filter,
numbered pages; toasts that name the user; no working trash button on one's own row."""

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
        return before.content !== 'none' && before.backgroundImage.startsWith('url(');
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
    edit = row.get_by_role("button", name=f"Edit {people['zed'].username}")
    with held(page, "GET", f"/users/{people['zed'].id}/edit") as waiting:
        edit.click()
        wait_for_held(page, waiting)
        expect(edit).to_have_attribute("disabled", "")
        assert shows_progress(edit)
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

    row.get_by_role("button", name=f"Edit {people['zed'].username}").click()
    cancel = row.get_by_role("button", name="Cancel")
    with held(page, "GET", f"/users/{people['zed'].id}") as waiting:
        cancel.click()
        wait_for_held(page, waiting)
        expect(cancel).to_have_attribute("disabled", "")
        assert shows_progress(cancel)
        expect(row.get_by_role("button", name="Save")).to_be_disabled()
    expect(row.get_by_role("textbox")).to_have_count(0)


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
    row.get_by_role("button", name=f"Edit {person.username}").click()
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
    expect(row.get_by_role("button", name=f"Edit {people['budi'].username}")).to_be_focused()


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
    expect(row.get_by_role("button", name=f"Edit {people['budi'].username}")).to_be_focused()
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
    expect(row.get_by_role("button", name=f"Edit {people['budi'].username}")).to_be_focused()
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


# -- item 6: Change Password from the row menu ---------------------------------------------

def test_change_password_from_the_row_menu_without_editing(page: Page, seed: Seed, team):
    _, people = team
    row = row_of(page, people["zed"])
    more = row.locator("summary")
    expect(more).to_have_accessible_name(f"More actions for {people['zed'].username}")
    change = row.get_by_role("link", name="Change Password")
    expect(change).to_be_hidden()
    more.click()
    expect(change).to_be_visible()
    change.click()
    dialog = page.get_by_role("dialog", name="Change Password")
    expect(dialog.get_by_label("New password")).to_be_focused()
    expect(change).to_be_hidden()  # the menu closed behind the dialog
    expect(row.get_by_role("textbox")).to_have_count(0)  # never in edit mode
    dialog.get_by_label("New password").fill("a fresh passphrase for Zed")
    dialog.get_by_label("Confirm password").fill("a fresh passphrase for Zed")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#toasts").get_by_text("Password changed")).to_be_visible()
    expect(more).to_be_focused()
    stored = seed.find(people["zed"].username)
    from werkzeug.security import check_password_hash
    assert check_password_hash(stored.password_hash, "a fresh passphrase for Zed")


def test_the_row_menu_by_keyboard(page: Page, team):
    _, people = team
    row = row_of(page, people["zed"])
    row.get_by_role("button", name=f"Edit {people['zed'].username}").focus()
    page.keyboard.press("Tab")
    more = row.locator("summary")
    expect(more).to_be_focused()
    page.keyboard.press("Enter")
    change = row.get_by_role("link", name="Change Password")
    expect(change).to_be_visible()
    page.keyboard.press("Tab")
    expect(change).to_be_focused()
    page.keyboard.press("Escape")  # closes the menu, back on its button
    expect(change).to_be_hidden()
    expect(more).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Change Password
    dialog = page.get_by_role("dialog", name="Change Password")
    expect(dialog.get_by_label("New password")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(more).to_be_focused()


def test_one_row_menu_open_at_a_time_and_a_click_elsewhere_closes_it(page: Page, team):
    _, people = team
    first, second = (row_of(page, people[key]).locator("details.row-menu")
                     for key in ("zed", "budi"))
    first.locator("summary").click()
    expect(first).to_have_attribute("open", "")
    second.locator("summary").click()
    expect(second).to_have_attribute("open", "")
    expect(first).not_to_have_attribute("open", "")
    page.get_by_role("heading", name="Users", exact=True).click()
    expect(second).not_to_have_attribute("open", "")


def test_no_working_trash_button_on_ones_own_row(page: Page, team):
    admin, _ = team
    trash = row_of(page, admin).get_by_role("button", name="Delete", exact=True)
    expect(trash).to_be_disabled()
    expect(trash).to_have_accessible_description("You cannot delete your own account")
    expect(trash).to_have_attribute("title", "You cannot delete your own account")
    trash.click(force=True)
    page.wait_for_timeout(200)
    expect(page.get_by_role("dialog")).to_have_count(0)


# -- item 7: sorting, the status filter, pages, toasts ----------------------------------------

def test_headings_sort_and_the_address_keeps_it(page: Page, team):
    heading = page.locator("th.col-name")
    heading.get_by_role("link", name="Name").click()
    expect_url_params(page, sort="name")
    expect(heading).to_have_attribute("aria-sort", "ascending")
    expect(names(page)).to_have_text(["Ada Admin", "Budi Santoso", "Omar Oak", "Zed Zebra",
                                      "Zelda Quinn"])
    heading.get_by_role("link", name="Name").click()
    expect_url_params(page, sort="-name")
    expect(heading).to_have_attribute("aria-sort", "descending")
    expect(names(page).first).to_have_text("Zelda Quinn")

    # A search keeps the sort; so does a reload.
    page.get_by_role("searchbox", name="Search").fill("z")
    expect_url_params(page, q="z", sort="-name")
    expect(names(page)).to_have_text(["Zelda Quinn", "Zed Zebra"])
    page.reload()
    expect(names(page)).to_have_text(["Zelda Quinn", "Zed Zebra"])
    expect(page.get_by_role("combobox", name="Sort by")).to_have_value("-name")

    # "Sort by" does the same where there are no headings to click (and here too).
    page.get_by_role("combobox", name="Sort by").select_option("username")
    expect_url_params(page, q="z", sort="username")
    expect(page.locator("th.col-username")).to_have_attribute("aria-sort", "ascending")


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

    row_of(page, people["omar"]).get_by_role("button", name="Delete", exact=True).click()
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
