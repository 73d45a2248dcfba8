"""The seeds' flow (SPEC §3, steps 1–10) walked in Chromium as an admin would: by visible
labels and roles, typing and clicking. Steps 3–10 must never reload the page, log a console
error or violate the Content-Security-Policy."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect
from werkzeug.security import check_password_hash

from webapp.models import Role

from .live import LANGUAGES, login, translator

pytestmark = pytest.mark.browser

VALIDATION = "the app answers a form with errors as 422 (Unprocessable Content)"


@contextmanager
def step(page: Page, problems, name: str):
    """One step of the flow: no reload (a marker on window survives), no browser problem."""
    page.evaluate("token => { window.__noReload = token; }", name)
    yield
    assert page.evaluate("window.__noReload") == name, f"the page reloaded during {name}"
    problems.assert_none(f"during {name}")


def toast(page: Page, text: str):
    return page.locator("#toasts").get_by_text(text, exact=True)


def user_row(page: Page, username: str):
    """The users-table row showing this username (display mode)."""
    return page.locator("#user-rows").get_by_role("row").filter(
        has=page.get_by_role("cell", name=username, exact=True))


def test_login_asks_for_username_and_password_and_fails_generically(page: Page, problems,
                                                                     seed, admin):
    """Step 1."""
    problems.allow_status(422, "a failed login answers 422 with the form")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", name="Login")).to_be_visible()
    username, password = page.get_by_label("Username"), page.get_by_label("Password")
    expect(username).to_be_visible()
    expect(password).to_have_attribute("type", "password")

    messages = []
    for name, secret in ((admin.username, "wrong password, long enough"),
                         ("nobody-by-this-name", admin.password)):
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill(secret)
        page.get_by_role("button", name="Login").click()
        alert = page.get_by_role("alert")
        expect(alert).to_be_visible()
        messages.append(alert.inner_text())
        expect(page).to_have_url(re.compile(r"/login"))
    # One generic message: it never says which of the two was wrong.
    assert messages[0] == messages[1], messages
    assert "username or password" in messages[0].lower()
    # The typed password is never sent back.
    expect(page.get_by_label("Password")).to_have_value("")

    login(page, admin)
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()


def test_settings_lists_what_the_role_may_open(page: Page, seed, admin):
    """Step 2: Settings in the main navigation; an Admin sees Account Management → Users,
    an Agent sees neither."""
    login(page, admin)
    page.goto("/users")  # start elsewhere, so the navigation link is what brings us back
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    section = page.get_by_role("region", name="Account Management")
    expect(section).to_be_visible()
    expect(section.get_by_role("link", name="Users", exact=True)).to_be_visible()

    agent = seed.user(admin.account_id, Role.AGENT)
    page.get_by_role("button", name="Logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    login(page, agent)  # lands on My chats; Settings by URL:
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_text("Account Management")).to_have_count(0)
    expect(page.get_by_role("link", name="Users", exact=True)).to_have_count(0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_steps_3_to_10_without_a_reload(page: Page, problems, seed, language):
    """The seeds' flow once in each language: the Admin reads the app in `language` (their
    saved choice), and every label, message and toast is looked for in it."""
    problems.allow_status(422, VALIDATION)
    t = translator(language)
    admin = seed.admin(language=language)
    colleague = seed.user(admin.account_id, Role.AGENT, first_name="Linus", last_name="Colleague")
    login(page, admin)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("region", name=t("Account Management")).get_by_role(
        "link", name=t("Users"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/users$"))
    page.wait_for_load_state()  # htmx is set up: clicks now make htmx requests
    expect(page.get_by_role("heading", name=t("Users"), exact=True)).to_be_visible()
    expect(user_row(page, colleague.username)).to_be_visible()
    expect(user_row(page, admin.username)).to_be_visible()

    new_username = seed.unique("grace.")
    new_email = f"{new_username}@example.com"
    dialog = page.get_by_role("dialog", name=t("Create User"))

    with step(page, problems, "step 3 (open the create dialog)"):
        page.get_by_role("button", name=t("+ Create User")).click()
        expect(dialog).to_be_visible()
        assert dialog.evaluate("node => node.matches(':modal')"), "the dialog is not modal"

    with step(page, problems, "step 4 (required fields)"):
        labels = ["First name", "Last name", "Username", "Email", "Phone", "Role", "Division",
                  "Password", "Confirm password"]
        for label in labels:
            expect(dialog.get_by_label(t(label), exact=True)).to_be_visible()
        dialog.get_by_label(t("Last name"), exact=True).fill("Hopper")
        dialog.get_by_label(t("Phone"), exact=True).fill("+62 812-3456-7890")
        dialog.get_by_label(t("Role"), exact=True).select_option("Agent")
        dialog.get_by_role("button", name=t("Create"), exact=True).click()

        for label in ["First name", "Username", "Email", "Division", "Password",
                      "Confirm password"]:
            message = t("%(label)s field is required", label=t(label))
            field = dialog.get_by_label(t(label), exact=True)
            # The message first; the field's hint (Password, Division) may follow it.
            expect(field).to_have_accessible_description(re.compile("^" + re.escape(message)))
            error = dialog.get_by_text(message, exact=True)
            expect(error).to_be_visible()
            assert error.bounding_box()["y"] > field.bounding_box()["y"], f"{message} not under"
        for label in ["Last name", "Phone"]:
            expect(dialog.get_by_text(t("%(label)s field is required", label=t(label)))) \
                .to_have_count(0)
        expect(dialog).to_be_visible()
        expect(dialog.get_by_label(t("Last name"), exact=True)).to_have_value("Hopper")
        expect(dialog.get_by_label(t("Phone"), exact=True)).to_have_value("+62 812-3456-7890")
        expect(dialog.get_by_label(t("Role"), exact=True)).to_have_value("Agent")

    popup = page.get_by_role("dialog", name=t("Please correct the following"))
    with step(page, problems, "step 5 (popup error)"):
        dialog.get_by_label(t("First name"), exact=True).fill("Grace")
        dialog.get_by_label(t("Username"), exact=True).fill(colleague.username.upper())
        dialog.get_by_label(t("Email"), exact=True).fill("grace@")
        dialog.get_by_label(t("Division"), exact=True).select_option("General")
        dialog.get_by_label(t("Password"), exact=True).fill("too short")
        dialog.get_by_label(t("Confirm password"), exact=True).fill("does not match")
        dialog.get_by_role("button", name=t("Create"), exact=True).click()

        expect(popup).to_be_visible()
        for problem in [t("Username is already taken."), t("Email is not a valid email address."),
                        t("Password must be %(min)d–%(max)d characters long.", min=12, max=128),
                        t("Password and confirmation do not match.")]:
            expect(popup.get_by_role("listitem").filter(has_text=problem)).to_have_count(1)
        popup.get_by_role("button", name=t("Close")).click()
        expect(popup).to_have_count(0)
        expect(dialog).to_be_visible()
        for label, value in [("First name", "Grace"), ("Last name", "Hopper"),
                             ("Username", colleague.username.upper()), ("Email", "grace@"),
                             ("Phone", "+62 812-3456-7890"), ("Role", "Agent")]:
            expect(dialog.get_by_label(t(label), exact=True)).to_have_value(value)
        expect(dialog.get_by_label(t("Division"), exact=True)).to_have_value(
            re.compile(r"^\d+$"))  # General, by id
        assert seed.find(colleague.username.upper()) is None

    with step(page, problems, "step 6 (create, list, search)"):
        dialog.get_by_label(t("Username"), exact=True).fill(new_username)
        dialog.get_by_label(t("Email"), exact=True).fill(new_email.upper())
        dialog.get_by_label(t("Password"), exact=True).fill("Grace's compiler, 1952!")
        dialog.get_by_label(t("Confirm password"), exact=True).fill("Grace's compiler, 1952!")
        dialog.get_by_role("button", name=t("Create"), exact=True).click()
        expect(dialog).to_have_count(0)
        expect(toast(page, t("%(name)s created", name="Grace Hopper"))).to_be_visible()
        row = user_row(page, new_username)
        expect(row).to_be_visible()
        expect(row).to_contain_text("Grace Hopper")
        expect(row).to_contain_text(new_email)  # stored in lower case
        expect(row).to_contain_text("+6281234567890")
        # The role and the status in the reader's words, cell by cell ("Agen" is in "Agent").
        expect(row.locator("td").nth(4)).to_have_text(t("Agent"))
        expect(row.locator("td").nth(5)).to_have_text("General")
        expect(row.locator("td").nth(6)).to_have_text(t("Active"))
        stored = seed.find(new_username)
        assert stored is not None and stored.email == new_email
        # Newest first: the new user is the first row.
        expect(page.locator("#user-rows").get_by_role("row").first).to_contain_text(new_username)

        search = page.get_by_role("searchbox", name=t("Search"))
        search.press_sequentially("HOPP", delay=30)
        expect(page).to_have_url(re.compile(r"[?&]q=HOPP"))
        expect(page.locator("#user-rows").get_by_role("row")).to_have_count(1)
        expect(row).to_be_visible()
        expect(user_row(page, colleague.username)).to_have_count(0)
        search.fill("")
        expect(user_row(page, colleague.username)).to_be_visible()
        for each in page.locator("#user-rows").get_by_role("row").all():
            expect(each.get_by_role("link", name=t("Edit"), exact=True)).to_have_count(1)

    row_id = row.get_attribute("id")
    editing = page.locator(f"#{row_id}")
    with step(page, problems, "step 7 (inline edit, save and cancel)"):
        row.get_by_role("link", name=t("Edit"), exact=True).click()
        first_name = editing.get_by_role("textbox", name=t("First name"))
        expect(first_name).to_have_value("Grace")
        expect(editing.get_by_role("textbox", name=t("Username"))).to_have_value(new_username)
        first_name.fill("Gracie")
        editing.get_by_role("button", name=t("Save")).click()
        expect(toast(page, t("Changes to %(name)s saved", name="Gracie Hopper"))).to_be_visible()
        expect(editing.get_by_role("textbox")).to_have_count(0)
        expect(editing).to_contain_text("Gracie Hopper")
        assert seed.find(new_username).first_name == "Gracie"

        editing.get_by_role("link", name=t("Edit"), exact=True).click()
        editing.get_by_role("textbox", name=t("First name")).fill("Not saved")
        editing.get_by_role("button", name=t("Cancel")).click()
        expect(editing.get_by_role("textbox")).to_have_count(0)
        expect(editing).to_contain_text("Gracie Hopper")
        assert seed.find(new_username).first_name == "Gracie"

    with step(page, problems, "step 8 (change password)"):
        editing.get_by_role("link", name=t("Edit"), exact=True).click()
        editing.get_by_role("button", name=t("Change Password")).click()
        password_dialog = page.get_by_role("dialog", name=t("Change Password"))
        expect(password_dialog).to_be_visible()
        password_dialog.get_by_label(t("New password"), exact=True).fill("A brand new passphrase 7")
        password_dialog.get_by_label(t("Confirm password"), exact=True).fill(
            "A brand new passphrase 7")
        password_dialog.get_by_role("button", name=t("Save")).click()
        expect(password_dialog).to_have_count(0)
        # The toast names the user (whose first name step 7 may have changed).
        expect(page.locator("#toasts").get_by_text(
            t("Password changed for %(name)s", name="Gracie Hopper"))).to_be_visible()
        assert check_password_hash(seed.find(new_username).password_hash,
                                   "A brand new passphrase 7")
        editing.get_by_role("button", name=t("Cancel")).click()
        expect(editing.get_by_role("textbox")).to_have_count(0)

    with step(page, problems, "step 9 (a Delete trash button on every row)"):
        rows = page.locator("#user-rows").get_by_role("row")
        expect(rows).to_have_count(3)
        for each in rows.all():
            # Another user's is a link with a button's role (which app.js sends through
            # htmx), one's own a disabled button that says why: a button named "Delete".
            trash = each.get_by_role("button", name=t("Delete"), exact=True)
            expect(trash).to_have_count(1)
            # drawn as a trash can (app.css)
            assert trash.evaluate("node => getComputedStyle(node, '::after').maskImage") \
                .startswith("url(")

    confirm = page.get_by_role("dialog", name=t("Are you sure want to delete this data?"))
    with step(page, problems, "step 10 (delete: cancel, then delete)"):
        editing.get_by_role("button", name=t("Delete"), exact=True).click()
        expect(confirm).to_be_visible()
        expect(confirm.get_by_role("button", name=t("Delete"), exact=True)).to_be_visible()
        confirm.get_by_role("button", name=t("Cancel")).click()
        expect(confirm).to_have_count(0)
        expect(editing).to_be_visible()
        assert seed.find(new_username) is not None

        editing.get_by_role("button", name=t("Delete"), exact=True).click()
        confirm.get_by_role("button", name=t("Delete"), exact=True).click()
        expect(confirm).to_have_count(0)
        expect(toast(page, t("%(name)s deleted", name="Gracie Hopper"))).to_be_visible()
        expect(editing).to_have_count(0)
        expect(page.locator("#user-rows").get_by_role("row")).to_have_count(2)
        expect(page.get_by_text(t("Showing %(first)s–%(last)s of %(total)s user",
                                  "Showing %(first)s–%(last)s of %(total)s users", 2,
                                  first=1, last=2, total=2))).to_be_visible()
        assert seed.find(new_username) is None
