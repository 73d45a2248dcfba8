"""Agent Management in Chromium, as an Admin uses it: divisions created, renamed and deleted
with their members moved, the allocation switches' exclusivity popup, Workloads set in
place; none of it reloads the page. axe checks each screen."""

import re

import pytest
from playwright.sync_api import Page, expect

from webapp.models import Role

from .live import AXE_SOURCE, LANGUAGES, login, translator
from .test_accessibility import BLOCKING, axe_violations

pytestmark = pytest.mark.browser

VALIDATION = "the app answers a refused change as 422 with the form and its reason"


def no_reload_marker(page: Page) -> None:
    page.evaluate("() => { window.__noReload = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__noReload") is True, "the page reloaded"


def toast(page: Page, text: str):
    return page.locator("#toasts").get_by_text(text)


def division_row(page: Page, name: str):
    return page.locator("#division-rows > tr").filter(
        has=page.get_by_role("cell", name=name, exact=True))


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page, AXE_SOURCE.read_text(encoding="utf-8"))
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING]
    assert not blocking, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in blocking)


def test_divisions_create_rename_and_delete_moving_the_members(page: Page, problems, seed):
    problems.allow_status(422, VALIDATION)
    admin = seed.admin()
    seed.user(admin.account_id, Role.AGENT, username=seed.unique("mover"))
    login(page, admin)
    page.get_by_role("link", name="Division").click()
    expect(page.get_by_role("heading", name="Division", exact=True)).to_be_visible()
    assert_accessible(page)
    no_reload_marker(page)

    # Create, with a channel.
    page.get_by_role("button", name="+ Create Division").click()
    dialog = page.get_by_role("dialog", name="Create Division")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    dialog.get_by_label("Name").fill("general")
    dialog.get_by_role("button", name="Create").click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup).to_contain_text("A division with this name already exists.")
    popup.get_by_role("button", name="Close").click()
    dialog.get_by_label("Name").fill("Support")
    dialog.get_by_label("WhatsApp").check()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    expect(toast(page, "Division Support created")).to_be_visible()
    expect(division_row(page, "Support")).to_contain_text("WhatsApp")

    # Rename and add a channel, in place.
    division_row(page, "Support").get_by_role("button", name="Edit Support").click()
    editing = page.locator("#division-rows > tr.editing")
    editing.get_by_label("Name").fill("Support Team")
    editing.get_by_label("Email").check()
    editing.get_by_role("button", name="Save").click()
    expect(toast(page, "Division Support Team saved")).to_be_visible()
    expect(division_row(page, "Support Team")).to_contain_text("WhatsApp, Email")

    # Delete General, which has a member: the popup says so and moves them.
    general = division_row(page, "General")
    expect(general).to_contain_text("1 member")
    general.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Are you sure want to delete this data?")
    expect(confirm).to_contain_text("has 1 member")
    assert_accessible(page)
    confirm.get_by_label("Move the members to").select_option(label="Support Team")
    confirm.get_by_role("button", name="Move and delete").click()
    expect(confirm).to_be_hidden()
    expect(toast(page, "Division General deleted; its members moved to Support Team")) \
        .to_be_visible()
    expect(division_row(page, "General")).to_have_count(0)
    expect(division_row(page, "Support Team")).to_contain_text("1 member")
    assert_not_reloaded(page)


