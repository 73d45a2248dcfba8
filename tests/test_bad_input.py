"""Odd and hostile input gets a clear answer, never a 500 (on SQLite and PostgreSQL)."""

import pytest
from sqlalchemy import func, select

from tests.conftest import HTMX
from webapp.extensions import db
from webapp.models import Role, User

STRONG = "violet-orbit-cactus-93"


@pytest.fixture
def agent(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann")


@pytest.mark.parametrize("path, status", [
    # Odd paging, search and filter values are clamped or ignored: the list still answers.
    ("/users?page=99999999999999999999", 200), ("/users?page=400000000000000000", 200),
    ("/users?page=-5", 200), ("/users?page=abc", 200), ("/users?q=a%00b", 200),
    ("/users?q=%00%00%00", 200), ("/users?q=" + "x" * 10_000, 200), ("/users?role=%00", 200),
    ("/users?q=%22%27*%5C%25_", 200), ("/activity?page=99999999999999999999", 200),
    # Ids no row can have name no user.
    ("/users/2147483648", 404), ("/users/99999999999999999999999/edit", 404),
    ("/users/0/delete", 404),
])
def test_odd_urls(admin_client, agent, path, status):
    for headers in ({}, HTMX):
        assert admin_client.get(path, headers=headers).status_code == status, path


def test_an_error_we_have_no_words_of_our_own_for_gets_our_page(client):
    """A byte range a static file does not have (416): our page, not Werkzeug's English."""
    response = client.get("/static/favicon.svg", headers={"Range": "bytes=99999-"})
    assert response.status_code == 416
    assert "The request could not be completed." in response.text
    assert "Range Not Satisfiable" not in response.text


@pytest.mark.parametrize("path", [
    "/users/2147483648", "/users/2147483648/password", "/users/2147483648/delete",
    "/users/0/delete",
])
def test_huge_ids_in_posts_are_refused(admin_client, path):
    # No such user, whatever the method: a 405 would claim the URL exists for a GET.
    assert admin_client.post(path).status_code == 404


def test_control_characters_in_fields_are_dropped(admin_client, account):
    response = admin_client.post("/users", data={
        "first_name": "An\x00n", "last_name": "L\x07ee", "username": "ann\x00x",
        "email": "ann@example.com", "role": "Agent", "division": str(account.divisions[0].id),
        "password": STRONG, "confirm_password": STRONG})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ann@example.com"))
    assert (user.first_name, user.last_name, user.username) == ("Ann", "Lee", "annx")


def test_longest_names_fit_even_when_case_folding_grows_them(admin_client, account):
    response = admin_client.post("/users", data={
        "first_name": "ß" * 64, "last_name": "ß" * 64, "username": "x" * 32,
        "email": ("e" * 64) + "@" + ("d" * 60) + ".example.com", "phone": "+" + "9" * 15,
        "role": "Agent", "division": str(account.divisions[0].id),
        "password": STRONG, "confirm_password": STRONG})
    assert response.status_code == 302, response.text


@pytest.mark.parametrize("username", ["ro\x00ot", "\x00", "a" * 5000])
def test_odd_login_names(client, admin, username):
    response = client.post("/login", data={"username": username, "password": "whatever 123"})
    assert response.status_code == 422


@pytest.mark.parametrize("changes, status", [
    ({"version": "abc"}, 422), ({"version": ""}, 422),
    # A well-formed version that is not the current one: the edit did not start from it.
    ({"version": "99999999999999999999"}, 409),
    ({"role": "\x00"}, 422), ({"division": "abc"}, 422), ({"status": "gone"}, 422),
])
def test_odd_edit_forms(admin_client, agent, changes, status):
    data = {"first_name": "Ann", "username": "ann", "email": "ann@example.com",
            "role": "Agent", "division": str(agent.division_id), "status": "active",
            "version": "1"} | changes
    response = admin_client.post(f"/users/{agent.id}", headers=HTMX,
                                 data={f"user-{agent.id}-{k}": v for k, v in data.items()})
    assert response.status_code == status
    db.session.refresh(agent)
    assert agent.version == 1


def test_form_bytes_that_are_not_utf8(admin_client, agent):
    response = admin_client.post("/users", headers=HTMX | {
        "Content-Type": "application/x-www-form-urlencoded"},
        data=b"first_name=%ff%fe&username=\xff\xfe&email=x")
    # Werkzeug decodes the bytes with U+FFFD in their place: an invalid form, answered as one.
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(User.id))) == 2
