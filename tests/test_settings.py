"""The Settings page shows each role only what it may open; every settings page carries the
side navigation and breadcrumbs built from the same list."""

import re

import pytest

from webapp.models import Role


def test_admin_sees_account_management_users(admin_client):
    page = admin_client.get("/settings").text
    assert ">Account Management<" in page
    assert 'href="/users"' in page and ">Users<" in page


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_see_no_admin_entries_and_the_way_to_their_profile(client, auth, factory,
                                                                        account, role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    page = client.get("/settings").text
    assert ">Account Management<" not in page
    assert 'href="/users"' not in page
    assert "There are no settings for your role" in page
    assert re.search(r'are on your <a href="/profile">Profile</a>', page)
    assert 'class="settings-nav"' not in page


def test_admin_sees_agent_management_with_its_three_entries(admin_client):
    page = admin_client.get("/settings").text
    assert ">Agent Management<" in page
    for url, label in (("/agents/divisions", "Division"), ("/agents/allocation",
                       "Agent Allocation"), ("/agents/workload", "Workload")):
        assert f'<a href="{url}">{label}</a>' in page


def side_navigation(html: str) -> str:
    return re.search(r'<nav class="settings-nav" aria-label="Settings">.*?</nav>', html,
                     re.S).group(0)


def breadcrumb_steps(html: str) -> list[str]:
    """Each step of the breadcrumbs as "label" or "label (current)"; the separators apart."""
    trail = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', html,
                      re.S).group(1)
    assert trail.count('class="breadcrumb-separator" aria-hidden="true">›<') == (
        trail.count("<li>") - 1)
    steps = re.findall(r'<li>(?:<span class="breadcrumb-separator"[^>]*>›</span>)?\s*'
                       r'<(?:a|span)([^>]*)>([^<]*)<', trail)
    return [label + (" (current)" if 'aria-current="page"' in attributes else "")
            for attributes, label in steps]


@pytest.mark.parametrize("path, current, trail", [
    ("/users", "/users", ["Settings", "Account Management", "Users (current)"]),
    ("/users?q=bo&page=1", "/users", ["Settings", "Account Management", "Users (current)"]),
    ("/activity", "/activity", ["Settings", "Account Management", "Activity (current)"]),
])
def test_settings_pages_have_the_side_navigation_and_breadcrumbs(admin_client, path, current,
                                                                  trail):
    page = admin_client.get(path).text
    navigation = side_navigation(page)
    assert re.findall(r'<a href="([^"]+)"', navigation) == [
        "/users", "/activity", "/agents/divisions", "/agents/allocation", "/agents/workload",
        "/settings/integrations"]
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', navigation) == [current]
    assert breadcrumb_steps(page) == trail


@pytest.mark.parametrize("page_of, title", [
    (lambda user: f"/users/{user.id}/edit", "Edit boss"),
    (lambda user: f"/users/{user.id}/password", "Change Password"),
    (lambda user: "/users/new", "Create User"),
])
def test_a_page_under_an_entry_ends_the_trail_and_marks_its_area(admin_client, admin, page_of,
                                                                 title):
    page = admin_client.get(page_of(admin)).text
    navigation = side_navigation(page)
    assert '<a href="/users" aria-current="true">Users</a>' in navigation
    assert 'aria-current="page"' not in navigation
    assert breadcrumb_steps(page) == ["Settings", "Account Management", "Users",
                                      f"{title} (current)"]


def test_the_settings_page_itself_needs_no_trail_nor_a_second_list(admin_client):
    page = admin_client.get("/settings").text
    assert 'class="settings-nav"' not in page and 'class="breadcrumbs"' not in page
    assert page.count('href="/users"') == 1
