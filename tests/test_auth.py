"""Login, logout, `next`, and what anonymous visitors get."""

import pytest

from tests.conftest import HTMX, PASSWORD
from webapp.extensions import db
from webapp.models import Status


def test_login_page_has_the_spec_words(client):
    page = client.get("/login").text
    assert ">Username<" in page and ">Password<" in page and 'value="Login"' in page


def test_login_success_goes_to_settings(client, auth, admin):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    assert client.get("/settings").status_code == 200


def test_username_is_matched_ignoring_case(client, auth, admin):
    assert auth.login(username="BOSS").status_code == 302


@pytest.mark.parametrize("username, password", [
    ("boss", "wrong password 123"),    # wrong password
    ("nobody", PASSWORD),              # unknown user
])
def test_login_failure_gives_one_generic_message(client, auth, admin, username, password):
    response = auth.login(username=username, password=password)
    assert response.status_code == 422
    assert "Invalid username or password." in response.text
    assert client.get("/settings").status_code == 302  # still logged out


def test_disabled_user_cannot_log_in(client, auth, admin):
    admin.status = Status.DISABLED
    db.session.commit()
    response = auth.login()
    assert response.status_code == 422
    assert "Invalid username or password." in response.text


def test_empty_login_fields_are_required(client):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    assert "Username field is required" in response.text
    assert "Password field is required" in response.text


def test_login_follows_a_local_next(client, auth, admin):
    response = auth.login(query_string={"next": "/users?q=ann"})
    assert response.headers["Location"] == "/users?q=ann"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil", "javascript:x",
])
def test_login_ignores_a_foreign_next(client, auth, admin, target):
    response = auth.login(query_string={"next": target})
    assert response.headers["Location"] == "/settings"


def test_logout_is_a_post_and_ends_the_session(client, auth, admin):
    auth.login()
    assert client.get("/logout").status_code == 405
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/settings").status_code == 302


def test_logout_invalidates_a_copied_cookie(app, client, auth, admin):
    auth.login()
    stolen = client.get_cookie("session").value
    auth.logout()
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/settings").status_code == 302


@pytest.mark.parametrize("path", ["/settings", "/users", "/users/new", "/users/1/edit"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_htmx_request_gets_hx_redirect(client):
    response = client.get("/users", headers=HTMX | {
        "HX-Current-URL": "http://localhost/users?q=ann"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/users?q%3Dann"
    assert "<table" not in response.text


def test_logged_in_visitor_skips_the_login_page(client, auth, admin):
    auth.login()
    assert client.get("/login").headers["Location"] == "/settings"


def test_root_leads_to_settings(client, auth, admin):
    auth.login()
    assert client.get("/").headers["Location"] == "/settings"
