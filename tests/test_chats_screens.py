"""My chats and Monitoring (SPEC §7's screens), through HTTP on the real app: who may open
what, what each list shows, the polling fragments, and every move (Get New Chat, resolve,
transfer, assign, past a Workload only when confirmed) with its 403/404/409/422."""

import json
import re

import pytest
from sqlalchemy import select

from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.chats.allocator import Actor
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import (
    ActorKind,
    AgentWorkload,
    Chat,
    ChatStatus,
    DecisionReason,
    Division,
    Presence,
    Role,
    Status,
)
from webapp.presence import service as presence

from .conftest import HTMX, PASSWORD

API = Actor(ActorKind.API, 1, "platform")


@pytest.fixture
def sales(factory, account) -> Division:
    return factory.division(account, "Sales")


@pytest.fixture
def online(factory, account):
    """An Agent of the account, Online (from a browser, just now)."""

    def make(username, division=None, workload=None):
        agent = factory.user(account, Role.AGENT, username=username, division=division)
        if workload is not None:
            with write_transaction():
                db.session.add(AgentWorkload(user_id=agent.id, max_chats=workload))
        presence.set_presence(agent, Presence.ONLINE)
        return agent

    return make


def intake(account, external_id, channel="whatsapp", division=None, name="Ani") -> Chat:
    chat, _created = allocator.receive_chat(
        account.id, channel=channel, external_id=external_id, customer_name=name,
        division_id=division.id if division else None, actor=API)
    return db.session.get(Chat, chat.id)


def switches(account, admin, **values):
    current = {name: getattr(account, name) for name in agents.SWITCHES}
    agents.save_allocation(account.id, current | values, admin)
    db.session.expire_all()


def client_of(app, user):
    """A test client logged in as `user` (a browser of their own)."""
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def toast_of(response) -> str:
    return json.loads(response.headers["HX-Trigger"])["toast"]["message"]


def fresh(chat: Chat) -> Chat:
    return db.session.get(Chat, chat.id, populate_existing=True)


def last_decision(chat: Chat):
    return allocator.decisions_of(fresh(chat))[-1]


# -- who may open what --------------------------------------------------------------------------

@pytest.mark.parametrize("role, landing", [(Role.AGENT, "/chats"), (Role.SUPERVISOR, "/chats"),
                                           (Role.ADMIN, "/settings")])
def test_agents_and_supervisors_land_on_my_chats(client, auth, factory, account, role, landing):
    factory.user(account, role, username="member")
    assert auth.login(username="member").headers["Location"] == landing
    assert client.get("/").headers["Location"] == landing


@pytest.mark.parametrize("path", ["/chats", "/monitoring", "/chats/1/history",
                                  "/chats/1/transfer", "/monitoring/chats/1/assign"])
def test_anonymous_visitors_go_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    partial = client.get(path, headers=HTMX)
    assert partial.status_code == 401 and "/login" in partial.headers["HX-Redirect"]


def test_roles_decide_which_screens_open_and_the_header_offers_only_those(app, factory,
                                                                         account, admin):
    agent = factory.user(account, Role.AGENT, username="agent")
    supervisor = factory.user(account, Role.SUPERVISOR, username="super")
    chat = intake(account, "wa-1")
    expected = {agent: {"/chats": 200, "/monitoring": 403},
                supervisor: {"/chats": 200, "/monitoring": 200},
                admin: {"/chats": 403, "/monitoring": 200}}
    for user, statuses in expected.items():
        client = client_of(app, user)
        assert {path: client.get(path).status_code for path in statuses} == statuses
        header = client.get("/profile").text.split("</header>")[0]
        assert ('href="/chats"' in header) == (statuses["/chats"] == 200)
        assert ('href="/monitoring"' in header) == (statuses["/monitoring"] == 200)
        # A real waiting chat in everyone's scope: the Agent is refused for the role; the
        # Supervisor and the Admin reach the form (a waiting chat cannot go back to the
        # queue: 422).
        assign = client.post(f"/monitoring/chats/{chat.id}/assign", data={"to": "queue"})
        assert assign.status_code == {agent: 403, supervisor: 422, admin: 422}[user]


# -- My chats -----------------------------------------------------------------------------------

