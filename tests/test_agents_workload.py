"""Agent Management → Workload: the account's default (1–100, 5 for a new account), each
agent's own Workload, and the idle rule; none of them touches the user's row."""

import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from tests.conftest import HTMX, on_postgresql
from tests.test_data_safety import create_over_http, query_live
from tests.test_users_create import popup_problems
from webapp.extensions import db
from webapp.models import Account, AgentWorkload, AuditAction, AuditEntry, Role

VALID = {"default_workload": "5", "idle_minutes": "15", "idle_tries": "3"}


@pytest.fixture
def agent(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann", first_name="Ann")


def save(client, data, htmx=True):
    return client.post("/agents/workload", data=data, headers=HTMX if htmx else {})


def save_own(client, user, value, htmx=True):
    return client.post(f"/agents/workload/{user.id}", data={f"workload-{user.id}-max_chats": value},
                       headers=HTMX if htmx else {})


def own_workload(user) -> int | None:
    row = db.session.get(AgentWorkload, user.id)
    return row.max_chats if row else None


def test_a_new_account_starts_with_5_and_the_idle_rule_off(app):
    account = Account.create("Fresh")
    db.session.commit()
    assert (account.default_workload, account.idle_rule_on, account.idle_tries) == (5, False, 3)


def test_the_page_lists_agents_and_supervisors_not_admins(admin_client, factory, account,
                                                          agent):
    supervisor = factory.user(account, Role.SUPERVISOR, username="sue")
    page = admin_client.get("/agents/workload")
    assert page.status_code == 200 and "<html" in page.text
    assert f'id="workload-{agent.id}"' in page.text
    assert f'id="workload-{supervisor.id}"' in page.text
    assert ">boss<" not in page.text  # the Admin has no Workload
    assert "Default (5)" in page.text
    assert 'value="5"' in page.text and "Idle rule" in page.text


def test_saving_the_default_and_the_idle_rule(admin_client, account):
    response = save(admin_client, {"default_workload": "8", "idle_rule_on": "y",
                                   "idle_minutes": "30", "idle_tries": "4"})
    assert response.status_code == 200
    assert "Workload saved" in response.headers["HX-Trigger"]
    assert "workload-default-changed" in response.headers["HX-Trigger"]
    db.session.refresh(account)
    assert (account.default_workload, account.idle_rule_on, account.idle_minutes,
            account.idle_tries) == (8, True, 30, 4)
    [entry] = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == AuditAction.WORKLOAD_CHANGED)).all()
    assert {"field": "default_workload", "old": "5", "new": "8"} in entry.changes
    assert {"field": "idle_rule_on", "old": "off", "new": "on"} in entry.changes


@pytest.mark.parametrize("field, value, message", [
    ("default_workload", "0", "Workload must be a whole number from 1 to 100."),
    ("default_workload", "101", "Workload must be a whole number from 1 to 100."),
    ("default_workload", "abc", "Workload must be a whole number from 1 to 100."),
    ("default_workload", "2.5", "Workload must be a whole number from 1 to 100."),
    ("default_workload", "9" * 30, "Workload must be a whole number from 1 to 100."),
    ("default_workload", "", "Default Workload field is required"),
    ("idle_minutes", "0", "Idle period must be a whole number of minutes from 1 to 1,440."),
    ("idle_minutes", "1441", "Idle period must be a whole number of minutes from 1 to 1,440."),
    ("idle_tries", "11", "Tries must be a whole number from 1 to 10."),
    ("idle_tries", "\x00", "Tries must be a whole number from 1 to 10."),
    # int() takes these; a person typing them meant something else.
    ("default_workload", "1_0", "Workload must be a whole number from 1 to 100."),
    ("default_workload", "\u0663", "Workload must be a whole number from 1 to 100."),
    ("default_workload", "\uff15", "Workload must be a whole number from 1 to 100."),
    ("idle_tries", "", "Tries field is required"),
])
def test_bad_values_are_422_with_the_reason(admin_client, account, field, value, message):
    response = save(admin_client, VALID | {field: value})
    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(account)
    assert account.default_workload == 5


@pytest.mark.parametrize("value", ["1", "100"])
def test_the_ends_of_the_range_are_accepted(admin_client, account, value):
    assert save(admin_client, VALID | {"default_workload": value}).status_code == 200
    db.session.refresh(account)
    assert account.default_workload == int(value)


def test_an_agents_own_workload_is_set_and_cleared(admin_client, agent):
    edit = admin_client.get(f"/agents/workload/{agent.id}/edit", headers=HTMX)
    assert edit.text.lstrip().startswith(f'<tr id="workload-{agent.id}" class="editing"')
    response = save_own(admin_client, agent, "12")
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="workload-{agent.id}">')
    assert ">12<" in response.text
    assert "Workload of Ann Tester saved" in response.headers["HX-Trigger"]
    assert own_workload(agent) == 12
    cleared = save_own(admin_client, agent, "")
    assert cleared.status_code == 200 and "Default (5)" in cleared.text
    assert own_workload(agent) is None
    logged = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == AuditAction.AGENT_WORKLOAD_CHANGED).order_by(AuditEntry.id)).all()
    assert [entry.changes for entry in logged] == [
        [{"field": "workload", "old": "", "new": "12"}],
        [{"field": "workload", "old": "12", "new": ""}]]
    assert logged[0].target_id == agent.id


