"""Presence (SPEC §6): Agents and Supervisors set Online, Away or Offline from the header;
logging out sets Offline; presence set in the browser lapses to Offline two minutes after
the last open page stopped polling; a disabled user is Offline; it never bumps the user's
version; Admins see it in the users list. Times are given, never waited for."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import HTMX, Auth, on_postgresql
from tests.test_search_index import explain
from tests.test_users_edit import save as save_edit
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import AgentWorkload, AuditEntry, Presence, Role, Status, User, utcnow
from webapp.presence import service
from webapp.presence.service import LAPSE, REFRESH_AFTER
from webapp.users import listing


@pytest.fixture
def agent(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann", first_name="Ann",
                        last_name="Lee")


@pytest.fixture
def agent_client(app, agent):
    client = app.test_client()
    Auth(client).login(username="ann")
    return client


def stored(user: User) -> tuple[Presence, object, int]:
    db.session.expire_all()
    row = db.session.get(User, user.id)
    return row.presence, row.presence_seen_at, row.version


def seen(user: User, ago: timedelta) -> None:
    """The user's last open page spoke `ago`."""
    with write_transaction():
        db.session.execute(update(User).where(User.id == user.id)
                           .values(presence_seen_at=utcnow() - ago))


def set_to(client, presence: str, htmx=True, **extra):
    return client.post("/presence", data={"presence": presence, **extra},
                       headers=HTMX if htmx else {})


def selected(html: str) -> str:
    return re.search(r'<option value="(\w+)" selected>', html).group(1)


# -- The rule, with given times --------------------------------------------------------------

def test_a_new_user_is_offline(agent):
    assert stored(agent)[0] is Presence.OFFLINE and stored(agent)[1] is None
    assert service.presence_of(agent.id) is Presence.OFFLINE


@pytest.mark.parametrize("presence", [Presence.ONLINE, Presence.AWAY])
def test_presence_lapses_two_minutes_after_the_last_sign(agent, presence):
    start = utcnow()
    service.set_presence(agent, presence, now=start)
    assert service.presence_of(agent.id, start) is presence
    assert service.presence_of(agent.id, start + LAPSE - timedelta(seconds=1)) is presence
    assert service.presence_of(agent.id, start + LAPSE) is presence
    assert service.presence_of(agent.id, start + LAPSE + timedelta(seconds=1)) \
        is Presence.OFFLINE


def test_an_open_page_keeps_it_and_a_lapsed_one_does_not_revive_it(agent):
    start = utcnow()
    service.set_presence(agent, Presence.ONLINE, now=start)
    # Within REFRESH_AFTER of the last sign: nothing written.
    service.still_here(agent.id, start + REFRESH_AFTER)
    assert stored(agent)[1] == start
    later = start + timedelta(seconds=90)
    assert service.still_here(agent.id, later) is Presence.ONLINE
    assert stored(agent)[1] == later
    assert service.presence_of(agent.id, later + LAPSE) is Presence.ONLINE
    # The laptop closed: past the lapse, a page that wakes up finds its agent Offline, and
    # it stays so until they choose again.
    woke = later + LAPSE + timedelta(minutes=30)
    assert service.still_here(agent.id, woke) is Presence.OFFLINE
    assert stored(agent)[1] == later
    assert service.presence_of(agent.id, woke + timedelta(seconds=1)) is Presence.OFFLINE


def test_a_disabled_user_and_an_admin_are_always_offline(agent, admin):
    now = utcnow()
    service.set_presence(agent, Presence.ONLINE, now=now)
    with write_transaction():
        db.session.execute(update(User).values(presence=Presence.ONLINE,
                                               presence_seen_at=now))
    assert service.presence_of(admin.id, now) is Presence.OFFLINE
    with write_transaction():
        db.session.execute(update(User).where(User.id == agent.id)
                           .values(status=Status.DISABLED))
    assert service.presence_of(agent.id, now) is Presence.OFFLINE


