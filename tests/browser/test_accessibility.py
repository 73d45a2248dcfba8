"""axe-core (npm, pinned in package.json) on every screen: no "serious" or "critical" violation.

axe is evaluated through the DevTools protocol (page.evaluate), which the page's strict
Content-Security-Policy does not govern, so the CSP stays on while axe checks the page.
"""

import pytest
from playwright.sync_api import Page, expect

from .live import AXE_SOURCE, LANGUAGES, Demo, Seed
from .states import ANSWERS_422, STATES

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}

RUN_AXE = """async () => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                    "best-practice"]},
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id, impact: violation.impact, help: violation.help,
    nodes: violation.nodes.map((node) => node.target.join(" ") + " — " + node.failureSummary),
  }));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    assert AXE_SOURCE.is_file(), f"{AXE_SOURCE} is missing: run `make install` (npm ci)"
    return AXE_SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo(live_app) -> Demo:
    return Seed(live_app).demo_account()


@pytest.fixture(scope="module", params=LANGUAGES)
def team(live_app, request) -> Demo:
    """A demo team that reads the app in each language in turn: axe checks both."""
    return Seed(live_app).demo_account(language=request.param)


def axe_violations(page: Page, source: str) -> list[dict]:
    page.evaluate(source)
    assert page.evaluate("typeof axe.run") == "function", "axe-core did not load"
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("state", list(STATES))
def test_no_serious_or_critical_violations(page: Page, problems, team, axe_source, state):
    if state in ANSWERS_422:
        problems.allow_status(422, "the form comes back with its errors as 422")
    STATES[state](page, team)
    expect(page.locator("html")).to_have_attribute("lang", team.language)
    violations = axe_violations(page, axe_source)
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING]
    assert not blocking, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in blocking)



def test_axe_sees_inside_an_open_dialog(page: Page, problems, demo, axe_source):
    """The check can fail: a nameless button put into the open modal dialog is reported."""
    STATES["password-dialog"](page, demo)
    page.get_by_role("dialog", name="Change Password").evaluate(
        "dialog => dialog.querySelector('footer').append(document.createElement('button'))")
    violations = axe_violations(page, axe_source)
    assert [(v["id"], v["impact"]) for v in violations] == [("button-name", "critical")]


# -- Activity (appended by the Activity work of issue 10) --------------------------------------

def test_activity_with_the_person_picker_open_and_filters_applied(page: Page, problems, demo,
                                                                  axe_source):
    """The Activity log twice: while the person picker lists matches, and filtered by a
    person and an action (the "Showing the activity of …" line and the narrowed list)."""
    # Imported here, so that this appended test stands on its own in a file others edit too.
    from playwright.sync_api import expect

    from .live import login

    login(page, demo.admin)
    page.goto("/activity")
    page.get_by_role("searchbox", name="Person").press_sequentially(demo.admin.first_name)
    match = page.locator("#activity-people").get_by_role("link").first
    expect(match).to_be_visible()
    violations = axe_violations(page, axe_source)
    assert not [v for v in violations if v["impact"] in BLOCKING], violations

    match.click()
    expect(page.get_by_text("Showing the activity of")).to_be_visible()
    page.get_by_label("Action", exact=True).select_option(label="Login")
    expect(page.get_by_label("Action", exact=True)).to_have_value("login")
    # The list dims while it loads; axe would measure the fading colours.
    expect(page.locator("#activity-list")).to_have_css("opacity", "1")
    violations = axe_violations(page, axe_source)
    assert not [v for v in violations if v["impact"] in BLOCKING], violations


def test_password_dialog_with_errors_beside_its_fields(page: Page, problems, demo,
                                                       axe_source):
    """The change-password dialog once its popup error is closed: each problem under its
    field, the password rules as the field's hint."""
    problems.allow_status(422, "the form comes back with its errors as 422")
    STATES["password-dialog"](page, demo)
    dialog = page.get_by_role("dialog", name="Change Password")
    dialog.get_by_label("New password").fill("short")
    dialog.get_by_label("Confirm password").fill("not the same")
    dialog.get_by_role("button", name="Save").click()
    popup = page.get_by_role("dialog", name="Please correct the following")
    popup.get_by_role("button", name="Close").click()
    expect(dialog.get_by_label("New password")).to_be_focused()
    violations = axe_violations(page, axe_source)
    assert not [v for v in violations if v["impact"] in BLOCKING], violations


