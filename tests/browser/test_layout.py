"""Nothing is cut off (issue 10, item 1): with long, realistic names and emails, every row
action is in view without scrolling sideways at 1280, 1366 and 1920 pixels wide, in display
and in edit mode; long values are cut short in their cells with the whole text on hover and
for screen readers; at phone width each user is a card with its actions in view."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from webapp.models import Role

from .live import LANGUAGES, Seed, login, translator

pytestmark = pytest.mark.browser

LAPTOPS = [{"width": 1280, "height": 720}, {"width": 1366, "height": 768},
           {"width": 1920, "height": 1080}]
PHONE = {"width": 390, "height": 844}
# The columns, in order: a card names each value with its column's heading (but the name).
COLUMNS = ("Name", "Username", "Email", "Phone", "Role", "Division", "Status", "Presence",
           "Created")

LONG_NAME = "Raden Ajeng Kartini Setyaningrum-Wijayakusuma"
LONG_EMAIL = "kartini.setyaningrum.wijayakusuma@pt-sumber-rejeki-abadi.co.id"
LONG_DIVISION = "Layanan Pelanggan Jabodetabek dan Banten"

# What an admin of a real team sees: long Indonesian names, company emails, a long division.
PEOPLE = [
    ("Raden Ajeng Kartini", "Setyaningrum-Wijayakusuma", "kartini.setyaningrum.wk",
     LONG_EMAIL, Role.SUPERVISOR, LONG_DIVISION, "+6281234567890"),
    ("Muhammad Rizky Pratama", "Adiwijaya Kusumanegara", "rizky.adiwijaya.kusumanegara",
     "muhammad.rizky.adiwijaya.kusumanegara@sumber-rejeki-abadi.co.id", Role.AGENT,
     LONG_DIVISION, "+6285712345678"),
    ("Christina Margaretha", "Simanjuntak-Hutapea", "christina.simanjuntak",
     "christina.margaretha.simanjuntak@layanan-pelanggan.example.co.id", Role.AGENT,
     "General", "+6221555012345"),
    ("Bambang", "Susilo", "bambang.s", "bambang@ptsra.co.id", Role.AGENT, "General", ""),
]


@pytest.fixture(scope="module", params=LANGUAGES)
def team(live_app, request):
    """An account whose Admin has a long name too, with PEOPLE in it: (the Admin, PEOPLE,
    the team's words, its long email). Made once per language, which the Admin reads the
    app in; no test here changes it. Indonesian labels are longer than English ones: the
    layout must hold in both."""
    language = request.param
    seed = Seed(live_app)
    admin = seed.user(seed.account(divisions=(LONG_DIVISION,)), Role.ADMIN,
                      first_name="Siti Nurhaliza", last_name="Rahmawati Kusumawardhani",
                      language=language)
    # Emails are unique in the installation: the second team's get a prefix (long_row finds
    # the long one either way).
    prefix = "" if language == LANGUAGES[0] else f"{language}."
    made = [seed.user(admin.account_id, role, username=seed.unique(username[:28]),
                      first_name=first, last_name=last, email=prefix + email,
                      division=division, phone=phone)
            for first, last, username, email, role, division, phone in PEOPLE]
    return admin, made, translator(language), prefix + LONG_EMAIL


def open_list(page: Page, admin, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    login(page, admin)
    page.goto("/users")
    page.wait_for_load_state()  # htmx is set up
    expect(page.locator("#user-rows > tr")).to_have_count(len(PEOPLE) + 1)


def long_row(page: Page) -> Locator:
    return page.locator("#user-rows > tr").filter(has_text=LONG_EMAIL).first


def edit_long_row(page: Page, t) -> None:
    long_row(page).get_by_role("link", name=t("Edit"), exact=True).click()


def actions_of(rows: Locator) -> Locator:
    """The actions in the rows' last cells: Edit and Delete; Save, Cancel, Change Password and
    View activity on a row being edited (a popup of its, if open, not counted)."""
    return rows.locator(":scope > td:last-child > :is(a, button),"
                        " :scope > td:last-child > form > button")


def row_actions(page: Page) -> Locator:
    """Every action of every row."""
    return actions_of(page.locator("#user-rows > tr"))


def assert_no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    wrap = page.locator(".users-table-wrap")
    assert wrap.evaluate("wrap => wrap.scrollWidth - wrap.clientWidth") <= 0, \
        "the users table is wider than its place"


def assert_in_view(page: Page, control: Locator, within: dict | None = None) -> None:
    """The control is shown, and its box lies inside the viewport (and `within`)."""
    expect(control).to_be_visible()
    box = control.bounding_box()
    width = page.viewport_size["width"]
    name = control.get_attribute("aria-label") or control.inner_text()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, \
        f"{name!r} is off screen: {box} in {width}px"
    if within:
        assert within["x"] - 0.5 <= box["x"] and \
            box["x"] + box["width"] <= within["x"] + within["width"] + 0.5, \
            f"{name!r} sticks out of the table: {box} beyond {within}"


@pytest.mark.parametrize("viewport", LAPTOPS, ids=lambda size: f"{size['width']}")
@pytest.mark.parametrize("mode", ["display", "edit"])
def test_every_row_action_is_in_view(page: Page, team, viewport, mode):
    admin, people, t, long_email = team
    open_list(page, admin, viewport)
    if mode == "edit":
        edit_long_row(page, t)
        expect(page.locator("#user-rows tr.editing").get_by_role("button", name=t("Save"))) \
            .to_be_visible()
    assert_no_sideways_scrolling(page)
    table = page.locator(".users-table").bounding_box()
    actions = row_actions(page)
    # Two each (the Admin's too), or the edited row's four instead of two.
    expected = (len(people) + 1) * 2 + (2 if mode == "edit" else 0)
    expect(actions).to_have_count(expected)
    for action in actions.all():
        assert_in_view(page, action, within=table)


@pytest.mark.parametrize("viewport", LAPTOPS[:2], ids=lambda size: f"{size['width']}")
def test_usernames_and_emails_are_shown_whole(page: Page, team, viewport):
    """Not cut short, not only on hover: each wraps inside its cell, all of it in view."""
    admin, people, t, long_email = team
    open_list(page, admin, viewport)
    for person in people:
        row = page.locator(f"#user-{person.id}")
        for text in (person.username, person.email):
            cell = row.get_by_role("cell", name=text, exact=True)
            expect(cell).to_have_text(text)
            assert cell.evaluate(
                "cell => cell.scrollWidth <= cell.clientWidth"
                " && cell.scrollHeight <= cell.clientHeight"
                " && getComputedStyle(cell).textOverflow !== 'ellipsis'"), f"{text} is cut"


def test_long_names_are_cut_short_with_the_whole_text_on_hover(page: Page, team):
    admin, _, t, long_email = team
    open_list(page, admin, LAPTOPS[0])
    row = long_row(page)
    for text in (LONG_NAME, LONG_DIVISION):
        cell = row.get_by_role("cell", name=text, exact=True)
        assert cell.evaluate("cell => cell.scrollWidth > cell.clientWidth"), f"{text} fits?"
        assert cell.evaluate("cell => getComputedStyle(cell).textOverflow") == "ellipsis"
        cell.hover()
        expect(cell).to_have_attribute("title", text)
        expect(cell).to_have_text(text)  # whole in the page, for screen readers
    # A value shown whole needs no hover text.
    whole = row.get_by_role("cell", name="+6281234567890", exact=True)
    whole.hover()
    expect(whole).not_to_have_attribute("title", re.compile(".*"))


def test_at_phone_width_each_user_is_a_card_with_its_actions(page: Page, team):
    admin, people, t, long_email = team
    open_list(page, admin, PHONE)
    assert_no_sideways_scrolling(page)
    expect(page.locator(".users-table thead")).to_be_hidden()
    rows = page.locator("#user-rows > tr").all()
    boxes = [row.bounding_box() for row in rows]
    for above, below in zip(boxes, boxes[1:], strict=False):
        assert below["y"] >= above["y"] + above["height"], "cards overlap or sit side by side"
    width = PHONE["width"]
    for row, box in zip(rows, boxes, strict=True):
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["width"] > width * 0.8, "a card spans the screen"
        assert row.evaluate("row => getComputedStyle(row).display") == "block"
        actions = actions_of(row)
        expect(actions).to_have_count(2)  # Edit and Delete
        for action in actions.all():
            assert_in_view(page, action)
    # Each value says what it is, the long ones wrap instead of being cut.
    for row in rows:
        expect_card_labels(row, t)
    email = long_row(page).get_by_role("cell", name=f"{t('Email')} {long_email}")
    assert email.evaluate("cell => getComputedStyle(cell, '::before').content") == f'"{t("Email")}"'
    assert email.evaluate("cell => cell.scrollWidth <= cell.clientWidth")


def expect_card_labels(row: Locator, t) -> None:
    """Each value of a card shows its column's heading before it, in the reader's language."""
    cells = row.locator(":scope > td")
    expect(cells).to_have_count(len(COLUMNS) + 1)
    for index, column in enumerate(COLUMNS[1:], start=1):
        cell = cells.nth(index)
        expect(cell).to_have_attribute("data-label", t(column))
        if cell.is_visible():  # a card leaves out an empty value (no phone)
            assert cell.evaluate("cell => getComputedStyle(cell, '::before').content") \
                == f'"{t(column)}"'


def test_at_phone_width_a_card_edits_in_place(page: Page, team):
    admin, people, t, long_email = team
    open_list(page, admin, PHONE)
    edit_long_row(page, t)
    editing = page.locator("#user-rows tr.editing")
    for name in ("Save", "Cancel", "Change Password"):
        assert_in_view(page, editing.get_by_role("button", name=t(name)))
    assert_in_view(page, editing.get_by_role("link", name=t("View activity")))
    expect(editing.get_by_role("textbox", name=t("Email"))).to_have_value(long_email)
    assert_no_sideways_scrolling(page)
    # Cancelled, it is a card again, its values labelled as before (the row htmx brought
    # back is labelled too).
    row_id = editing.get_attribute("id")
    editing.get_by_role("button", name=t("Cancel")).click()
    row = page.locator(f"#{row_id}")
    expect(row.get_by_role("textbox")).to_have_count(0)
    expect_card_labels(row, t)
    assert_no_sideways_scrolling(page)


def test_at_phone_width_a_searched_list_is_labelled_too(page: Page, team):
    admin, people, t, long_email = team
    open_list(page, admin, PHONE)
    page.get_by_role("searchbox", name=t("Search")).fill(people[1].username)
    rows = page.locator("#user-rows > tr")
    expect(rows).to_have_count(1)
    expect_card_labels(rows.first, t)


def test_a_rows_popup_error_reads_like_the_others(page: Page, problems, team):
    """Invalid data in an inline edit opens the popup error from inside the row's actions
    cell; it must not inherit that cell's right-aligned, cut-short text. Closing it keeps
    the edit."""
    problems.allow_status(422, "the row comes back with its errors as 422")
    admin, people, t, long_email = team
    open_list(page, admin, LAPTOPS[1])
    edit_long_row(page, t)
    row = page.locator("#user-rows tr.editing")
    row.get_by_role("textbox", name=t("Email")).fill("not an email")
    row.get_by_role("button", name=t("Save")).click()
    popup = page.get_by_role("dialog", name=t("Please correct the following"))
    expect(popup.get_by_role("listitem")).to_have_text([t("Email is not a valid email address.")])
    for part in (popup.get_by_role("heading"), popup.get_by_role("listitem")):
        assert part.evaluate("node => getComputedStyle(node).textAlign") in {"start", "left"}
        assert part.evaluate("node => getComputedStyle(node).whiteSpace") == "normal"
    popup.get_by_role("button", name=t("Close")).click()
    expect(popup).to_have_count(0)
    expect(row.get_by_role("textbox", name=t("Email"))).to_have_value("not an email")
