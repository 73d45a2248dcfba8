"""Login, logout, `next`, and what anonymous visitors get."""

import time

import pytest

from tests.conftest import HTMX, PASSWORD, Auth
from webapp.auth.sessions import IDLE_TIMEOUT_SECONDS
from webapp.extensions import db
from webapp.models import Status

ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
INDONESIAN = {"Accept-Language": "id-ID,id;q=0.9"}


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


def test_the_login_page_and_its_messages_read_in_the_visitors_language(app_with_catalogue):
    app = app_with_catalogue({
        "Username": "Nama pengguna", "%(label)s field is required": "%(label)s wajib diisi",
        "Invalid username or password.": "Nama pengguna atau kata sandi salah.",
    })
    visitor = app.test_client()
    missing = visitor.post("/login", data={}, headers=INDONESIAN)
    assert "Nama pengguna wajib diisi" in missing.text
    wrong = visitor.post("/login", data={"username": "x", "password": "y"}, headers=INDONESIAN)
    assert "Nama pengguna atau kata sandi salah." in wrong.text
    english = visitor.post("/login", data={}, headers=ENGLISH)
    assert "Username field is required" in english.text


def test_an_expired_session_keeps_the_language_it_was_read_in(app_with_catalogue, admin):
    admin.language = "id"
    db.session.commit()
    app = app_with_catalogue({
        "Your session has expired. Please log in again.":
            "Sesi Anda telah berakhir. Silakan masuk kembali.",
    })
    client = app.test_client()
    Auth(client).login()
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - IDLE_TIMEOUT_SECONDS - 60
    assert client.get("/settings", headers=ENGLISH).status_code == 302
    login_page = client.get("/login", headers=ENGLISH).text
    assert '<html lang="id">' in login_page
    assert "Sesi Anda telah berakhir. Silakan masuk kembali." in login_page


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


def test_logout_leaves_the_login_page_in_the_users_saved_language(app, client, auth, admin):
    """Switched in another browser: this session's copy of the choice is older than the
    saved one, and the saved one wins, on the way out too."""
    auth.login()
    other_browser = app.test_client()
    other_browser.post("/login", data={"username": "boss", "password": PASSWORD})
    other_browser.post("/language", data={"language": "id", "next": "/profile"})
    auth.logout()
    page = client.get("/login", headers=ENGLISH)
    assert '<html lang="id">' in page.text
