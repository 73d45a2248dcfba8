"""The allocator's rules (SPEC §7), one example each, through the service functions every
path calls. Properties over random sequences are in test_allocator_properties.py, races
between real processes in test_allocator_races.py."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.chats.allocator import Actor, Refused
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import (
    ActorKind,
    AgentWorkload,
    Chat,
    ChatStatus,
    DecisionReason,
    Presence,
    Role,
    Status,
    User,
    utcnow,
)
from webapp.presence import service as presence
from webapp.users import service as users

API = Actor(ActorKind.API, 1, "platform")


@pytest.fixture
def online(factory, account):
    """An Agent of the account, Online (from a browser, just now)."""

    def make(username=None, division=None, workload=None, by_api=False, **fields):
        agent = factory.user(account, Role.AGENT, username=username, division=division,
                             **fields)
        if workload is not None:
            with write_transaction():
                db.session.add(AgentWorkload(user_id=agent.id, max_chats=workload))
        if by_api:  # lasts however far a test moves the clock (the idle rule's)
            presence.set_presence_by_api(agent, Presence.ONLINE)
        else:
            presence.set_presence(agent, Presence.ONLINE)
        return agent

    return make


def intake(account, external_id, channel="whatsapp", division=None, now=None) -> Chat:
    chat, _created = allocator.receive_chat(
        account.id, channel=channel, external_id=external_id, customer_name="Ani",
        division_id=division.id if division else None, actor=API, now=now)
    return chat


def holder(chat: Chat) -> str | None:
    chat = db.session.get(Chat, chat.id, populate_existing=True)
    return chat.agent.username if chat.agent else None


def decisions(chat: Chat) -> list[tuple[DecisionReason, str, str]]:
    return [(d.reason, d.from_name, d.to_name)
            for d in allocator.decisions_of(db.session.get(Chat, chat.id))]


def queue(account) -> list[str]:
    return list(db.session.scalars(select(Chat.external_id).where(
        Chat.account_id == account.id, Chat.status == ChatStatus.QUEUED).order_by(Chat.id)))


def set_switches(account, admin, **switches):
    values = {name: getattr(account, name) for name in agents.SWITCHES} | switches
    agents.save_allocation(account.id, values, admin)
    db.session.expire_all()


# -- auto allocation ----------------------------------------------------------------------------

def test_a_new_chat_goes_to_an_online_agent_and_the_decision_is_recorded(account, online):
    budi = online("budi")
    chat = intake(account, "wa-1")
    assert chat.status == ChatStatus.ASSIGNED and holder(chat) == "budi"
    [decision] = allocator.decisions_of(chat)
    assert decision.reason == DecisionReason.AUTO
    assert decision.actor_kind == ActorKind.ALLOCATOR
    assert decision.candidates == [{"id": budi.id, "username": "budi", "load": 0,
                                    "capacity": 5}]


def test_with_no_one_online_the_chat_waits_and_drains_when_an_agent_comes_online(
        account, factory):
    first, second = intake(account, "wa-1"), intake(account, "wa-2")
    assert queue(account) == ["wa-1", "wa-2"]
    assert allocator.queue_position(second) == 2
    assert decisions(first) == [(DecisionReason.ARRIVED, "", "")]
    agent = factory.user(account, Role.AGENT, username="sari")
    presence.set_presence(agent, Presence.ONLINE)
    assert queue(account) == []
    assert holder(first) == holder(second) == "sari"


def test_the_least_loaded_relative_to_workload_wins(account, online):
    small = online("small", workload=2)
    online("big", workload=10)
    intake(account, "wa-1")  # both at 0: "small" was never given one, nor "big": lower id
    assert holder(intake(account, "wa-2")) == "big"  # small 1/2, big 0/10
    for number in range(3, 6):
        intake(account, f"wa-{number}")
    # small holds 1 of 2 (0.5); big took the rest while below 0.5.
    loads = {entry.user.username: entry.load for entry in allocator.roster(small.account_id)}
    assert loads == {"small": 1, "big": 4}


def test_ties_go_to_the_agent_given_a_chat_longest_ago_never_counting_as_longest(
        account, online):
    early, never = online("early"), online("never")
    with write_transaction():
        db.session.execute(update(User).where(User.id == early.id)
                           .values(last_chat_at=utcnow() - timedelta(days=1)))
    assert holder(intake(account, "wa-1")) == "never"
    assert holder(intake(account, "wa-2")) == "early"
    assert never.id > early.id


def test_then_the_lower_user_id(account, online):
    first, _second = online("first"), online("second")
    assert holder(intake(account, "wa-1")) == first.username


def test_never_over_capacity_and_the_queue_drains_oldest_first(account, online):
    online("budi", workload=2)
    chats = [intake(account, f"wa-{n}") for n in range(1, 6)]
    assert [chat.status for chat in chats] == [ChatStatus.ASSIGNED] * 2 + [ChatStatus.QUEUED] * 3
    assert queue(account) == ["wa-3", "wa-4", "wa-5"]
    allocator.resolve_chat(account.id, chats[0].id, API)
    assert queue(account) == ["wa-4", "wa-5"]
    assert holder(chats[2]) == "budi"
    assert allocator.resolve_chat(account.id, chats[0].id, API).status == ChatStatus.RESOLVED


def test_intake_is_idempotent_resolved_or_not(account, online):
    online("budi")
    chat, created = allocator.receive_chat(account.id, channel="whatsapp", external_id="x",
                                           customer_name="Ani", division_id=None, actor=API)
    again, created_again = allocator.receive_chat(
        account.id, channel="whatsapp", external_id="x", customer_name="Other",
        division_id=None, actor=API)
    assert (created, created_again, again.id) == (True, False, chat.id)
    allocator.resolve_chat(account.id, chat.id, API)
    third, created_third = allocator.receive_chat(
        account.id, channel="whatsapp", external_id="x", customer_name="Ani",
        division_id=None, actor=API)
    assert (third.id, third.status, created_third) == (chat.id, ChatStatus.RESOLVED, False)
    assert db.session.scalar(select(func.count(Chat.id))) == 1


# -- divisions and channels ---------------------------------------------------------------------

def test_a_chat_naming_a_division_goes_only_to_its_agents(account, factory, online):
    sales = factory.division(account, "Sales")
    online("general")
    online("seller", division=sales)
    for number in range(3):
        assert holder(intake(account, f"wa-{number}", division=sales)) == "seller"


def test_a_chat_goes_to_the_divisions_serving_its_channel_else_to_any(account, factory, online,
                                                                        admin):
    sales = factory.division(account, "Sales")
    agents.update_division(sales, "Sales", ["instagram"], admin)
    online("general")
    online("seller", division=sales)
    assert {holder(intake(account, f"ig-{n}", channel="instagram")) for n in range(3)} == {
        "seller"}
    # No division serves telegram: any division's agent may take it; "general" has fewer.
    assert holder(intake(account, "tg-1", channel="telegram")) == "general"


def test_first_come_first_served_an_older_chat_is_not_overtaken(account, factory, admin):
    sales = factory.division(account, "Sales")
    older = intake(account, "wa-old", division=sales)
    newer = intake(account, "wa-new")
    seller = factory.user(account, Role.AGENT, username="seller", division=sales)
    agents.set_agent_workload(seller, 1, admin)
    presence.set_presence(seller, Presence.ONLINE)
    assert holder(older) == "seller" and holder(newer) is None


# -- what makes the queue drain -----------------------------------------------------------------

def test_a_raised_workload_drains_the_queue(account, online, admin):
    budi = online("budi", workload=1)
    intake(account, "wa-1"), intake(account, "wa-2")
    assert queue(account) == ["wa-2"]
    agents.set_agent_workload(db.session.get(User, budi.id), 2, admin)
    assert queue(account) == []


def test_switching_auto_on_drains_and_with_it_off_chats_wait(account, online, admin):
    set_switches(account, admin, auto_allocation=False)
    online("budi")
    chat = intake(account, "wa-1")
    assert chat.status == ChatStatus.QUEUED
    [arrived] = allocator.decisions_of(chat)
    assert [c["username"] for c in arrived.candidates] == ["budi"]  # for Custom's choice
    set_switches(account, admin, auto_allocation=True)
    assert holder(chat) == "budi"


def test_a_member_moved_into_a_division_takes_its_waiting_chats(account, factory, online, admin):
    sales = factory.division(account, "Sales")
    chat = intake(account, "wa-1", division=sales)
    agent = online("budi")
    users.update_user(agent, {"division_id": sales.id}, admin, agent.version)
    assert holder(chat) == "budi"


# -- an agent leaves ----------------------------------------------------------------------------

def test_a_disabled_agents_chats_go_back_to_their_original_place_and_drain(account, online,
                                                                           factory, admin):
    budi = online("budi", workload=2)
    first, second = intake(account, "wa-1"), intake(account, "wa-2")
    third = intake(account, "wa-3")
    assert queue(account) == ["wa-3"]
    users.update_user(budi, {"status": Status.DISABLED}, admin, budi.version)
    assert queue(account) == ["wa-1", "wa-2", "wa-3"]
    assert allocator.queue_position(db.session.get(Chat, first.id)) == 1
    assert decisions(first)[-1] == (DecisionReason.AGENT_LEFT, "budi", "")
    online("sari", workload=2)
    assert queue(account) == ["wa-3"]
    assert holder(first) == holder(second) == "sari" and holder(third) is None


def test_a_deleted_agents_chats_go_back_to_the_queue(account, online, admin):
    budi = online("budi")
    chat = intake(account, "wa-1")
    users.delete_user(budi, admin)
    assert queue(account) == ["wa-1"]
    assert decisions(chat)[-1] == (DecisionReason.AGENT_LEFT, "budi", "")


def test_an_agent_moved_to_another_division_leaves_their_chats(account, factory, online, admin):
    sales = factory.division(account, "Sales")
    budi = online("budi")
    chat = intake(account, "wa-1", division=account.divisions[0])
    users.update_user(budi, {"division_id": sales.id}, admin, budi.version)
    assert queue(account) == ["wa-1"] and holder(chat) is None


def test_going_away_keeps_open_chats_and_stops_new_ones(account, online):
    budi = online("budi")
    chat = intake(account, "wa-1")
    presence.set_presence(budi, Presence.AWAY)
    assert holder(chat) == "budi"
    assert intake(account, "wa-2").status == ChatStatus.QUEUED


def test_presence_set_in_the_browser_lapses_and_through_the_api_does_not(account, factory):
    browser, api = (factory.user(account, Role.AGENT, username=name) for name in ("web", "api"))
    long_ago = utcnow() - timedelta(minutes=10)
    presence.set_presence(browser, Presence.ONLINE, now=long_ago)
    presence.set_presence_by_api(api, Presence.ONLINE, now=long_ago)
    assert holder(intake(account, "wa-1")) == "api"
    assert presence.presence_of(browser.id) == Presence.OFFLINE


# -- takeover, transfer, assign -----------------------------------------------------------------

def test_get_new_chat_takes_the_oldest_chat_the_agent_may_take(account, factory, online, admin):
    set_switches(account, admin, auto_allocation=False)
    sales = factory.division(account, "Sales")
    intake(account, "wa-sales", division=sales)
    mine = intake(account, "wa-general")
    budi = online("budi")
    with pytest.raises(Refused) as refused:
        allocator.take_next_chat(budi)
    assert refused.value.code == "takeover_off"
    set_switches(account, admin, agent_can_take_over=True)
    assert allocator.take_next_chat(budi).id == mine.id
    assert allocator.take_next_chat(budi) is None
    assert decisions(mine)[-1] == (DecisionReason.TAKEOVER, "", "budi")


def test_get_new_chat_is_refused_when_offline_or_full(account, factory, online, admin):
    set_switches(account, admin, auto_allocation=False, agent_can_take_over=True)
    offline = factory.user(account, Role.AGENT, username="off")
    with pytest.raises(Refused) as refused:
        allocator.take_next_chat(offline)
    assert refused.value.code == "not_online"
    budi = online("budi", workload=1)
    intake(account, "wa-1"), intake(account, "wa-2")
    allocator.take_next_chat(budi)
    with pytest.raises(Refused) as refused:
        allocator.take_next_chat(budi)
    assert refused.value.code == "full"


def test_an_agent_transfers_their_chat_only_when_allowed(account, online, admin):
    budi, sari = online("budi"), online("sari")
    chat = intake(account, "wa-1")
    assert holder(chat) == "budi"
    with pytest.raises(Refused) as refused:
        allocator.assign_chat(account.id, chat.id, sari, Actor.of_user(budi),
                              DecisionReason.TRANSFER)
    assert refused.value.code == "transfer_off"
    set_switches(account, admin, agent_can_transfer=True)
    with pytest.raises(Refused) as refused:
        allocator.assign_chat(account.id, chat.id, budi, Actor.of_user(sari),
                              DecisionReason.TRANSFER)
    assert refused.value.code == "not_your_chat"
    allocator.assign_chat(account.id, chat.id, sari, Actor.of_user(budi),
                          DecisionReason.TRANSFER)
    assert holder(chat) == "sari"
    assert decisions(chat)[-1] == (DecisionReason.TRANSFER, "budi", "sari")


def test_a_chat_handed_back_goes_to_someone_else_when_anyone_else_can_take_it(account, online,
                                                                            admin):
    set_switches(account, admin, agent_can_transfer=True)
    budi = online("budi")
    sari = online("sari", workload=1)
    chat = intake(account, "wa-1")
    intake(account, "wa-2")  # Sari full: Budi is the less loaded one, not Sari at 1 of 1
    assert holder(chat) == "budi"
    allocator.resolve_chat(account.id, intake(account, "wa-3").id, API)
    allocator.assign_chat(account.id, chat.id, None, Actor.of_user(budi),
                          DecisionReason.TRANSFER)
    assert holder(chat) == "budi"  # no one else has room: back to Budi, never stranded
    allocator.resolve_chat(account.id, db.session.scalar(
        select(Chat.id).where(Chat.external_id == "wa-2")), API)
    allocator.assign_chat(account.id, chat.id, None, Actor.of_user(budi),
                          DecisionReason.TRANSFER)
    assert holder(chat) == sari.username  # tried agents come last


def test_a_chat_the_idle_rule_took_goes_back_to_its_first_agent_when_the_second_leaves(
        account, online, admin):
    """Found in review: the tried list must not strand a chat in the queue."""
    agents.save_workload_settings(account.id, {"default_workload": 5, "idle_rule_on": True,
                                               "idle_minutes": 1, "idle_tries": 3}, admin)
    start = utcnow()
    online("a", by_api=True)
    chat = intake(account, "x", now=start)
    b = online("b", by_api=True)
    allocator.note_message(account.id, chat.id, "customer", API, now=start)
    allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=1))
    assert holder(chat) == "b"
    users.update_user(b, {"status": Status.DISABLED}, admin, b.version)
    assert holder(chat) == "a"


def test_get_new_chat_takes_a_chat_the_agent_handed_back(account, online, admin):
    set_switches(account, admin, auto_allocation=False, agent_can_take_over=True,
                 agent_can_transfer=True)
    budi = online("budi")
    chat = intake(account, "wa-1")
    allocator.take_next_chat(budi)
    allocator.assign_chat(account.id, chat.id, None, Actor.of_user(budi),
                          DecisionReason.TRANSFER)
    assert allocator.take_next_chat(budi).id == chat.id


def test_an_agent_moved_keeps_the_chats_their_new_division_takes(account, factory, online,
                                                                  admin):
    sales = factory.division(account, "Sales")
    budi = online("budi")
    anyone = intake(account, "wa-any")
    general_only = intake(account, "wa-general", division=account.divisions[0])
    users.update_user(budi, {"division_id": sales.id}, admin, budi.version)
    assert holder(anyone) == "budi" and holder(general_only) is None
    assert decisions(general_only)[-1] == (DecisionReason.AGENT_LEFT, "budi", "")


def test_an_agent_disabled_and_enabled_again_starts_offline(account, factory, admin):
    budi = factory.user(account, Role.AGENT, username="budi")
    presence.set_presence_by_api(budi, Presence.ONLINE)
    users.update_user(budi, {"status": Status.DISABLED}, admin, budi.version)
    budi = db.session.get(User, budi.id)
    users.update_user(budi, {"status": Status.ACTIVE}, admin, budi.version)
    assert presence.presence_of(budi.id) == Presence.OFFLINE
    assert intake(account, "wa-1").status == ChatStatus.QUEUED


@pytest.mark.parametrize(("problem", "code", "status"), [
    ("offline", "agent_not_online", 409), ("full", allocator.AGENT_FULL, 409),
    ("other division", "agent_other_division", 409), ("disabled", "not_an_agent", 422)])
def test_the_api_never_assigns_to_an_agent_who_is_not_eligible(account, factory, online, admin,
                                                               problem, code, status):
    set_switches(account, admin, auto_allocation=False, custom_allocation=True)
    chat = intake(account, "wa-1")
    if problem == "offline":
        agent = factory.user(account, Role.AGENT, username="x")
    elif problem == "full":
        agent = online("x", workload=1)
        allocator.assign_chat(account.id, intake(account, "wa-2").id, agent, API,
                              DecisionReason.CUSTOM)
    elif problem == "other division":
        agent = online("x", division=factory.division(account, "Sales"))
        chat = intake(account, "wa-3", division=account.divisions[0])
    else:
        agent = online("x", status=Status.DISABLED)
    with pytest.raises(Refused) as refused:
        allocator.assign_chat(account.id, chat.id, agent, API, DecisionReason.CUSTOM,
                              over_capacity=True)
    assert (refused.value.code, refused.value.status) == (code, status)
    assert holder(chat) is None


def test_a_supervisor_assigns_over_capacity_only_by_confirming_and_it_is_recorded(
        account, online, factory, admin):
    set_switches(account, admin, auto_allocation=False)
    budi = online("budi", workload=1)
    boss = Actor.of_user(admin)
    first, second = intake(account, "wa-1"), intake(account, "wa-2")
    allocator.assign_chat(account.id, first.id, budi, boss, DecisionReason.SUPERVISOR)
    with pytest.raises(Refused) as refused:
        allocator.assign_chat(account.id, second.id, budi, boss, DecisionReason.SUPERVISOR)
    assert refused.value.code == allocator.AGENT_FULL
    allocator.assign_chat(account.id, second.id, budi, boss, DecisionReason.SUPERVISOR,
                          over_capacity=True)
    last = allocator.decisions_of(db.session.get(Chat, second.id))[-1]
    assert (last.reason, last.over_capacity, last.actor_name) == (
        DecisionReason.SUPERVISOR, True, admin.username)


def test_a_resolved_chat_cannot_move_or_take_messages(account, online):
    budi = online("budi")
    chat = intake(account, "wa-1")
    allocator.resolve_chat(account.id, chat.id, API)
    for attempt in (lambda: allocator.assign_chat(account.id, chat.id, budi, API,
                                                  DecisionReason.CUSTOM),
                    lambda: allocator.note_message(account.id, chat.id, "customer", API)):
        with pytest.raises(Refused) as refused:
            attempt()
        assert refused.value.code == "chat_resolved"


def test_another_accounts_chat_is_not_found(account, factory, online):
    other = factory.account("Other")
    chat = intake(account, "wa-1")
    with pytest.raises(Refused) as refused:
        allocator.resolve_chat(other.id, chat.id, API)
    assert refused.value.status == 404


# -- the idle rule ------------------------------------------------------------------------------

def test_the_idle_rule_hands_an_unanswered_chat_on_then_flags_it(account, online, admin):
    agents.save_workload_settings(account.id, {"default_workload": 5, "idle_rule_on": True,
                                               "idle_minutes": 10, "idle_tries": 1}, admin)
    start = utcnow()
    budi = online("budi", by_api=True)
    chat = intake(account, "wa-1", now=start)
    sari = online("sari", by_api=True)
    allocator.note_message(account.id, chat.id, "customer", API, now=start)
    assert allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=9)) == 0
    assert allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=10)) == 1
    assert holder(chat) == sari.username
    assert decisions(chat)[-1] == (DecisionReason.IDLE_RULE, "budi", "sari")
    # The one try is used: the next idle period leaves it with Sari, flagged.
    assert allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=20)) == 1
    chat = db.session.get(Chat, chat.id, populate_existing=True)
    assert (holder(chat), chat.idle_flagged, chat.tried_agent_ids) == ("sari", True, [budi.id])
    allocator.note_message(account.id, chat.id, "agent", API)
    assert db.session.get(Chat, chat.id, populate_existing=True).idle_flagged is False


def test_the_idle_rule_never_hands_a_chat_to_an_agent_already_tried(account, online, admin):
    agents.save_workload_settings(account.id, {"default_workload": 5, "idle_rule_on": True,
                                               "idle_minutes": 1, "idle_tries": 5}, admin)
    start = utcnow()
    online("budi", by_api=True)
    chat = intake(account, "wa-1", now=start)
    online("sari", by_api=True)
    allocator.note_message(account.id, chat.id, "customer", API, now=start)
    allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=1))
    assert holder(chat) == "sari"
    # Budi was tried: the chat stays with Sari, not flagged (tries are left).
    allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=3))
    assert holder(chat) == "sari"


def test_the_idle_rule_is_off_for_a_new_account(account, online):
    online("budi", by_api=True)
    chat = intake(account, "wa-1")
    allocator.note_message(account.id, chat.id, "customer", API)
    online("sari", by_api=True)
    assert allocator.apply_idle_rule(account.id, now=utcnow() + timedelta(days=1)) == 0


# -- the lock -----------------------------------------------------------------------------------

def test_the_allocation_lock_comes_before_any_write(account, admin):
    with pytest.raises(RuntimeError, match="before the transaction's first write"):
        with write_transaction():
            admin.first_name = "Changed"
            db.session.flush()
            allocator.lock_allocation(account.id)


def test_the_allocation_lock_is_refused_outside_a_write_transaction(account):
    with pytest.raises(RuntimeError):
        allocator.lock_allocation(account.id)


def test_drain_queue_gives_nothing_twice(account, online, admin):
    set_switches(account, admin, auto_allocation=False)
    online("budi", workload=1)
    intake(account, "wa-1"), intake(account, "wa-2")
    with write_transaction():
        db.session.execute(update(type(account)).where(type(account).id == account.id)
                           .values(auto_allocation=True))
    assert allocator.drain_queue(account.id) == 1
    assert allocator.drain_queue(account.id) == 0
    assert queue(account) == ["wa-2"]


def test_an_idle_handover_drains_the_queue(account, factory, online, admin):
    """Found by the property tests: the agent the idle rule took a chat from has room."""
    agents.save_workload_settings(account.id, {"default_workload": 5, "idle_rule_on": True,
                                               "idle_minutes": 1, "idle_tries": 3}, admin)
    sales = factory.division(account, "Sales")
    start = utcnow()
    online("a", workload=1, by_api=True)
    online("b", division=sales, by_api=True)
    first = intake(account, "x", now=start)
    waiting = intake(account, "y", division=account.divisions[0], now=start)
    assert holder(first) == "a" and holder(waiting) is None
    allocator.note_message(account.id, first.id, "customer", API, now=start)
    allocator.apply_idle_rule(account.id, now=start + timedelta(minutes=1))
    assert holder(first) == "b" and holder(waiting) == "a"