@pytest.mark.parametrize("value", ["0", "101", "abc", "-3", "\x00"])
def test_an_own_workload_out_of_range_is_422(admin_client, agent, value):
    response = save_own(admin_client, agent, value)
    assert response.status_code == 422
    assert "Workload must be a whole number from 1 to 100." in popup_problems(response.text)
    assert own_workload(agent) is None


def test_an_own_workload_never_makes_an_open_edit_of_the_user_a_conflict(admin_client, agent):
    version = agent.version
    assert save_own(admin_client, agent, "7").status_code == 200
    db.session.refresh(agent)
    assert agent.version == version
    prefix = f"user-{agent.id}-"
    edited = admin_client.post(f"/users/{agent.id}", headers=HTMX, data={
        f"{prefix}first_name": "Annie", f"{prefix}username": "ann",
        f"{prefix}email": agent.email, f"{prefix}role": "Agent",
        f"{prefix}division": str(agent.division_id), f"{prefix}status": "active",
        f"{prefix}version": str(version)})
    assert edited.status_code == 200, edited.text


def test_deleting_the_user_deletes_their_workload(admin_client, agent):
    agent_id = agent.id
    save_own(admin_client, agent, "9")
    assert admin_client.post(f"/users/{agent_id}/delete", headers=HTMX).status_code == 204
    assert db.session.get(AgentWorkload, agent_id) is None


def test_admins_and_other_accounts_users_have_no_workload_row(admin_client, admin, factory):
    stranger = factory.user(factory.account("Other"), Role.AGENT, username="stranger")
    for user in (admin, stranger):
        assert admin_client.get(f"/agents/workload/{user.id}/edit").status_code == 404
        assert save_own(admin_client, user, "3").status_code == 404
        assert db.session.get(AgentWorkload, user.id) is None


def test_whole_pages_for_each_state(admin_client, agent):
    for path in ("", f"/{agent.id}", f"/{agent.id}/edit", "/agents", "/agents?page=2"):
        page = admin_client.get(f"/agents/workload{path}")
        assert page.status_code == 200 and "<html" in page.text, path
    response = save_own(admin_client, agent, "4", htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == "/agents/workload"
    response = save(admin_client, VALID, htmx=False)
    assert response.status_code == 302


def test_the_agents_list_pages(admin_client, factory, account):
    for number in range(55):
        factory.user(account, Role.AGENT, username=f"agent{number:02d}")
    first = admin_client.get("/agents/workload/agents", headers=HTMX)
    assert first.text.count('<tr id="workload-') == 50 and "Page 1 of 2" in first.text
    second = admin_client.get("/agents/workload/agents?page=2", headers=HTMX)
    assert second.text.count('<tr id="workload-') == 5
    assert "agent00" in second.text


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_get_403(client, auth, factory, account, agent, role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    assert client.get("/agents/workload").status_code == 403
    assert save(client, VALID | {"default_workload": "50"}).status_code == 403
    assert save_own(client, agent, "50").status_code == 403
    assert own_workload(agent) is None


@pytest.mark.parametrize("path, status", [
    ("/agents/workload/agents?page=99999999999999999999", 200),
    ("/agents/workload/agents?page=-5", 200), ("/agents/workload/agents?page=abc", 200),
    ("/agents/workload/agents?page=last", 200), ("/agents/workload?page=%00", 200),
    ("/agents/workload/2147483648", 404), ("/agents/workload/99999999999999999999/edit", 404),
    ("/agents/workload/0", 404),
])
def test_odd_urls(admin_client, agent, path, status):
    for headers in ({}, HTMX):
        assert admin_client.get(path, headers=headers).status_code == status, path


@pytest.mark.skipif(not on_postgresql(), reason="SQLite runs one write transaction at a "
                    "time: the save simply waits for the other to end")
def test_a_first_own_workload_saved_while_another_is_being_saved_waits_for_it(server, root):
    """Another save of the agent's first own Workload holds the account (as the service
    does) and has inserted the row, not committed yet. This save must wait for it and then
    update that row; without the account lock it found no row, inserted one too, and
    failed on the primary key once the other committed (a 500)."""
    agent_id = create_over_http(server, root, "busy.agent")
    account_id = query_live(server, "SELECT account_id FROM users WHERE id = :id",
                            id=agent_id)[0][0]
    engine = create_engine(server.env["DATABASE_URL"])
    replies = []
    try:
        with engine.connect() as other_save:
            other_save.execute(text("SELECT id FROM accounts WHERE id = :id FOR NO KEY UPDATE"),
                               {"id": account_id})
            other_save.execute(text("INSERT INTO agent_workloads (user_id, max_chats) "
                                    "VALUES (:id, 7)"), {"id": agent_id})
            saving = threading.Thread(target=lambda: replies.append(root.request(
                "POST", f"/agents/workload/{agent_id}", {f"workload-{agent_id}-max_chats": "9"},
                headers={"HX-Request": "true", "X-CSRFToken": root.csrf_token})))
            saving.start()
            time.sleep(1)  # let the save reach the lock (it waits up to lock_timeout, 5 s)
            other_save.commit()
        saving.join()
    finally:
        engine.dispose()
    assert replies[0].status == 200, replies[0].text[:300]
    assert query_live(server, "SELECT max_chats FROM agent_workloads WHERE user_id = :id",
                      id=agent_id) == [(9,)]
