"""Settings → Integrations in Chromium, as an Admin uses it: a token created in the popup,
shown once (copied to the clipboard), gone when the dialog closes, then revoked through the
confirm popup; none of it reloads the page."""

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from webapp.integrations.tokens import find_token

from .live import login
from .test_agents import assert_accessible, assert_not_reloaded, no_reload_marker, toast

pytestmark = pytest.mark.browser

VALIDATION = "the app answers a refused name as 422 with the form and its error"


def token_row(page: Page, name: str):
    return page.locator("#api-token-rows > tr").filter(
        has=page.get_by_role("cell", name=name, exact=True))


def test_create_a_token_see_it_once_and_revoke_it(page: Page, context: BrowserContext,
                                                  problems, seed, live_app):
    problems.allow_status(422, VALIDATION)
    admin = seed.admin()
    login(page, admin)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    expect(page.get_by_text('No API tokens yet. Use "+ Create token"')).to_be_visible()
    page.wait_for_load_state()
    no_reload_marker(page)

    page.get_by_role("button", name="+ Create token").click()
    dialog = page.get_by_role("dialog", name="Create token")
    name = dialog.get_by_label("Name", exact=True)
    expect(name).to_be_focused()
    dialog.get_by_role("button", name="Create").click()  # nothing typed
    expect(dialog.get_by_text("Name field is required")).to_be_visible()
    expect(name).to_be_focused()
    name.fill("Qiscus\tOmnichannel")  # a tab, pasted along with the name
    dialog.get_by_role("button", name="Create").click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup).to_contain_text("Name must not contain control characters")
    popup.get_by_role("button", name="Close").click()
    expect(name).to_be_focused()
    expect(name).to_have_value("Qiscus\tOmnichannel")  # what was typed stays

    name.fill("Qiscus Omnichannel")
    dialog.get_by_role("button", name="Create").click()
    created = page.get_by_role("dialog", name="Token Qiscus Omnichannel created")
    field = created.get_by_label("Token", exact=True)
    expect(field).to_be_focused()
    expect(field).to_have_attribute("readonly", "")
    token = field.input_value()
    assert re.fullmatch(r"oam_[A-Za-z0-9_-]{43}", token)
    assert page.evaluate("() => getSelection().toString() || document.activeElement.value"
                         ".slice(document.activeElement.selectionStart, "
                         "document.activeElement.selectionEnd)") == token  # selected whole
    expect(created).to_contain_text("It will not be shown again.")

    context.grant_permissions(["clipboard-read", "clipboard-write"])
    created.get_by_role("button", name="Copy").click()
    expect(toast(page, "Token copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == token

    # Behind the dialog the list already has the new row, with the token's first characters.
    row = token_row(page, "Qiscus Omnichannel")
    expect(row).to_contain_text(token[:10] + "…")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("Never")
    created.get_by_role("button", name="Done").click()
    expect(created).to_be_hidden()
    expect(page.locator("#new-api-token")).to_have_count(0)  # the dialog is removed
    assert token not in page.content()  # shown once: closed, it is gone from the page
    expect(page.get_by_role("button", name="+ Create token")).to_be_focused()

    row.get_by_role("button", name="Revoke Qiscus Omnichannel").click()
    confirm = page.get_by_role("dialog", name="Revoke the token Qiscus Omnichannel?")
    expect(confirm).to_contain_text(token[:10] + "…")
    confirm.get_by_role("button", name="Revoke", exact=True).click()
    expect(confirm).to_be_hidden()
    expect(toast(page, "Token Qiscus Omnichannel revoked")).to_be_visible()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke Qiscus Omnichannel")).to_have_count(0)
    assert_not_reloaded(page)
    with live_app.app_context():
        assert find_token(token) is None

    page.reload()
    expect(token_row(page, "Qiscus Omnichannel")).to_contain_text("Revoked")
    assert token not in page.content()
    assert_accessible(page)