def test_the_filter_and_the_column_agree_in_every_case(factory, account, admin):
    """shown_as (the users list's filter, written for the index) says what shown_presence
    (the column, the header, the Profile) says, for every mix of stored facts."""
    now = utcnow()
    cases = [(presence, status, role, seen_at)
             for presence in Presence for status in Status
             for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
             for seen_at in (None, now, now - LAPSE, now - LAPSE - timedelta(seconds=1),
                             now + timedelta(seconds=5))]
    for number, (presence, status, role, seen_at) in enumerate(cases):
        factory.user(account, role, username=f"case{number}", status=status,
                     presence=presence, presence_seen_at=seen_at)
    column = dict(db.session.execute(select(User.id, service.shown_presence(now))).all())
    for presence in Presence:
        filtered = set(db.session.scalars(select(User.id).where(
            service.shown_as(presence, now))))
        assert filtered == {user_id for user_id, shown in column.items()
                            if shown is presence}, presence
    assert set(column.values()) == set(Presence)  # each value really occurs
    assert all(isinstance(shown, Presence) for shown in column.values())


# -- Setting it -------------------------------------------------------------------------------

def test_the_header_offers_the_control_to_agents_and_supervisors(agent_client, factory,
                                                                 account, app):
    page = agent_client.get("/profile")
    control = re.search(r'<form id="presence".*?</form>', page.text, re.S).group(0)
    assert selected(control) == "offline"
    assert 'hx-post="/presence"' in control and 'hx-post="/presence/seen"' in control
    assert "every 40s" in control
    assert '<label for="presence-choice"' in control and "<noscript>" in control
    factory.user(account, Role.SUPERVISOR, username="sue")
    supervisor = app.test_client()
    Auth(supervisor).login(username="sue")
    assert 'id="presence"' in supervisor.get("/settings").text


def test_admins_have_no_presence_to_set(admin_client):
    assert 'id="presence"' not in admin_client.get("/users").text
    assert admin_client.post("/presence", data={"presence": "online"}).status_code == 403
    assert admin_client.post("/presence/seen", headers=HTMX).status_code == 403
    assert admin_client.get("/presence").status_code == 403


def test_visitors_are_sent_to_log_in(client):
    assert client.post("/presence", data={"presence": "online"}).status_code == 302
    answer = client.post("/presence/seen", headers=HTMX)
    assert answer.status_code == 401 and "HX-Redirect" in answer.headers


def test_going_online_is_saved_at_once(agent_client, agent):
    version = agent.version
    before = utcnow()
    response = set_to(agent_client, "online")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<form id="presence"')
    assert selected(response.text) == "online"
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == \
        "You are Online now."
    presence, seen_at, new_version = stored(agent)
    assert presence is Presence.ONLINE and seen_at >= before
    assert new_version == version  # bookkeeping: no edit conflict for anyone
    assert service.presence_of(agent.id) is Presence.ONLINE
    assert selected(agent_client.get("/profile").text) == "online"


