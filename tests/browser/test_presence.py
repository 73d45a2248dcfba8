"""Presence in Chromium: an Agent goes Online from the header in one browser, and an Admin
watching the users list in another sees it, then Away, then Offline after the Agent logs
out, without reloading. The control works without JavaScript too, and axe finds nothing
serious in it, in English and in Indonesian."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from webapp.models import Role

from .live import LANGUAGES, VIEWPORT, Person, login, translator, watch
from .test_agents import assert_accessible, assert_not_reloaded, no_reload_marker, toast

pytestmark = pytest.mark.browser


@pytest.fixture
def other_browser(browser: Browser, live_server, server_errors):
    """A second person's browser (its own cookies), watched like the first."""
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT, locale="en-US")
    found = watch(context)
    yield context
    context.close()
    found.assert_none("in the other browser")


def presence_cell(page: Page, person: Person):
    return page.locator(f"#user-{person.id} > td.pr")


def test_an_admin_sees_an_agent_go_online_without_a_reload(page: Page, problems, seed,
                                                          other_browser, live_app,
                                                          monkeypatch):
    monkeypatch.setitem(live_app.config, "USERS_PRESENCE_POLL_SECONDS", 1)
    admin = seed.admin()
    agent = seed.user(admin.account_id, Role.AGENT, username=seed.unique("online"),
                      first_name="Olive")
    login(page, admin)
    page.goto("/users")
    expect(presence_cell(page, agent)).to_have_text("Offline")
    no_reload_marker(page)

    agent_page = other_browser.new_page()
    login(agent_page, agent)
    control = agent_page.get_by_label("Presence")
    expect(control).to_have_value("offline")
    agent_page.evaluate("() => { window.__noReload = true; }")
    control.select_option("online")
    expect(toast(agent_page, "You are Online now.")).to_be_visible()
    expect(agent_page.locator("#presence")).to_have_class("inline presence presence-online")
    assert_not_reloaded(agent_page)

    expect(presence_cell(page, agent)).to_have_text("Online", timeout=10000)
    expect(presence_cell(page, agent)).to_have_class("pr online")
    # The cell the poll put in is labelled for a card (phone width) like the rest of its row.
    expect(presence_cell(page, agent)).to_have_attribute("data-label", "Presence")

    control.select_option("away")
    expect(presence_cell(page, agent)).to_have_text("Away", timeout=10000)

    agent_page.get_by_role("button", name="Logout").click()
    expect(agent_page).to_have_url(re.compile(r"/login$"))
    expect(presence_cell(page, agent)).to_have_text("Offline", timeout=10000)
    assert_not_reloaded(page)

    # The filter reads it as the column does.
    page.get_by_label("Presence").select_option("offline")
    expect(presence_cell(page, agent)).to_have_text("Offline")
    page.get_by_label("Presence").select_option("online")
    expect(page.locator(f"#user-{agent.id}")).to_have_count(0)
    assert_not_reloaded(page)


def test_without_javascript_the_control_is_a_plain_form(browser: Browser, live_server, seed):
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT, locale="en-US",
                                  java_script_enabled=False)
    found = watch(context)
    page = context.new_page()
    agent = seed.user(seed.account(), Role.SUPERVISOR, username=seed.unique("plain"))
    login(page, agent)
    page.get_by_label("Presence").select_option("away")
    page.locator("#presence").get_by_role("button", name="Save").click()
    expect(page.locator("#toasts")).to_contain_text("You are Away now.")
    expect(page.get_by_label("Presence")).to_have_value("away")
    assert seed.find(agent.username).presence == "away"
    context.close()
    found.assert_none()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_control_is_accessible_in_both_languages(page: Page, problems, seed, language):
    t = translator(language)
    agent = seed.user(seed.account(), Role.AGENT, username=seed.unique("axe"),
                      language=language)
    login(page, agent)
    expect(page.locator("html")).to_have_attribute("lang", language)
    control = page.get_by_label(t("Presence"), exact=True).first
    expect(control).to_be_visible()
    expect(control.locator("option:checked")).to_have_text(t("Offline"))
    assert_accessible(page)
    control.select_option("away")
    expect(toast(page, t("You are %(presence)s now.", presence=t("Away")))).to_be_visible()
    expect(page.locator("#presence")).to_have_class("inline presence presence-away")
    assert_accessible(page)
