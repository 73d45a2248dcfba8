"""My chats and Monitoring in Chromium: an agent goes Online and a chat sent to the allocator
appears on their My chats without a reload; Get New Chat; a Supervisor transfers a chat on
Monitoring (past a Workload only through the confirm popup) and reads why it went where it
went. The pages poll every second here (CHATS_POLL_SECONDS), so nothing waits long."""

import re

import pytest
from playwright.sync_api import Page, expect

from webapp.chats import allocator
from webapp.chats.allocator import Actor
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Account, ActorKind, AgentWorkload, Presence, Role, User
from webapp.presence import service as presence

from .live import login
from .test_agents import assert_not_reloaded, no_reload_marker, toast

pytestmark = pytest.mark.browser

PLATFORM = Actor(ActorKind.API, None, "platform")


@pytest.fixture(autouse=True)
def fast_polls(live_app, monkeypatch):
    monkeypatch.setitem(live_app.config, "CHATS_POLL_SECONDS", 1)


def send_chat(live_app, account_id: int, external_id: str, customer: str) -> int:
    """A chat the platform tells the allocator about, as the API would."""
    with live_app.app_context():
        chat, _created = allocator.receive_chat(
            account_id, channel="whatsapp", external_id=external_id, customer_name=customer,
            division_id=None, actor=PLATFORM)
        return chat.id


def set_account(live_app, account_id: int, **switches) -> None:
    with live_app.app_context(), write_transaction():
        account = db.session.get(Account, account_id)
        for name, value in switches.items():
            setattr(account, name, value)


def go_online(live_app, *people, workload: int | None = None) -> None:
    """People Online as if they had chosen it in their browser just now."""
    with live_app.app_context():
        for person in people:
            user = db.session.get(User, person.id)
            if workload is not None:
                with write_transaction():
                    db.session.add(AgentWorkload(user_id=user.id, max_chats=workload))
            presence.set_presence(user, Presence.ONLINE)


def my_chat_rows(page: Page):
    return page.locator("#my-chat-rows > tr")


def test_an_agent_goes_online_and_receives_a_chat_without_a_reload(page: Page, problems, seed,
                                                                   live_app):
    account_id = seed.account()
    agent = seed.user(account_id, Role.AGENT, username=seed.unique("dewi"), first_name="Dewi")
    login(page, agent)  # lands on My chats
    expect(page.get_by_role("heading", name="My chats", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="My chats")).to_have_attribute("aria-current", "page")
    expect(page.locator("#my-chats")).to_contain_text("You hold no chats right now.")
    expect(page.locator("#my-chats")).to_contain_text("You are not Online")
    page.wait_for_load_state()
    no_reload_marker(page)

    page.get_by_label("Presence").select_option("online")
    expect(toast(page, "You are Online now.")).to_be_visible()
    expect(page.locator("#my-chats")).not_to_contain_text("You are not Online")

    send_chat(live_app, account_id, seed.unique("wa-"), "Ani Wijaya")
    row = my_chat_rows(page).filter(has_text="Ani Wijaya")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("WhatsApp")
    expect(row.locator("time").first).to_have_text(re.compile(r"^\d+ (sec|min)$"))
    assert_not_reloaded(page)


def test_get_new_chat_takes_the_oldest_waiting_chat_then_says_none_is_left(page: Page,
                                                                           problems, seed,
                                                                           live_app):
    account_id = seed.account()
    set_account(live_app, account_id, auto_allocation=False, agent_can_take_over=True)
    agent = seed.user(account_id, Role.AGENT, username=seed.unique("agus"))
    for number, customer in enumerate(("Bayu Older", "Citra Newer")):
        send_chat(live_app, account_id, seed.unique(f"wa-{number}-"), customer)
    login(page, agent)
    go_online(live_app, agent)
    page.reload()
    page.wait_for_load_state()
    no_reload_marker(page)
    take = page.get_by_role("button", name="Get New Chat")

    take.click()
    expect(toast(page, "New chat: Bayu Older (WhatsApp)")).to_be_visible()
    expect(my_chat_rows(page)).to_have_count(1)
    take.click()
    expect(toast(page, "New chat: Citra Newer (WhatsApp)")).to_be_visible()
    expect(my_chat_rows(page)).to_have_count(2)
    take.click()
    expect(toast(page, "No chat is waiting for you")).to_be_visible()

    page.get_by_role("button", name="Resolve (Bayu Older)").click()
    expect(toast(page, "Chat with Bayu Older resolved")).to_be_visible()
    expect(my_chat_rows(page)).to_have_count(1)
    expect(my_chat_rows(page)).to_contain_text("Citra Newer")
    assert_not_reloaded(page)


