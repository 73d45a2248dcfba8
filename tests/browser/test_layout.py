"""The users table fits a 1280-pixel-wide window, also with a row in edit mode: every
action stays visible without scrolling sideways."""

import pytest
from playwright.sync_api import Page, expect

from .live import VIEWPORT, Demo, Seed
from .states import STATES

pytestmark = pytest.mark.browser

OVERFLOW = "wrap => wrap.scrollWidth - wrap.clientWidth"


@pytest.fixture(scope="module")
def demo(live_app) -> Demo:
    return Seed(live_app).demo_account()


@pytest.mark.parametrize("state", ["users", "edit-row"])
def test_table_needs_no_sideways_scrolling(page: Page, demo, state):
    assert page.viewport_size == VIEWPORT
    STATES[state](page, demo)
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate(OVERFLOW) <= 0, f"the users table scrolls sideways ({state})"
    buttons = page.locator("#user-rows").get_by_role("button")
    expect(buttons.first).to_be_visible()
    for button in buttons.all():
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"], (
            f"{button.get_attribute('aria-label') or button.inner_text()} is off screen")


def test_a_rows_popup_error_reads_like_the_others(page: Page, problems, demo):
    """Invalid data in an inline edit opens the popup error from inside the row's actions
    cell; it must not inherit that cell's right-aligned text. Closing it keeps the edit."""
    problems.allow_status(422, "the row comes back with its errors as 422")
    STATES["edit-row"](page, demo)
    row = page.locator("#user-rows tr.editing")
    row.get_by_role("textbox", name="Email").fill("not an email")
    row.get_by_role("button", name="Save").click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup.get_by_role("listitem")).to_have_text(["Email is not a valid email address."])
    for part in (popup.get_by_role("heading"), popup.get_by_role("listitem")):
        assert part.evaluate("node => getComputedStyle(node).textAlign") in {"start", "left"}
    popup.get_by_role("button", name="Close").click()
    expect(popup).to_have_count(0)
    expect(row.get_by_role("textbox", name="Email")).to_have_value("not an email")
    expect(row.get_by_role("button", name="Save")).to_be_focused()