def test_auto_and_custom_allocation_refuse_each_other_in_a_popup(page: Page, problems, seed):
    problems.allow_status(422, VALIDATION)
    admin = seed.admin()
    login(page, admin)
    page.get_by_role("link", name="Agent Allocation").click()
    auto = page.get_by_role("switch", name="Auto agent allocation")
    custom = page.get_by_role("switch", name="Custom agent allocation")
    expect(auto).to_be_checked()
    expect(custom).not_to_be_checked()
    assert_accessible(page)
    no_reload_marker(page)

    custom.click()
    popup = page.get_by_role("dialog", name="This setting cannot be saved")
    expect(popup).to_contain_text("while Auto agent allocation is on")
    assert_accessible(page)
    popup.get_by_role("button", name="Close").click()
    expect(popup).to_be_hidden()
    expect(custom).not_to_be_checked()

    auto.click()
    expect(toast(page, "Agent Allocation saved")).to_be_visible()
    expect(auto).not_to_be_checked()
    custom.click()
    expect(page.locator("#toasts .toast")).to_have_count(2)
    expect(custom).to_be_checked()
    auto.click()
    expect(page.get_by_role("dialog", name="This setting cannot be saved")) \
        .to_contain_text("while Custom agent allocation is on")
    page.get_by_role("button", name="Close").click()
    expect(auto).not_to_be_checked()
    assert_not_reloaded(page)

    page.reload()
    expect(page.get_by_role("switch", name="Custom agent allocation")).to_be_checked()
    expect(page.get_by_role("switch", name="Auto agent allocation")).not_to_be_checked()


def test_workload_default_and_an_agents_own(page: Page, problems, seed):
    problems.allow_status(422, VALIDATION)
    admin = seed.admin()
    agent = seed.user(admin.account_id, Role.AGENT, username=seed.unique("busy"),
                      first_name="Budi", last_name="Busy")
    login(page, admin)
    page.get_by_role("link", name="Workload").click()
    expect(page.get_by_role("heading", name="Workload", exact=True)).to_be_visible()
    assert_accessible(page)
    no_reload_marker(page)
    row = page.locator(f"#workload-{agent.id}")
    expect(row).to_contain_text("Default (5)")

    page.get_by_label("Default Workload").fill("7")
    page.get_by_role("button", name="Save").click()
    expect(toast(page, "Workload saved")).to_be_visible()
    expect(row).to_contain_text("Default (7)")  # the list follows the new default

    row.get_by_role("button", name=f"Edit the Workload of {agent.username}").click()
    editing = page.locator(f"#workload-{agent.id}.editing")
    editing.get_by_label("Workload").fill("101")
    editing.get_by_role("button", name="Save").click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    expect(popup).to_contain_text("Workload must be a whole number from 1 to 100.")
    assert_accessible(page)
    popup.get_by_role("button", name="Close").click()
    editing.get_by_label("Workload").fill("12")
    editing.get_by_role("button", name="Save").click()
    expect(toast(page, "Workload of Budi Busy saved")).to_be_visible()
    expect(page.locator(f"#workload-{agent.id}")).to_have_text(re.compile(r"\b12\b"))
    assert_not_reloaded(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_agent_management_screen_is_accessible_in_both_languages(page: Page, problems,
                                                                        seed, language):
    """axe on each screen and dialog of Agent Management, read in English and in
    Indonesian (longer words, other names for the same controls)."""
    problems.allow_status(422, VALIDATION)
    t = translator(language)
    admin = seed.user(seed.account(divisions=("Penjualan",)), Role.ADMIN, language=language)
    seed.user(admin.account_id, Role.AGENT, username=seed.unique("member"))
    login(page, admin)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("link", name=t("Division"), exact=True).click()
    assert_accessible(page)
    page.get_by_role("button", name=t("+ Create Division")).click()
    dialog = page.get_by_role("dialog", name=t("Create Division"))
    expect(dialog).to_be_visible()
    assert_accessible(page)
    dialog.get_by_role("button", name=t("Cancel")).click()
    expect(dialog).to_be_hidden()
    general = division_row(page, "General")
    general.get_by_role("button", name=t("Delete")).click()
    popup = page.get_by_role("dialog", name=t("Are you sure want to delete this data?"))
    expect(popup.get_by_label(t("Move the members to"))).to_be_visible()
    assert_accessible(page)
    popup.get_by_role("button", name=t("Cancel")).click()
    for entry in ("Agent Allocation", "Workload"):
        page.get_by_role("link", name=t(entry), exact=True).click()
        expect(page.get_by_role("heading", name=t(entry), exact=True)).to_be_visible()
        assert_accessible(page)