def test_get_new_chat_refused_says_why_in_a_popup(page: Page, problems, seed, live_app):
    problems.allow_status(409, "Get New Chat refused: the agent is not Online")
    account_id = seed.account()
    set_account(live_app, account_id, agent_can_take_over=True)
    agent = seed.user(account_id, Role.AGENT, username=seed.unique("away"))
    login(page, agent)
    page.wait_for_load_state()
    page.get_by_role("button", name="Get New Chat").click()
    popup = page.get_by_role("dialog", name="This cannot be done")
    expect(popup).to_contain_text("Only an Agent who is Online can take a chat.")
    # The list polls every second here: the popup stays past several polls until closed.
    with page.expect_response(lambda response: response.url.endswith("/chats")
                              and response.request.method == "GET"):
        pass
    with page.expect_response(lambda response: response.url.endswith("/chats")
                              and response.request.method == "GET"):
        pass
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("Only an Agent who is Online can take a chat.")
    popup.get_by_role("button", name="Close").click()
    expect(popup).to_have_count(0)


def test_a_page_whose_role_changed_goes_to_the_new_landing_page(page: Page, problems, seed,
                                                                 live_app):
    """Demoted while Monitoring polls: the next poll takes the tab to My chats, rather than
    a refusal toast every poll for ever."""
    account_id = seed.account()
    supervisor = seed.user(account_id, Role.SUPERVISOR, username=seed.unique("rina"))
    login(page, supervisor)
    page.goto("/monitoring")
    expect(page.get_by_role("heading", name="Monitoring", exact=True)).to_be_visible()
    with live_app.app_context(), write_transaction():
        db.session.get(User, supervisor.id).role = Role.AGENT
    expect(page).to_have_url(re.compile(r"/chats$"))
    expect(page.get_by_role("heading", name="My chats", exact=True)).to_be_visible()
    expect(page.locator("#toasts .toast-error")).to_have_count(0)


