"""The Settings page shows each role only what it may open."""

import pytest

from webapp.models import Role


def test_admin_sees_account_management_users(admin_client):
    page = admin_client.get("/settings").text
    assert ">Account Management<" in page
    assert 'href="/users"' in page and ">Users<" in page


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_see_no_admin_entries(client, auth, factory, account, role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    page = client.get("/settings").text
    assert ">Account Management<" not in page
    assert 'href="/users"' not in page
    assert "There are no settings for your role" in page


def test_no_agent_management_placeholder_yet(admin_client):
    assert "Agent Management" not in admin_client.get("/settings").text
