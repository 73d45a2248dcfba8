"""Profile: every user's own page (their details, time zone and password), where Agents and
Supervisors land, and the header that leads to it."""

import json
import re

import pytest
from sqlalchemy import select

from tests.conftest import HTMX, PASSWORD, Auth
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Role, Status, User

NEW = "granite-willow-harbor-51"


@pytest.fixture
def ann(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann", first_name="Ann",
                        last_name="Lee", email="ann@example.com")


@pytest.fixture
def ann_client(client, auth, ann):
    auth.login(username="ann")
    return client


def details(user: User, **changes) -> dict:
    """The profile form as the page fills it, with `changes`."""
    return {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "phone": user.phone, "time_zone": user.time_zone,
            "version": str(user.version)} | changes


def entries(action: AuditAction) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# -- The page, for every role -------------------------------------------------------------------

@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_profile_with_what_only_an_admin_may_change(client, auth, factory,
                                                                       account, role):
    factory.user(account, role, username="member", first_name="Mia", last_name="Member")
    auth.login(username="member")
    page = client.get("/profile")
    assert page.status_code == 200
    facts = re.search(r'<dl class="profile-facts">(.*?)</dl>', page.text, re.S).group(1)
    assert "<dd>member</dd>" in facts and f"<dd>{role}</dd>" in facts
    assert ("<dd>General</dd>" if role != Role.ADMIN else "<dd>None</dd>") in facts
    for field in ("first_name", "last_name", "email", "phone", "time_zone"):
        assert f'name="{field}"' in page.text
    for readonly in ("username", "role", "division"):
        assert f'<input id="{readonly}"' not in page.text
        assert f'<select id="{readonly}"' not in page.text
    assert 'name="current_password"' in page.text and 'name="new_password"' in page.text


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/profile"


# -- Details ------------------------------------------------------------------------------------

def test_saving_details_stores_them_in_their_one_form_and_logs_it(ann_client, ann):
    response = ann_client.post("/profile", data=details(
        ann, first_name="Annie", email="Annie.Lee@Example.COM", phone="+62 812-3456-7890"))
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    db.session.refresh(ann)
    assert (ann.first_name, ann.email, ann.phone) == ("Annie", "annie.lee@example.com",
                                                      "+6281234567890")
    assert ann.version == 2  # a real edit: an Admin's open edit of Ann now conflicts
    [entry] = entries(AuditAction.USER_EDITED)
    assert (entry.actor_id, entry.target_id, entry.actor_name) == (ann.id, ann.id, "ann")
    assert {change["field"] for change in entry.changes} == {"first_name", "email", "phone"}
    assert "Profile saved" in ann_client.get("/profile").text


def test_saving_nothing_new_logs_nothing(ann_client, ann):
    assert ann_client.post("/profile", data=details(ann)).status_code == 302
    db.session.refresh(ann)
    assert ann.version == 1 and entries(AuditAction.USER_EDITED) == []


def test_an_htmx_save_answers_with_the_form_a_toast_and_the_headers_new_name(ann_client, ann):
    response = ann_client.post("/profile", headers=HTMX,
                               data=details(ann, first_name="Annie", last_name="Hartono"))
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form") or 'id="profile-form"' in response.text
    assert "<html" not in response.text
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Profile saved"
    header = re.search(r'<span id="header-identity"[^>]*hx-swap-oob="true"[^>]*>(.*?)</span>',
                       response.text, re.S)
    assert header and "Annie Hartono" in header.group(1)
    assert 'name="version" type="hidden" value="2"' in response.text


@pytest.mark.parametrize("changes, message", [
    ({"first_name": ""}, "First name field is required"),
    ({"email": ""}, "Email field is required"),
    ({"email": "ann@"}, "Email is not a valid email address."),
    ({"email": "BOSS@example.com"}, "Email is already taken."),
    ({"phone": "0812"}, "Phone must be 8–15 digits"),
    ({"last_name": "x" * 65}, "Field cannot be longer than 64 characters."),
    ({"time_zone": "Mars/Olympus_Mons"}, "Not a valid choice."),
])
def test_the_users_form_rules_apply(ann_client, ann, changes, message):
    response = ann_client.post("/profile", headers=HTMX, data=details(ann, **changes))
    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(ann)
    assert (ann.first_name, ann.email, ann.version, ann.time_zone) == (
        "Ann", "ann@example.com", 1, "")