def test_a_supervisor_transfers_on_monitoring_and_reads_why(page: Page, problems, seed,
                                                            live_app):
    problems.allow_status(409, "past the Workload: the confirm popup")
    account_id = seed.account()
    supervisor = seed.user(account_id, Role.SUPERVISOR, username=seed.unique("rina"))
    budi = seed.user(account_id, Role.AGENT, username=seed.unique("budi"))
    dewi = seed.user(account_id, Role.AGENT, username=seed.unique("dewi"))
    go_online(live_app, budi, dewi, workload=1)
    send_chat(live_app, account_id, seed.unique("wa-"), "Ani")  # to budi: the lower id
    send_chat(live_app, account_id, seed.unique("wa-"), "Bayu")  # to dewi
    send_chat(live_app, account_id, seed.unique("wa-"), "Citra")  # both full: it waits

    login(page, supervisor)
    page.get_by_role("link", name="Monitoring").click()
    expect(page).to_have_url(re.compile(r"/monitoring$"))
    page.wait_for_load_state()
    no_reload_marker(page)
    queue = page.locator("#queue-rows")
    expect(queue.get_by_role("row")).to_have_count(1)
    expect(queue).to_contain_text("Citra")
    team = page.locator("#team-rows")
    expect(team.locator(f"#agent-{budi.id}")).to_contain_text("1/1")
    open_rows = page.locator("#open-rows > tr")
    expect(open_rows.filter(has_text="Ani")).to_contain_text(budi.username)

    # Back to the queue: Ani keeps her place, the oldest, ahead of Citra. Auto allocation
    # drains at once, oldest first: budi, who handed her back, comes last among her
    # candidates, but he is the only one with room, so she is his again (a chat sent back
    # never waits for ever), and Citra still waits.
    page.get_by_role("button", name="Transfer (Ani)").click()
    dialog = page.get_by_role("dialog", name="Transfer the chat with Ani")
    dialog.get_by_label("Transfer to").select_option(label="Back to the queue")
    dialog.get_by_role("button", name="Transfer").click()
    expect(toast(page, "Chat with Ani sent back to the queue")).to_be_visible()
    expect(queue.get_by_role("row")).to_have_count(1)
    expect(queue).to_contain_text("Citra")
    expect(open_rows.filter(has_text="Ani")).to_contain_text(budi.username)

    # Past a Workload only through the confirm popup.
    page.get_by_role("button", name="Assign (Citra)").click()
    dialog = page.get_by_role("dialog", name="Assign the chat with Citra")
    dialog.get_by_label("Assign to").select_option(str(dewi.id))
    dialog.get_by_role("button", name="Assign").click()
    confirm = page.get_by_role("dialog", name="Assign past the Workload?")
    expect(confirm).to_contain_text(f"{dewi.username} already holds 1 of 1 chats.")
    expect(confirm).to_contain_text("Assign anyway?")
    confirm.get_by_role("button", name="Assign anyway").click()
    expect(toast(page, f"Chat with Citra assigned to {dewi.username}")).to_be_visible()
    expect(queue.get_by_role("row")).to_have_count(0)
    expect(team.locator(f"#agent-{dewi.id}")).to_contain_text("2/1")

    # Why did Ani go where she went?
    page.get_by_role("button", name="Why? (Ani)").first.click()
    why = page.get_by_role("dialog", name="Why? The chat with Ani")
    rows = why.locator("#history-rows > tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Auto")
    expect(rows.nth(0)).to_contain_text("The allocator")
    expect(rows.nth(0)).to_contain_text(f"{dewi.username} 0/1")  # a candidate, with her load
    expect(rows.nth(1)).to_contain_text("Supervisor")
    expect(rows.nth(1)).to_contain_text(supervisor.username)
    expect(rows.nth(2)).to_contain_text("Auto")
    expect(rows.nth(2)).to_contain_text(budi.username)
    why.get_by_role("button", name="Close").click()
    expect(why).to_have_count(0)

    # And Citra's history says a Supervisor confirmed going past the Workload.
    page.get_by_role("button", name="Why? (Citra)").first.click()
    why = page.get_by_role("dialog", name="Why? The chat with Citra")
    rows = why.locator("#history-rows > tr")
    expect(rows.last).to_contain_text("Supervisor")
    expect(rows.last).to_contain_text("Past the Workload, confirmed")
    why.get_by_role("button", name="Close").click()
    expect(why).to_have_count(0)
    assert_not_reloaded(page)


def test_without_javascript_my_chats_and_monitoring_are_plain_pages(browser, live_server,
                                                                    seed, live_app):
    from .live import VIEWPORT, watch

    context = browser.new_context(base_url=live_server, viewport=VIEWPORT, locale="en-US",
                                  java_script_enabled=False)
    found = watch(context)
    page = context.new_page()
    account_id = seed.account()
    set_account(live_app, account_id, agent_can_transfer=True)
    agent = seed.user(account_id, Role.AGENT, username=seed.unique("plain"))
    go_online(live_app, agent)
    send_chat(live_app, account_id, seed.unique("wa-"), "Dina")
    login(page, agent)
    page.get_by_role("button", name="Transfer (Dina)").click()
    expect(page).to_have_url(re.compile(r"/chats/\d+/transfer$"))
    page.get_by_label("Transfer to").select_option(label="Back to the queue")
    page.get_by_role("button", name="Transfer").click()
    expect(page).to_have_url(re.compile(r"/chats$"))
    expect(page.locator("#toasts")).to_contain_text("Chat with Dina sent back to the queue")
    context.close()
    found.assert_none()