def test_my_chats_lists_my_open_chats_with_channel_and_waiting_time(app, account, online):
    budi = online("budi", workload=2)
    mine = intake(account, "wa-1", name="Ani")
    intake(account, "ig-1", channel="instagram", name="Bayu")
    dewi = online("dewi")
    theirs = intake(account, "wa-3", name="Citra")
    assert fresh(theirs).agent_id == dewi.id
    client = client_of(app, budi)
    page = client.get("/chats")
    assert page.status_code == 200 and "<html" in page.text
    assert 'aria-current="page">My chats<' in page.text
    assert f'id="chat-{mine.id}"' in page.text and "Ani" in page.text
    assert "Instagram" in page.text and "WhatsApp" in page.text
    assert "Citra" not in page.text
    assert re.search(r'<time datetime="[^"]+Z" title="[^"]+">\d+ sec</time>', page.text)
    assert "Answered" in page.text  # no customer message waits for an answer yet
    # It polls itself at least every 5 seconds, and the header keeps presence alive.
    assert re.search(r'hx-get="/chats"\s+hx-trigger="every [1-5]s', page.text)
    assert 'hx-post="/presence/seen"' in page.text
    assert page.headers["Vary"].count("HX-Request") == 1

    fragment = client.get("/chats", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'id="chat-{mine.id}"' in fragment.text


def test_a_customer_waiting_for_an_answer_and_an_idle_flag_show(app, account, online):
    budi = online("budi")
    chat = intake(account, "wa-1")
    allocator.note_message(account.id, chat.id, allocator.CUSTOMER, API)
    with write_transaction():
        fresh(chat).idle_flagged = True
    page = client_of(app, budi).get("/chats", headers=HTMX).text
    assert "Answered" not in page and "Flagged by the idle rule" in page


def test_an_agent_not_online_is_told_new_chats_do_not_reach_them(app, factory, account):
    agent = factory.user(account, Role.AGENT, username="away")
    page = client_of(app, agent).get("/chats").text
    assert "You are not Online" in page and "You hold no chats right now." in page


def test_a_supervisor_is_told_where_their_divisions_chats_are(app, factory, account):
    supervisor = factory.user(account, Role.SUPERVISOR, username="rina")
    page = client_of(app, supervisor).get("/chats").text
    assert "New chats go to Agents. Your division's chats are on Monitoring." in page
    assert "You are not Online" not in page and "Get New Chat" not in page


def test_get_new_chat_shows_only_when_the_account_allows_takeover(app, account, admin, online):
    budi = online("budi")
    client = client_of(app, budi)
    assert "Get New Chat" not in client.get("/chats").text
    switches(account, admin, agent_can_take_over=True)
    assert "Get New Chat" in client.get("/chats").text
    assert client_of(app, admin).get("/chats").status_code == 403  # Admins hold no chats


def test_get_new_chat_takes_the_oldest_waiting_chat(app, account, admin, factory):
    switches(account, admin, auto_allocation=False, agent_can_take_over=True)
    first, second = intake(account, "wa-1", name="Ani"), intake(account, "wa-2", name="Bayu")
    budi = factory.user(account, Role.AGENT, username="budi")
    presence.set_presence(budi, Presence.ONLINE)
    client = client_of(app, budi)
    response = client.post("/chats/next", headers=HTMX)
    assert response.status_code == 200 and "<html" not in response.text
    assert toast_of(response) == "New chat: Ani (WhatsApp)"
    assert f'id="chat-{first.id}"' in response.text
    assert fresh(first).agent_id == budi.id and fresh(second).status == ChatStatus.QUEUED
    assert last_decision(first).reason == DecisionReason.TAKEOVER

    # Without JavaScript: back to My chats with the message.
    plain = client.post("/chats/next")
    assert plain.status_code == 302 and plain.headers["Location"] == "/chats"
    assert fresh(second).agent_id == budi.id
    assert "New chat: Bayu (WhatsApp)" in client.get("/chats").text

    nothing = client.post("/chats/next", headers=HTMX)
    assert nothing.status_code == 200 and toast_of(nothing) == "No chat is waiting for you"


def test_get_new_chat_refused_answers_409_with_the_reason(app, account, admin, factory):
    switches(account, admin, auto_allocation=False)
    intake(account, "wa-1")
    budi = factory.user(account, Role.AGENT, username="budi")
    client = client_of(app, budi)
    off = client.post("/chats/next", headers=HTMX)
    assert off.status_code == 409
    assert "Taking unassigned chats is switched off for this account." in off.text
    assert 'class="popup-error"' in off.text
    # Outside the polled list, so the next poll does not take it away.
    assert off.headers["HX-Retarget"] == "#dialog-slot" and 'id="my-chat' not in off.text

    switches(account, admin, agent_can_take_over=True)
    offline = client.post("/chats/next")  # no JavaScript: the page, with the reason on it
    assert offline.status_code == 409 and "<html" in offline.text
    assert "Only an Agent who is Online can take a chat." in offline.text
    assert 'role="alert"' in offline.text


def test_get_new_chat_without_a_csrf_token_is_refused(app, account, online):
    client = client_of(app, online("budi"))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/chats/next", headers=HTMX)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400


def test_resolve_my_chat_and_its_rules(app, factory, account, online):
    budi, dewi = online("budi", workload=1), online("dewi", workload=1)
    mine, theirs = intake(account, "wa-1"), intake(account, "wa-2")
    assert (fresh(mine).agent_id, fresh(theirs).agent_id) == (budi.id, dewi.id)
    client = client_of(app, budi)
    assert client.post(f"/chats/{theirs.id}/resolve", headers=HTMX).status_code == 403
    assert client.post("/chats/999999/resolve", headers=HTMX).status_code == 404
    assert client.post(f"/chats/{2**40}/resolve").status_code == 404

    response = client.post(f"/chats/{mine.id}/resolve", headers=HTMX)
    assert response.status_code == 200 and toast_of(response) == "Chat with Ani resolved"
    assert fresh(mine).status == ChatStatus.RESOLVED
    assert f'id="chat-{mine.id}"' not in response.text
    # A second Resolve (a double submit without JavaScript) is harmless, and says so.
    again = client.post(f"/chats/{mine.id}/resolve")
    assert again.status_code == 302 and again.headers["Location"] == "/chats"
    assert "This chat is already resolved." in client.get("/chats").text
    twice = client.post(f"/chats/{mine.id}/resolve", headers=HTMX)
    assert twice.status_code == 200 and toast_of(twice) == "This chat is already resolved."
    assert last_decision(mine).reason == DecisionReason.RESOLVED

    other = factory.account("Other Co")
    foreign = factory.user(other, Role.AGENT, username="foreign")
    assert client_of(app, foreign).post(f"/chats/{theirs.id}/resolve").status_code == 404


# -- transfer -------------------------------------------------------------------------------------

def test_transfer_needs_the_switch_and_ones_own_chat(app, account, admin, online):
    budi, dewi = online("budi", workload=1), online("dewi", workload=1)
    mine, theirs = intake(account, "wa-1"), intake(account, "wa-2")
    client = client_of(app, budi)
    assert "Transfer" not in client.get("/chats").text.split('id="my-chats"')[1]
    assert client.get(f"/chats/{mine.id}/transfer").status_code == 403
    switches(account, admin, agent_can_transfer=True)
    assert client.get(f"/chats/{theirs.id}/transfer").status_code == 403
    assert client.post(f"/chats/{theirs.id}/transfer", data={"to": "queue"}).status_code == 403
    assert client.get("/chats/424242/transfer").status_code == 404
    dialog = client.get(f"/chats/{mine.id}/transfer", headers=HTMX)
    assert dialog.status_code == 200 and "<dialog data-modal" in dialog.text
    assert "Back to the queue" in dialog.text
    assert "dewi" not in dialog.text  # full: an Agent never transfers past a Workload
    page = client.get(f"/chats/{mine.id}/transfer")
    assert "<html" in page.text and 'class="page-dialog"' in page.text
    assert fresh(theirs).agent_id == dewi.id


def test_transfer_to_an_online_agent_with_room_and_back_to_the_queue(app, account, admin,
                                                                      online):
    switches(account, admin, agent_can_transfer=True)
    budi = online("budi")
    chat = intake(account, "wa-1")
    dewi = online("dewi")
    client = client_of(app, budi)
    dialog = client.get(f"/chats/{chat.id}/transfer", headers=HTMX).text
    assert f'<option value="{dewi.id}">Dewi Tester (dewi), 0/5</option>' in dialog

    done = client.post(f"/chats/{chat.id}/transfer", data={"to": str(dewi.id)}, headers=HTMX)
    assert done.status_code == 204
    triggers = json.loads(done.headers["HX-Trigger"])
    assert {"close-dialog", "chats-changed"} <= set(triggers)
    assert triggers["toast"]["message"] == "Chat with Ani transferred to dewi"
    decision = last_decision(chat)
    assert (decision.reason, decision.from_name, decision.to_name) == (
        DecisionReason.TRANSFER, "budi", "dewi")

    back = client_of(app, dewi).post(f"/chats/{chat.id}/transfer", data={"to": "queue"})
    assert back.status_code == 302 and back.headers["Location"] == "/chats"
    # Auto allocation gives it on at once: budi has room, and dewi handed it back.
    assert fresh(chat).agent_id == budi.id


def test_a_transfer_the_form_or_the_allocator_refuses(app, account, admin, online, factory):
    switches(account, admin, agent_can_transfer=True)
    budi = online("budi")
    chat = intake(account, "wa-1")
    sleepy = factory.user(account, Role.AGENT, username="sleepy")  # not Online: not offered
    client = client_of(app, budi)
    for data in ({}, {"to": ""}, {"to": "x" * 5000}, {"to": "1.0"}, {"to": str(budi.id)}):
        response = client.post(f"/chats/{chat.id}/transfer", data=data, headers=HTMX)
        assert response.status_code == 422, data
        assert 'aria-invalid="true"' in response.text
    assert fresh(chat).agent_id == budi.id

    # An agent not offered (not Online): the allocator's reason, not "Not a valid choice."
    asleep = client.post(f"/chats/{chat.id}/transfer", data={"to": str(sleepy.id)},
                         headers=HTMX)
    assert asleep.status_code == 409 and "sleepy is not Online." in asleep.text
    assert "Not a valid choice" not in asleep.text
    dewi = online("dewi")
    form = client.get(f"/chats/{chat.id}/transfer", headers=HTMX)
    assert f'value="{dewi.id}"' in form.text
    switches(account, admin, agent_can_transfer=False)  # switched off while the form is open
    assert client.post(f"/chats/{chat.id}/transfer", data={"to": str(dewi.id)},
                       headers=HTMX).status_code == 403
    switches(account, admin, agent_can_transfer=True)
    presence.set_presence(db.session.get(type(dewi), dewi.id), Presence.AWAY)
    gone = client.post(f"/chats/{chat.id}/transfer", data={"to": str(dewi.id)}, headers=HTMX)
    assert gone.status_code == 409  # no longer offered: the allocator says why
    assert "dewi is not Online." in gone.text and "Not a valid choice" not in gone.text
    assert fresh(chat).agent_id == budi.id


# -- a chat's history ("Why?") ------------------------------------------------------------------

def test_why_shows_each_decision_with_its_candidates(app, account, admin, online):
    budi, dewi = online("budi"), online("dewi")
    chat = intake(account, "wa-1")
    assert fresh(chat).agent_id == budi.id
    allocator.assign_chat(account.id, chat.id, dewi, Actor.of_user(admin),
                          DecisionReason.SUPERVISOR)
    client = client_of(app, admin)
    dialog = client.get(f"/chats/{chat.id}/history", headers=HTMX)
    assert dialog.status_code == 200 and "<dialog data-modal" in dialog.text
    rows = re.findall(r"<tr>(.*?)</tr>", dialog.text.split("<tbody")[1], re.S)
    cells = [[" ".join(re.sub(r"<[^>]+>", " ", cell).split())
              for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]
    assert [row[1:5] for row in cells] == [["Auto", "Queue", "budi", "The allocator"],
                                           ["Supervisor", "budi", "dewi", "boss"]]
    assert cells[0][5] == "budi 0/5 dewi 0/5"
    page = client.get(f"/chats/{chat.id}/history")
    assert "<html" in page.text and 'href="/monitoring"' in page.text


def test_why_names_the_integration_and_the_queue(app, account, admin):
    chat = intake(account, "wa-1")  # no one online: it waits
    allocator.resolve_chat(account.id, chat.id, API)
    page = client_of(app, admin).get(f"/chats/{chat.id}/history", headers=HTMX).text
    assert "Arrived" in page and "Integration platform" in page and "Resolved" in page


def test_agents_read_the_history_of_their_own_chats_only(app, factory, account, online):
    budi, dewi = online("budi", workload=1), online("dewi", workload=1)
    mine, theirs = intake(account, "wa-1"), intake(account, "wa-2")
    client = client_of(app, budi)
    assert client.get(f"/chats/{mine.id}/history").status_code == 200
    assert client.get(f"/chats/{theirs.id}/history").status_code == 403
    assert client.get("/chats/777777/history").status_code == 404
    other = factory.account("Other Co")
    outsider = factory.user(other, Role.ADMIN, username="outsider")
    assert client_of(app, outsider).get(f"/chats/{mine.id}/history").status_code == 404
    assert fresh(theirs).agent_id == dewi.id


# -- Monitoring ---------------------------------------------------------------------------------

def test_monitoring_shows_the_queue_open_chats_flags_and_loads(app, account, admin, online):
    budi = online("budi", workload=1)
    held = intake(account, "wa-1", name="Ani")
    waiting = [intake(account, f"wa-{n}", name=f"Queued {n}") for n in (2, 3)]
    with write_transaction():
        fresh(held).idle_flagged = True
    client = client_of(app, admin)
    page = client.get("/monitoring")
    assert page.status_code == 200 and 'aria-current="page">Monitoring<' in page.text
    assert re.search(r'hx-get="/monitoring"\s+hx-trigger="every [1-5]s', page.text)
    queue = page.text.split('id="queue-rows"')[1].split("</tbody>")[0]
    assert [re.sub(r"<[^>]+>", "", place) for place in
            re.findall(r'data-label="Place">(.*?)</td>', queue)] == ["1", "2"]
    assert queue.index("Queued 2") < queue.index("Queued 3")
    opened = page.text.split('id="open-rows"')[1].split("</tbody>")[0]
    assert "Ani" in opened and ">budi<" in opened
    assert "Ani" in page.text.split('id="flagged-rows"')[1].split("</tbody>")[0]
    team = page.text.split('id="team-rows"')[1].split("</tbody>")[0]
    assert f'id="agent-{budi.id}"' in team and "Online" in team and ">1/1<" in team

    fragment = client.get("/monitoring", headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Queued 3" in fragment.text and waiting[1].status == ChatStatus.QUEUED


def test_a_supervisor_watches_their_division(app, factory, account, admin, online, sales):
    sales.channels = ["instagram"]
    db.session.commit()
    general = account.divisions[0]
    supervisor = factory.user(account, Role.SUPERVISOR, username="rina", division=sales)
    sales_agent = online("maya", division=sales, workload=1)
    general_agent = online("joko", division=general, workload=1)
    named = intake(account, "s-1", division=sales, name="Named Sales")
    by_channel = intake(account, "ig-1", channel="instagram", name="Via Instagram")
    anyone = intake(account, "line-1", channel="line", name="Any Division")
    for_general = intake(account, "g-1", division=general, name="For General")
    queued_general = intake(account, "g-2", division=general, name="Waits For General")
    assert fresh(named).agent_id == sales_agent.id
    assert fresh(anyone).agent_id == general_agent.id
    assert fresh(by_channel).status == fresh(for_general).status == ChatStatus.QUEUED

    client = client_of(app, supervisor)
    page = client.get("/monitoring").text
    for shown in ("Named Sales", "Via Instagram", "Any Division"):
        assert shown in page
    for hidden in ("For General", "Waits For General"):
        assert hidden not in page
    # joko holds a chat any division may take, so it shows; he is no agent of Sales.
    assert "joko" not in page.split('id="team-rows"')[1]
    assert "maya" in page and "The chats and agents of the division Sales." in page
    # Queue places count the whole account's queue.
    assert re.findall(r'data-label="Place">(\d+)<', page) == ["1"]  # Via Instagram is 1st
    assert client.get(f"/chats/{for_general.id}/history").status_code == 403
    assert client.get(f"/monitoring/chats/{queued_general.id}/assign").status_code == 403
    assert client.get(f"/chats/{anyone.id}/history").status_code == 200
    # An Admin sees them all.
    every = client_of(app, admin).get("/monitoring").text
    assert "For General" in every and "joko" in every


# -- assign and transfer on Monitoring ------------------------------------------------------------

def test_a_supervisor_assigns_a_waiting_chat(app, factory, account, admin, online):
    switches(account, admin, auto_allocation=False)
    chat = intake(account, "wa-1")
    budi = online("budi")
    supervisor = factory.user(account, Role.SUPERVISOR, username="super")
    client = client_of(app, supervisor)
    dialog = client.get(f"/monitoring/chats/{chat.id}/assign", headers=HTMX).text
    assert "Assign to" in dialog and "Back to the queue" not in dialog
    assert f'<option value="{budi.id}">Budi Tester (budi), 0/5</option>' in dialog
    done = client.post(f"/monitoring/chats/{chat.id}/assign", data={"to": str(budi.id)},
                       headers=HTMX)
    assert done.status_code == 204 and toast_of(done) == "Chat with Ani assigned to budi"
    decision = last_decision(chat)
    assert (decision.reason, decision.to_name, decision.actor_name, decision.over_capacity) == (
        DecisionReason.SUPERVISOR, "budi", "super", False)


def test_past_a_workload_only_once_confirmed_and_recorded(app, account, admin, online):
    budi = online("budi", workload=1)
    held = intake(account, "wa-1")
    waiting = intake(account, "wa-2", name="Bayu")
    assert fresh(held).agent_id == budi.id and fresh(waiting).status == ChatStatus.QUEUED
    client = client_of(app, admin)
    dialog = client.get(f"/monitoring/chats/{waiting.id}/assign", headers=HTMX).text
    assert "(budi), 1/1" in dialog  # a Supervisor or Admin sees full agents too
    asked = client.post(f"/monitoring/chats/{waiting.id}/assign", data={"to": str(budi.id)},
                        headers=HTMX)
    assert asked.status_code == 409
    assert "budi already holds 1 of 1 chats." in asked.text and "Assign anyway?" in asked.text
    assert 'name="confirm" value="y"' in asked.text
    assert fresh(waiting).status == ChatStatus.QUEUED

    confirmed = client.post(f"/monitoring/chats/{waiting.id}/assign",
                            data={"to": str(budi.id), "confirm": "y"}, headers=HTMX)
    assert confirmed.status_code == 204
    assert fresh(waiting).agent_id == budi.id
    assert last_decision(waiting).over_capacity is True
    assert "Past the Workload, confirmed" in client.get(f"/chats/{waiting.id}/history").text
    assert ">2/1<" in client.get("/monitoring").text


def test_a_supervisor_transfers_an_open_chat_or_sends_it_back(app, account, admin, online):
    budi = online("budi")
    chat = intake(account, "wa-1")
    dewi = online("dewi")
    client = client_of(app, admin)
    dialog = client.get(f"/monitoring/chats/{chat.id}/assign", headers=HTMX).text
    assert "Transfer to" in dialog and "Back to the queue" in dialog and "Now with budi." in dialog
    assert f'option value="{budi.id}"' not in dialog  # it is already theirs
    assert f'name="holder" type="hidden" value="{budi.id}"' in dialog
    assert client.post(f"/monitoring/chats/{chat.id}/assign",
                       data={"to": str(dewi.id), "holder": str(budi.id)}).status_code == 302
    assert fresh(chat).agent_id == dewi.id
    switches(account, admin, auto_allocation=False)
    back = client.post(f"/monitoring/chats/{chat.id}/assign",
                       data={"to": "queue", "holder": str(dewi.id)}, headers=HTMX)
    assert back.status_code == 204 and toast_of(back) == "Chat with Ani sent back to the queue"
    assert fresh(chat).status == ChatStatus.QUEUED
    decision = last_decision(chat)
    assert (decision.reason, decision.from_name, decision.to_name) == (
        DecisionReason.SUPERVISOR, "dewi", "")


def test_assign_refusals_and_bad_input(app, factory, account, admin, online):
    budi = online("budi")
    chat = intake(account, "wa-1")
    client = client_of(app, admin)
    for data in ({}, {"to": "nobody"}, {"to": "-1"}, {"to": "\x00"}):
        response = client.post(f"/monitoring/chats/{chat.id}/assign", data=data, headers=HTMX)
        assert response.status_code == 422, data
    assert client.post("/monitoring/chats/99999/assign", data={"to": "queue"}).status_code == 404
    assert client.get("/monitoring/chats/abc/assign").status_code == 404
    allocator.resolve_chat(account.id, chat.id, API)
    assert client.get(f"/monitoring/chats/{chat.id}/assign").status_code == 409
    dewi = online("dewi")
    resolved = client.post(f"/monitoring/chats/{chat.id}/assign", data={"to": str(dewi.id)},
                           headers=HTMX)
    assert resolved.status_code == 409
    assert "This chat has been resolved meanwhile." in resolved.text
    assert fresh(chat).agent_id == budi.id

    other = factory.account("Other Co")
    outsider = factory.user(other, Role.ADMIN, username="outsider")
    assert client_of(app, outsider).get(
        f"/monitoring/chats/{chat.id}/assign").status_code == 404


def test_a_stale_assign_dialog_does_not_take_the_chat_from_who_got_it(app, account, admin,
                                                                     online):
    switches(account, admin, auto_allocation=False, agent_can_take_over=True)
    chat = intake(account, "wa-1", name="Ani")
    ani, budi = online("ani"), online("budi")
    boss = client_of(app, admin)
    dialog = boss.get(f"/monitoring/chats/{chat.id}/assign", headers=HTMX).text
    assert 'name="holder" type="hidden" value=""' in dialog
    client_of(app, budi).post("/chats/next", headers=HTMX)  # Budi takes it meanwhile
    assert fresh(chat).agent_id == budi.id
    stale = boss.post(f"/monitoring/chats/{chat.id}/assign",
                      data={"to": str(ani.id), "holder": ""}, headers=HTMX)
    assert stale.status_code == 409
    assert "This chat has moved to budi meanwhile." in stale.text
    assert "Now with budi." in stale.text  # the dialog again, as the chat is now
    assert f'name="holder" type="hidden" value="{budi.id}"' in stale.text
    assert fresh(chat).agent_id == budi.id

    # The confirm popup carries the holder too: a full agent, then the chat moves.
    with write_transaction():
        db.session.add(AgentWorkload(user_id=ani.id, max_chats=0))
    asked = boss.post(f"/monitoring/chats/{chat.id}/assign",
                      data={"to": str(ani.id), "holder": str(budi.id)}, headers=HTMX)
    assert asked.status_code == 409 and "Assign anyway?" in asked.text
    assert f'name="holder" type="hidden" value="{budi.id}"' in asked.text
    allocator.assign_chat(account.id, chat.id, None, API, DecisionReason.CUSTOM)
    confirmed = boss.post(f"/monitoring/chats/{chat.id}/assign",
                          data={"to": str(ani.id), "holder": str(budi.id), "confirm": "y"},
                          headers=HTMX)
    assert confirmed.status_code == 409
    assert "This chat has gone back to the queue meanwhile." in confirmed.text
    assert fresh(chat).status == ChatStatus.QUEUED


def test_a_chat_moved_or_resolved_meanwhile_says_what_happened(app, factory, account, admin,
                                                               online):
    switches(account, admin, agent_can_transfer=True)
    budi = online("budi")
    chat = intake(account, "wa-1")
    dewi = online("dewi")
    client = client_of(app, budi)
    allocator.assign_chat(account.id, chat.id, dewi, API, DecisionReason.CUSTOM)
    moved = "This chat has moved to dewi meanwhile."
    page = client.post(f"/chats/{chat.id}/resolve")  # without JavaScript
    assert page.status_code == 409 and moved in page.text and "<html" in page.text
    for response in (client.post(f"/chats/{chat.id}/resolve", headers=HTMX),
                     client.get(f"/chats/{chat.id}/transfer", headers=HTMX),
                     client.post(f"/chats/{chat.id}/transfer", data={"to": "queue"},
                                 headers=HTMX),
                     client.get(f"/chats/{chat.id}/history", headers=HTMX)):
        assert response.status_code == 409 and moved in response.text
        assert response.headers["HX-Retarget"] == "#dialog-slot"
        assert "chats-changed" in json.loads(response.headers["HX-Trigger"])
    assert fresh(chat).agent_id == dewi.id
    # A chat one never held stays a role error.
    sleepy = factory.user(account, Role.AGENT, username="sleepy")
    assert client_of(app, sleepy).post(f"/chats/{chat.id}/resolve").status_code == 403

    allocator.resolve_chat(account.id, chat.id, API)
    boss = client_of(app, admin)
    for response in (boss.get(f"/monitoring/chats/{chat.id}/assign", headers=HTMX),
                     boss.get(f"/monitoring/chats/{chat.id}/assign"),
                     client.get(f"/chats/{chat.id}/history")):
        assert response.status_code == 409, response.text
        assert "This chat has been resolved meanwhile." in response.text
        assert "Your role does not allow" not in response.text


def set_role(user, role) -> None:
    with write_transaction():
        db.session.get(type(user), user.id).role = role


def test_a_poll_after_the_role_changed_goes_to_the_landing_page(app, factory, account):
    supervisor = factory.user(account, Role.SUPERVISOR, username="super")
    client = client_of(app, supervisor)
    set_role(supervisor, Role.AGENT)
    poll = {**HTMX, "HX-Trigger": "monitoring"}
    response = client.get("/monitoring", headers=poll)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/chats"
    assert client.get("/monitoring", headers=HTMX).status_code == 403  # a click: refused
    set_role(supervisor, Role.ADMIN)
    response = client.get("/chats", headers={**HTMX, "HX-Trigger": "my-chats"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/settings"


def test_disabled_agents_are_not_listed_on_monitoring(app, factory, account, admin, online):
    online("budi")
    gone = factory.user(account, Role.AGENT, username="gone")
    with write_transaction():
        db.session.get(type(gone), gone.id).status = Status.DISABLED
    text = client_of(app, admin).get("/monitoring").text
    assert "budi" in text and "gone" not in text


def test_no_500_for_odd_ids_and_methods(app, account, admin, online):
    client = client_of(app, admin)
    for path in ("/chats/0/history", "/chats/-1/history", f"/chats/{2**63}/history",
                 "/monitoring/chats/1.5/assign", "/chats/%00/history"):
        assert client.get(path).status_code == 404, path
    assert client.delete("/monitoring").status_code == 405
    assert db.session.scalar(select(Chat.id)) is None


# -- under gunicorn: real processes ------------------------------------------------------------

def test_twenty_simultaneous_get_new_chat_clicks_on_the_last_waiting_chat(server):
    """Twenty Agents click Get New Chat at the same moment, each through gunicorn (several
    workers and threads) on the one waiting chat: one gets it, nineteen are told none is
    waiting, nothing fails."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from time import time

    from webapp import create_app
    from webapp.models import Account, ChatDecision, User

    from . import live
    from .conftest import FAST_HASH

    takers = 20
    database_url = server.env["DATABASE_URL"]
    setup = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    with setup.app_context():
        with write_transaction():
            account = db.session.scalar(select(Account).where(Account.name == "Live"))
            account.auto_allocation, account.agent_can_take_over = False, True
            general = account.divisions[0].id
            for number in range(takers):
                agent = User(account_id=account.id, username=f"taker{number}",
                             email=f"taker{number}@live.example.com", first_name="Taker",
                             role=Role.AGENT, division_id=general)
                agent.set_password(PASSWORD, FAST_HASH)
                db.session.add(agent)
        agents = list(db.session.scalars(select(User).where(User.role == Role.AGENT)))
        for agent in agents:
            presence.set_presence(agent, Presence.ONLINE)
        chat_id = intake(account, "wa-last").id
        db.session.remove()
        db.engine.dispose()

    browsers = []
    for number in range(takers):
        browser = live.Browser(server.url)
        browser.login(f"taker{number}", PASSWORD)
        browser.request("GET", "/chats")  # a token for this session
        browsers.append(browser)
    start_at = time() + 2.0
    with ProcessPoolExecutor(max_workers=takers,
                             mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(live.post_at, server.url, "/chats/next", {},
                               browser.cookie_header(), browser.csrf_token, start_at)
                   for browser in browsers]
        answers = [future.result(timeout=120) for future in futures]

    assert [status for status, _ in answers] == [200] * takers, answers
    winners = [number for number, (_, body) in enumerate(answers)
               if f'id="chat-{chat_id}"' in body]
    assert len(winners) == 1, answers
    assert sum("You hold no chats right now." in body for _, body in answers) == takers - 1
    with setup.app_context():
        chat = db.session.get(Chat, chat_id)
        assert (chat.status, chat.agent.username) == (ChatStatus.ASSIGNED,
                                                      f"taker{winners[0]}")
        assert list(db.session.scalars(
            select(ChatDecision.reason).where(ChatDecision.chat_id == chat_id)
            .order_by(ChatDecision.id))) == [DecisionReason.ARRIVED, DecisionReason.TAKEOVER]
        db.session.remove()  # give its connection back first: dispose() closes only idle ones
        db.engine.dispose()
    assert "Traceback" not in server.output()


def test_counts_in_the_lists_are_written_in_the_readers_locale(app, account):
    """SPEC §9: "and 1.900 more" in Indonesian, "and 1,900 more" in English."""
    from flask import render_template
    from flask_babel import refresh

    from webapp.chats.screens import Listing, Waiting

    shown = [Waiting(intake(account, "wa-1"), 1)]
    for language, written in (("id", "dan 1.900 lainnya"), ("en", "and 1,900 more")):
        with app.test_request_context(headers={"Accept-Language": language}):
            refresh()  # the test's app context is shared: forget the last language
            text = render_template("chats/_monitoring.html", as_page=False, division=None,
                                   queue=Listing(shown, 1901), open=Listing([], 0),
                                   flagged=Listing([], 0), team=[])
        assert written in text, language