def test_the_forms_own_messages_read_in_indonesian(app_with_catalogue, ann):
    """WTForms' messages (it has no Indonesian) come from the app's catalogue, as ours do."""
    app = app_with_catalogue({
        "Not a valid choice.": "Pilihan tidak valid.",
        ("Field cannot be longer than %(max)d character.",
         "Field cannot be longer than %(max)d characters."):
            "Isian tidak boleh lebih dari %(max)d karakter.",
        "Time zone": "Zona waktu", "Not set: times show in UTC": "Belum diatur: waktu "
                                                                 "ditampilkan dalam UTC",
    })
    client = app.test_client()
    Auth(client).login(username="ann")
    response = client.post("/profile", headers=HTMX | {"Accept-Language": "id"},
                           data=details(ann, time_zone="Mars/Olympus_Mons", last_name="x" * 65))
    assert response.status_code == 422
    for words in ("Pilihan tidak valid.", "Isian tidak boleh lebih dari 64 karakter.",
                  "Zona waktu", "Belum diatur: waktu ditampilkan dalam UTC"):
        assert words in response.text


def test_without_javascript_errors_come_back_on_the_whole_page(ann_client, ann):
    response = ann_client.post("/profile", data=details(ann, email="ann@"))
    assert response.status_code == 422
    assert "<html" in response.text and 'role="alert"' in response.text
    assert 'id="profile-password-form"' in response.text


def test_fields_only_an_admin_may_change_are_ignored(ann_client, ann, account, factory):
    sales = factory.division(account, "Sales")
    response = ann_client.post("/profile", data=details(ann, first_name="Annie") | {
        "username": "annie", "role": "Admin", "division": str(sales.id), "status": "disabled",
        "account_id": "99", "password_hash": "x", "session_token": "t"})
    assert response.status_code == 302
    db.session.refresh(ann)
    assert ann.first_name == "Annie"
    assert (ann.username, ann.role, ann.division.name, ann.status, ann.account_id) == (
        "ann", Role.AGENT, "General", Status.ACTIVE, account.id)
    assert ann.check_password(PASSWORD)


def test_an_admins_edit_since_the_form_opened_is_a_conflict(ann_client, ann):
    opened_at = ann.version
    ann.last_name = "Lee-Admin"  # an Admin saves meanwhile
    db.session.commit()
    response = ann_client.post("/profile", headers=HTMX, data=details(
        ann, first_name="Annie", version=str(opened_at)))
    assert response.status_code == 409
    assert "Your profile was changed elsewhere (by an Admin, or in another tab)" in response.text
    assert 'value="Annie"' in response.text  # what she typed is kept
    assert f'name="version" type="hidden" value="{ann.version}"' in response.text
    db.session.refresh(ann)
    assert (ann.first_name, ann.last_name) == ("Ann", "Lee-Admin")


# -- Time zone ----------------------------------------------------------------------------------

def test_choosing_a_time_zone_keeps_the_version_and_is_not_logged(ann_client, ann):
    page = ann_client.get("/profile").text
    assert '<option selected value="">Not set: times show in UTC</option>' in page
    assert '<option value="Asia/Jakarta">Asia/Jakarta</option>' in page
    response = ann_client.post("/profile", data=details(ann, time_zone="Asia/Jakarta"))
    assert response.status_code == 302
    db.session.refresh(ann)
    assert ann.time_zone == "Asia/Jakarta" and ann.version == 1
    assert entries(AuditAction.USER_EDITED) == []
    page = ann_client.get("/profile").text
    assert '<option selected value="Asia/Jakarta">' in page and "Not set" not in page


def test_the_browser_reports_the_zone_while_none_is_known(ann_client, ann):
    marker = 'data-report-time-zone="/profile/time-zone"'
    assert marker in ann_client.get("/profile").text
    assert ann_client.post("/profile/time-zone", data={"time_zone": "Asia/Jakarta"},
                           headers=HTMX).status_code == 204
    db.session.refresh(ann)
    assert ann.time_zone == "Asia/Jakarta" and ann.version == 1
    assert marker not in ann_client.get("/profile").text
    # A zone chosen (or reported) already wins over any later report.
    assert ann_client.post("/profile/time-zone",
                           data={"time_zone": "Europe/Berlin"}).status_code == 204
    db.session.refresh(ann)
    assert ann.time_zone == "Asia/Jakarta"


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons", "../../etc/passwd", "x" * 200,
                                  "localtime", "Factory"])