def test_without_javascript_it_is_a_plain_form(agent_client, agent):
    response = set_to(agent_client, "away", htmx=False, next="/profile?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/profile?x=1"
    assert stored(agent)[0] is Presence.AWAY
    assert "You are Away now." in agent_client.get("/profile").text
    off_site = set_to(agent_client, "online", htmx=False, next="https://evil.example/")
    assert off_site.headers["Location"] == "/"


@pytest.mark.parametrize("value", ["", "busy", "ONLINE", "online\x00", "offline "])
def test_a_value_that_is_no_presence_changes_nothing(agent_client, agent, value):
    response = set_to(agent_client, value)
    assert response.status_code == 422
    assert json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "error"
    assert selected(response.text) == "offline"
    plain = set_to(agent_client, value, htmx=False, next="/profile")
    assert plain.status_code == 302
    assert stored(agent)[0] is Presence.OFFLINE


def test_presence_changes_are_not_in_the_activity_log(agent_client):
    entries = db.session.scalar(select(db.func.count(AuditEntry.id)))
    set_to(agent_client, "online")
    set_to(agent_client, "away")
    assert db.session.scalar(select(db.func.count(AuditEntry.id))) == entries


def test_an_admins_open_edit_is_no_conflict_after_a_presence_change(admin_client,
                                                                     agent_client, agent):
    form_version = agent.version
    set_to(agent_client, "online")
    agent_client.post("/presence/seen", headers=HTMX)
    response = save_edit(admin_client, agent, first_name="Annie", version=str(form_version))
    assert response.status_code == 200
    assert stored(agent)[0] is Presence.ONLINE


# -- The poll ----------------------------------------------------------------------------------

def test_the_poll_answers_204_while_the_page_shows_the_truth(agent_client, agent):
    set_to(agent_client, "online")
    seen(agent, timedelta(seconds=60))
    response = agent_client.post("/presence/seen", data={"presence": "online"}, headers=HTMX)
    assert response.status_code == 204
    assert utcnow() - stored(agent)[1] < timedelta(seconds=30)  # kept alive


def test_the_poll_brings_a_change_made_elsewhere(agent_client, agent):
    set_to(agent_client, "away")
    response = agent_client.post("/presence/seen", data={"presence": "online"}, headers=HTMX)
    assert response.status_code == 200 and selected(response.text) == "away"


def test_the_poll_of_a_lapsed_page_shows_offline(agent_client, agent):
    set_to(agent_client, "online")
    seen(agent, LAPSE + timedelta(seconds=5))
    response = agent_client.post("/presence/seen", data={"presence": "online"}, headers=HTMX)
    assert response.status_code == 200 and selected(response.text) == "offline"
    assert service.presence_of(agent.id) is Presence.OFFLINE
    assert selected(agent_client.get("/profile").text) == "offline"


# -- Logging out, disabling ---------------------------------------------------------------------

def test_logging_out_sets_offline(agent_client, agent):
    set_to(agent_client, "online")
    version = stored(agent)[2]
    agent_client.post("/logout")
    presence, _, new_version = stored(agent)
    assert presence is Presence.OFFLINE and new_version == version
    assert service.presence_of(agent.id) is Presence.OFFLINE


def test_a_disabled_agent_reads_as_offline(admin_client, agent_client, agent):
    set_to(agent_client, "online")
    assert save_edit(admin_client, agent, status="disabled").status_code == 200
    assert service.presence_of(agent.id) is Presence.OFFLINE


# -- The Profile ---------------------------------------------------------------------------------

def profile_facts(client) -> str:
    page = client.get("/profile")
    return re.search(r'<dl class="profile-facts">(.*?)</dl>', page.text, re.S).group(1)


def test_the_profile_shows_presence_division_and_workload(agent_client, agent, account):
    facts = profile_facts(agent_client)
    assert "<dd>General</dd>" in facts
    assert re.search(r"<dt>Presence</dt><dd><span[^>]*>Offline</span></dd>", facts)
    assert "5 chats at a time (the account's default)" in facts
    set_to(agent_client, "away")
    db.session.add(AgentWorkload(user_id=agent.id, max_chats=1))
    db.session.commit()
    facts = profile_facts(agent_client)
    assert re.search(r"<dt>Presence</dt><dd><span[^>]*>Away</span></dd>", facts)
    assert "1 chat at a time" in facts and "default" not in facts


def test_an_admins_profile_has_no_presence_or_workload(admin_client):
    facts = profile_facts(admin_client)
    assert "Presence" not in facts and "Workload" not in facts


# -- The users list (Admins) ---------------------------------------------------------------------

def presence_cell(html: str, user: User) -> str:
    row = re.search(rf'<tr id="user-{user.id}".*?</tr>', html, re.S).group(0)
    return re.search(r'<td class="pr (\w+)"[^>]*>([^<]*)<', row).groups()


@pytest.fixture
def team(factory, account, agent):
    """Ann Online, Sue Away, Otto Online but silent for three minutes (lapsed), Dan Online
    but disabled, and the Admin."""
    sue = factory.user(account, Role.SUPERVISOR, username="sue")
    otto = factory.user(account, Role.AGENT, username="otto")
    dan = factory.user(account, Role.AGENT, username="dan", status=Status.DISABLED)
    now = utcnow()
    for user, presence, ago in [(agent, Presence.ONLINE, 10), (sue, Presence.AWAY, 100),
                                (otto, Presence.ONLINE, 180), (dan, Presence.ONLINE, 10)]:
        service.set_presence(user, presence, now=now - timedelta(seconds=ago))
    return {"ann": agent, "sue": sue, "otto": otto, "dan": dan}


def test_admins_see_presence_as_a_column(admin_client, team, admin):
    page = admin_client.get("/users")
    assert '<th class="col-presence">Presence</th>' in page.text
    assert presence_cell(page.text, team["ann"]) == ("online", "Online")
    assert presence_cell(page.text, team["sue"]) == ("away", "Away")
    assert presence_cell(page.text, team["otto"]) == ("offline", "Offline")  # lapsed
    assert presence_cell(page.text, team["dan"]) == ("offline", "Offline")  # disabled
    assert presence_cell(page.text, admin) == ("offline", "Offline")
    # A single row, and a row being edited, read it the same way.
    one = admin_client.get(f"/users/{team['otto'].id}", headers=HTMX).text
    assert presence_cell(one, team["otto"]) == ("offline", "Offline")
    editing = admin_client.get(f"/users/{team['ann'].id}/edit", headers=HTMX).text
    assert presence_cell(editing, team["ann"]) == ("online", "Online")


# A display row's second cell (users/_row.html leaves the closing tags out).
USERNAME_CELL = r'<tr id="user-\d+"><td>[^<]*<td>(\w+)<'


@pytest.mark.parametrize("presence, expected", [
    ("online", {"ann"}), ("away", {"sue"}), ("offline", {"otto", "dan", "boss"}),
])
def test_the_presence_filter_counts_a_lapsed_presence_as_offline(admin_client, team,
                                                                 presence, expected):
    page = admin_client.get(f"/users?presence={presence}")
    assert page.status_code == 200
    shown = set(re.findall(USERNAME_CELL, page.text))
    assert shown == expected
    assert f'<option value="{presence}" selected>' in page.text
    # With a search and the other filters too.
    searched = admin_client.get(f"/users?presence={presence}&q=otto&role=Agent",
                                headers=HTMX)
    assert set(re.findall(USERNAME_CELL, searched.text)) == \
        expected & {"otto"}


def test_an_unknown_presence_filter_is_all(admin_client, team):
    page = admin_client.get("/users?presence=busy", headers=HTMX)
    assert page.status_code == 200
    assert len(re.findall(r'<td class="pr ', page.text)) == 5
    assert page.headers["HX-Push-Url"] == "/users"


def test_the_list_polls_its_rows_presence(admin_client, team, admin):
    page = admin_client.get("/users?presence=online")
    poll = re.search(r'<div hidden hx-get="(/users/presence\?ids=[^"]+)"[^>]*'
                     r'hx-trigger="every 15s" hx-swap="none"', page.text)
    assert poll and poll.group(1) == f"/users/presence?ids={team['ann'].id}"
    ids = ",".join(str(user.id) for user in team.values())
    # Sue's page closes: the poll finds her Offline.
    seen(team["sue"], LAPSE + timedelta(seconds=1))
    answer = admin_client.get(f"/users/presence?ids={ids}", headers=HTMX)
    assert answer.status_code == 200
    cells = re.findall(r'<template><td class="pr (\w+)" data-label="Presence" '
                       r'hx-swap-oob="outerHTML:#user-(\d+)>.pr">(\w+)</td></template>',
                       answer.text)
    assert {(int(user_id), presence) for presence, user_id, _ in cells} == {
        (team["ann"].id, "online"), (team["sue"].id, "offline"),
        (team["otto"].id, "offline"), (team["dan"].id, "offline")}


def test_the_poll_reads_only_the_admins_own_account(admin_client, factory, team):
    other = factory.account("Other")
    stranger = factory.user(other, Role.AGENT, username="stranger")
    answer = admin_client.get(f"/users/presence?ids={stranger.id}", headers=HTMX)
    assert answer.status_code == 200 and "user-" not in answer.text


@pytest.mark.parametrize("ids", ["", "abc", "1,,x,-3", "9" * 5000, "٣", "0,99999999999",
                                 ",".join(["1"] * 10000)])
def test_the_poll_takes_any_ids_without_failing(admin_client, team, ids):
    answer = admin_client.get("/users/presence", query_string={"ids": ids}, headers=HTMX)
    assert answer.status_code == 200


def test_the_poll_is_for_admins_and_htmx(admin_client, agent_client):
    assert admin_client.get("/users/presence?ids=1").status_code == 302
    assert agent_client.get("/users/presence?ids=1", headers=HTMX).status_code == 403


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
@pytest.mark.parametrize("presence", ["online", "away"])
def test_the_few_online_or_away_are_found_through_their_index(account, team, presence):
    plan = explain(listing.matching_ids(account.id, presence=presence).limit(25))
    assert any("ix_users_account_presence_newest" in step for step in plan), plan