# -- Settings → Integrations (appended by the Integrations work of issue 13) --------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_integrations_screens_in_both_languages(page: Page, problems, seed, axe_source,
                                                language):
    """The API tokens list (an active and a revoked token), the create popup with its error,
    the new token shown once, and the revoke confirm popup, read in English and Indonesian."""
    # Imported here, so that this appended test stands on its own in a file others edit too.
    from webapp.models import Role

    from .live import login, translator

    problems.allow_status(422, "the form comes back with its errors as 422")
    t = translator(language)

    def check() -> None:
        violations = axe_violations(page, axe_source)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, "\n".join(
            f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in blocking)

    admin = seed.user(seed.account(), Role.ADMIN, language=language)
    login(page, admin)
    page.get_by_role("link", name=t("API tokens"), exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", name=t("Integrations"), exact=True)).to_be_visible()
    check()  # the empty list

    for name in ("Platform lama", "Platform obrolan"):
        page.get_by_role("button", name=t("+ Create token")).click()
        dialog = page.get_by_role("dialog", name=t("Create token"))
        dialog.get_by_label(t("Name"), exact=True).fill(name)
        dialog.get_by_role("button", name=t("Create"), exact=True).click()
        created = page.get_by_role("dialog", name=t("Token %(name)s created", name=name))
        expect(created.get_by_label(t("Token"), exact=True)).to_be_focused()
        check()  # the token shown once, its Copy button and the warning
        created.get_by_role("button", name=t("Done")).click()
        expect(created).to_be_hidden()

    page.get_by_role("button", name=t("Revoke %(name)s", name="Platform lama")).click()
    confirm = page.get_by_role("dialog", name=t("Revoke the token %(name)s?",
                                                name="Platform lama"))
    expect(confirm).to_be_visible()
    check()
    confirm.get_by_role("button", name=t("Revoke"), exact=True).click()
    expect(confirm).to_be_hidden()
    expect(page.locator("#api-token-rows").get_by_text(t("Revoked"), exact=True)) \
        .to_be_visible()
    check()  # an active and a revoked token

    page.get_by_role("button", name=t("+ Create token")).click()
    dialog = page.get_by_role("dialog", name=t("Create token"))
    dialog.get_by_role("button", name=t("Create"), exact=True).click()
    name_field = dialog.get_by_label(t("Name"), exact=True)
    expect(name_field).to_have_attribute("aria-invalid", "true")
    expect(name_field).to_be_focused()
    check()  # the form with its error under the field


# -- My chats and Monitoring (appended by the screens work of issue 14) ---------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_my_chats_and_monitoring_in_both_languages(page: Page, problems, seed, live_app,
                                                   axe_source, language):
    """My chats with chats and its transfer dialog; Monitoring with a queue, open and
    flagged chats and the team, its assign dialog, the confirm popup past a Workload and a
    chat's history: in English and Indonesian."""
    # Imported here, so that this appended test stands on its own in a file others edit too.
    from webapp.chats import allocator
    from webapp.chats.allocator import Actor
    from webapp.database import write_transaction
    from webapp.extensions import db
    from webapp.models import Account, ActorKind, AgentWorkload, Chat, Presence, Role, User
    from webapp.presence import service as presence

    from .live import login, translator

    problems.allow_status(409, "past the Workload: the confirm popup")
    t = translator(language)

    def check() -> None:
        # Lists dim while they load; axe would measure the fading colours.
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page, axe_source)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, "\n".join(
            f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in blocking)

    account_id = seed.account()
    agent = seed.user(account_id, Role.AGENT, username=seed.unique("dewi"), first_name="Dewi",
                      last_name="Lestari", language=language)
    other = seed.user(account_id, Role.AGENT, username=seed.unique("agus"), first_name="Agus",
                      last_name="Pratama", language=language)
    supervisor = seed.user(account_id, Role.SUPERVISOR, username=seed.unique("rina"),
                           first_name="Rina", last_name="Wijaya", language=language)
    platform = Actor(ActorKind.API, None, "platform")
    with live_app.app_context():
        with write_transaction():
            db.session.get(Account, account_id).agent_can_transfer = True
            db.session.add(AgentWorkload(user_id=agent.id, max_chats=2))
            db.session.add(AgentWorkload(user_id=other.id, max_chats=1))
        for person in (agent, other):
            presence.set_presence(db.session.get(User, person.id), Presence.ONLINE)
        for number, customer in enumerate(("Ani", "Bayu", "Citra", "Dodi")):
            allocator.receive_chat(account_id, channel="whatsapp",
                                   external_id=seed.unique(f"wa-{number}-"),
                                   customer_name=customer, division_id=None, actor=platform)
        with write_transaction():
            flagged = db.session.scalar(db.select(Chat).where(Chat.agent_id == agent.id))
            flagged.idle_flagged = True
            flagged.customer_waiting_since = flagged.queued_at

    login(page, agent)
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#my-chat-rows > tr")).to_have_count(2)
    check()
    page.get_by_role("button", name=t("Transfer (%(customer)s)", customer="Ani")).click()
    transfer = page.get_by_role("dialog", name=t("Transfer the chat with %(customer)s",
                                                 customer="Ani"))
    expect(transfer).to_be_visible()
    check()
    transfer.get_by_role("button", name=t("Cancel")).click()

    page.context.clear_cookies()  # a browser of the Supervisor's own: the login in English
    login(page, supervisor)
    page.get_by_role("link", name=t("Monitoring")).click()
    expect(page.locator("#queue-rows > tr")).to_have_count(1)
    check()
    page.get_by_role("button", name=t("Assign (%(customer)s)", customer="Dodi")).click()
    dialog = page.get_by_role("dialog", name=t("Assign the chat with %(customer)s",
                                               customer="Dodi"))
    dialog.get_by_label(t("Assign to")).select_option(str(other.id))
    check()
    dialog.get_by_role("button", name=t("Assign"), exact=True).click()
    confirm = page.get_by_role("dialog", name=t("Assign past the Workload?"))
    expect(confirm).to_be_visible()
    check()
    confirm.get_by_role("button", name=t("Cancel")).click()
    page.get_by_role("button", name=t("Why? (%(customer)s)", customer="Ani")).first.click()
    expect(page.get_by_role("dialog", name=t("Why? The chat with %(customer)s",
                                             customer="Ani"))).to_be_visible()
    check()