def test_an_unknown_reported_zone_is_refused(ann_client, ann, zone):
    assert ann_client.post("/profile/time-zone", data={"time_zone": zone}).status_code == 422
    db.session.refresh(ann)
    assert ann.time_zone == ""


# -- Password -----------------------------------------------------------------------------------

def change_password(browser, current=PASSWORD, new=NEW, confirmation=NEW, **kwargs):
    return browser.post("/profile/password", data={
        "current_password": current, "new_password": new, "confirm_password": confirmation},
        **kwargs)


def test_changing_ones_password_keeps_this_session_and_ends_the_others(app, ann_client, ann):
    elsewhere = app.test_client()
    Auth(elsewhere).login(username="ann")
    stolen = ann_client.get_cookie("session").value
    with ann_client.session_transaction() as session:
        started_at = session["started_at"] = session["started_at"] - 3600
    response = change_password(ann_client)
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    db.session.refresh(ann)
    assert ann.check_password(NEW)

    assert ann_client.get("/profile").status_code == 200  # still logged in here
    with ann_client.session_transaction() as session:
        assert session["started_at"] == started_at  # the 12-hour limit is not reset
    assert elsewhere.get("/profile").status_code == 302  # the other session ended
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/profile").status_code == 302  # and so did the old cookie
    [entry] = entries(AuditAction.PASSWORD_CHANGED)
    assert (entry.actor_id, entry.target_id) == (ann.id, ann.id)


def test_an_htmx_password_change_answers_an_empty_form_and_the_page_keeps_working(ann_client,
                                                                                  ann):
    response = change_password(ann_client, headers=HTMX)
    assert response.status_code == 200
    assert 'id="profile-password-form"' in response.text and NEW not in response.text
    assert "Password changed" in json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    assert ann_client.get("/profile", headers=HTMX).status_code == 200


@pytest.mark.parametrize("current, new, confirmation, problem", [
    ("wrong password 123", NEW, NEW, "Current password is not right."),
    (PASSWORD, "short", "short", "Password must be 12–128 characters long."),
    (PASSWORD, "ann@example.com", "ann@example.com", "must not be the same as the username"),
    (PASSWORD, NEW, NEW + "!", "Password and confirmation do not match."),
    ("", NEW, NEW, "Current password field is required"),
])
def test_password_rules_and_the_current_password(ann_client, ann, current, new, confirmation,
                                                 problem):
    response = change_password(ann_client, current, new, confirmation, headers=HTMX)
    assert response.status_code == 422
    assert problem in response.text
    assert new not in response.text.replace("ann@example.com", "")  # never echoed
    db.session.refresh(ann)
    assert ann.check_password(PASSWORD)
    assert ann_client.get("/profile").status_code == 200


# -- Where people land, and the header ------------------------------------------------------------

@pytest.mark.parametrize("role, landing", [
    (Role.AGENT, "/chats"), (Role.SUPERVISOR, "/chats"), (Role.ADMIN, "/settings"),
])
def test_each_role_lands_on_a_useful_page(client, auth, factory, account, role, landing):
    factory.user(account, role, username="member")
    assert client.get("/").headers["Location"] == "/login"
    assert auth.login(username="member").headers["Location"] == landing
    assert client.get("/").headers["Location"] == landing
    assert client.get("/login").headers["Location"] == landing
    assert auth.login(username="member", query_string={"next": "/profile"}).status_code == 302


def test_a_local_next_still_wins_over_the_landing(client, auth, ann):
    response = auth.login(username="ann", query_string={"next": "/settings"})
    assert response.headers["Location"] == "/settings"


def header_of(html: str) -> str:
    return re.search(r"<header.*?</header>", html, re.S).group(0)


def test_the_header_names_the_user_once_with_a_link_to_the_profile(ann_client):
    header = header_of(ann_client.get("/profile").text)
    assert re.search(r'<a href="/profile" aria-current="page">Ann Lee</a>', header)
    assert '<small class="role-label">Agent</small>' in header
    assert header.count("Ann Lee") == 1 and "·" not in header
    # Agents have no settings: the header offers none, the page still answers.
    assert 'href="/settings"' not in header


def test_an_admin_named_admin_is_not_announced_twice(client, auth, factory, account):
    factory.user(account, Role.ADMIN, username="admin", first_name="Admin", last_name="")
    auth.login(username="admin")
    header = header_of(client.get("/settings").text)
    assert re.search(r'<a href="/profile">Admin</a>', header)
    assert "role-label" not in header
    assert re.search(r'<a href="/settings" aria-current="page">Settings</a>', header)
