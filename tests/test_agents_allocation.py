"""Agent Management → Agent Allocation: the four switches of SPEC §6, Auto and Custom never
both on (422 naming the other), stored per account, changes in the Activity log."""

import re

import pytest
from sqlalchemy import select

from tests.conftest import HTMX
from tests.test_users_create import popup_problems
from webapp.extensions import db
from webapp.models import Account, AuditAction, AuditEntry, Role

SWITCH_WORDS = ("Agent can takeover unassigned chat", "Agent can assign room to another agent",
                "Auto agent allocation", "Custom agent allocation")


def save(client, *on, htmx=True):
    return client.post("/agents/allocation", data={name: "y" for name in on},
                       headers=HTMX if htmx else {})


def switches(account) -> dict:
    db.session.refresh(account)
    return {name: getattr(account, name) for name in (
        "agent_can_take_over", "agent_can_transfer", "auto_allocation", "custom_allocation")}


def test_a_new_account_starts_with_auto_on_and_the_rest_off(app):
    account = Account.create("Fresh")
    db.session.commit()
    assert switches(account) == {"agent_can_take_over": False, "agent_can_transfer": False,
                                 "auto_allocation": True, "custom_allocation": False}


def test_the_page_shows_the_four_switches_with_their_explanations(admin_client):
    page = admin_client.get("/agents/allocation")
    assert page.status_code == 200 and "<html" in page.text
    for words in SWITCH_WORDS:
        assert words in page.text
    assert page.text.count('role="switch"') == 4
    assert page.text.count('class="field-hint"') >= 4
    assert re.search(r'<input [^>]*\bchecked\b[^>]* id="auto_allocation"', page.text)
    assert not re.search(r'<input [^>]*\bchecked\b[^>]* id="custom_allocation"', page.text)
    fragment = admin_client.get("/agents/allocation", headers=HTMX)
    assert fragment.text.lstrip().startswith("<form") and "<html" not in fragment.text


def test_saving_stores_and_logs_what_changed(admin_client, account):
    response = save(admin_client, "agent_can_take_over", "auto_allocation")
    assert response.status_code == 200
    assert "Agent Allocation saved" in response.headers["HX-Trigger"]
    assert switches(account)["agent_can_take_over"] is True
    [entry] = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == AuditAction.ALLOCATION_CHANGED)).all()
    assert entry.changes == [{"field": "agent_can_take_over", "old": "off", "new": "on"}]
    assert entry.account_id == account.id and entry.actor_name == "boss"


def test_saving_the_same_switches_logs_nothing(admin_client):
    assert save(admin_client, "auto_allocation").status_code == 200
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == AuditAction.ALLOCATION_CHANGED)).all() == []


def test_custom_while_auto_is_on_is_refused_naming_auto(admin_client, account):
    response = save(admin_client, "auto_allocation", "custom_allocation")
    assert response.status_code == 422
    [problem] = popup_problems(response.text)
    assert problem.startswith("Custom agent allocation cannot be switched on while Auto agent "
                              "allocation is on.")
    # The form comes back as stored: Custom off again.
    assert switches(account)["custom_allocation"] is False
    assert not re.search(r'<input [^>]*\bchecked\b[^>]* id="custom_allocation"', response.text)


def test_auto_while_custom_is_on_is_refused_naming_custom(admin_client, account):
    assert save(admin_client, "custom_allocation").status_code == 200
    assert switches(account)["custom_allocation"] is True
    response = save(admin_client, "auto_allocation", "custom_allocation", "agent_can_transfer")
    assert response.status_code == 422
    [problem] = popup_problems(response.text)
    assert problem.startswith("Auto agent allocation cannot be switched on while Custom agent "
                              "allocation is on.")
    assert switches(account) == {"agent_can_take_over": False, "agent_can_transfer": False,
                                 "auto_allocation": False, "custom_allocation": True}


def flip(client, name, on, **others):
    """What a switch sends when flipped: the whole form as the page shows it, and its name."""
    data = {key: "y" for key, value in others.items() if value} | {"changed": name}
    if on:
        data[name] = "y"
    return client.post("/agents/allocation", data=data, headers=HTMX)


def test_a_flip_saves_only_that_switch(admin_client, account):
    # Another Admin switched takeover on after this page was opened: the page still shows it
    # off, and flipping transfer must not put takeover back.
    account.agent_can_take_over = True
    db.session.commit()
    response = flip(admin_client, "agent_can_transfer", True, auto_allocation=True)
    assert response.status_code == 200
    assert switches(account) == {"agent_can_take_over": True, "agent_can_transfer": True,
                                 "auto_allocation": True, "custom_allocation": False}
    assert re.search(r'<input [^>]*\bchecked\b[^>]* id="agent_can_take_over"', response.text)


def test_flipping_auto_on_while_custom_is_on_names_custom(admin_client, account):
    account.auto_allocation, account.custom_allocation = False, True
    db.session.commit()
    # The page was opened while both were off: it sends Custom off, yet Custom is on.
    response = flip(admin_client, "auto_allocation", True)
    assert response.status_code == 422
    assert "Switch Custom agent allocation off first." in popup_problems(response.text)[0]
    assert switches(account)["auto_allocation"] is False


def test_an_unknown_changed_name_saves_all_four(admin_client, account):
    assert flip(admin_client, "password_hash", True).status_code == 200
    assert switches(account)["auto_allocation"] is False


def test_both_off_is_allowed(admin_client, account):
    assert save(admin_client).status_code == 200
    assert not any(switches(account).values())


def test_the_rule_holds_in_the_service_too(app, account, admin):
    # A path that skips the form (a race between two Admins' forms) is refused as well.
    from webapp.agents import service

    with pytest.raises(service.RuleBroken):
        service.save_allocation(account.id, {"agent_can_take_over": False,
                                             "agent_can_transfer": False,
                                             "auto_allocation": True,
                                             "custom_allocation": True}, admin)
    assert switches(account)["custom_allocation"] is False


def test_without_javascript_it_is_a_page_with_a_save_button(admin_client, account):
    page = admin_client.get("/agents/allocation").text
    assert "<noscript><button type=\"submit\">Save</button></noscript>" in page
    refused = save(admin_client, "auto_allocation", "custom_allocation", htmx=False)
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    response = save(admin_client, "custom_allocation", htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == "/agents/allocation"


@pytest.mark.parametrize("value", ["", "\x00", "x" * 10000, "on", "false"])
def test_odd_values_never_fail(admin_client, value):
    response = admin_client.post("/agents/allocation", headers=HTMX,
                                 data={"auto_allocation": value, "custom_allocation": value})
    assert response.status_code in {200, 422}


def test_each_account_has_its_own_switches(admin_client, factory, account):
    other = factory.account("Other")
    save(admin_client, "custom_allocation")
    assert switches(other)["auto_allocation"] is True
    assert switches(account)["custom_allocation"] is True


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_get_403(client, auth, factory, account, role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    assert client.get("/agents/allocation").status_code == 403
    assert client.post("/agents/allocation", data={"custom_allocation": "y"}).status_code == 403
    assert switches(account)["custom_allocation"] is False
