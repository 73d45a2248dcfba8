"""Authentication, sessions and access control, tagged with the OWASP ASVS 4.0.3 requirement
each test shows (`pytest -m asvs` runs them all)."""

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.conftest import FAST_HASH, HTMX, PASSWORD, Auth, csrf_token_from
from webapp.auth import throttle
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Role, Status, User, utcnow
from webapp.passwords import common_passwords

asvs = pytest.mark.asvs
NEW = "granite-willow-harbor-51"


def entries(action=None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


# -- V2.1, V2.4: passwords ---------------------------------------------------------------

@asvs("2.1.7")
def test_common_password_list_is_large_and_from_seclists():
    listed = common_passwords()
    assert len(listed) >= 10_000
    assert "1qaz2wsx3edc" in listed and "qwertyuiopasdfgh" in listed


@asvs("2.1.1")
@asvs("2.1.2")
@pytest.mark.parametrize("length, accepted", [(11, False), (12, True), (128, True), (129, False)])
def test_password_length_limits(length, accepted):
    from webapp.passwords import problems

    assert (not problems(("Zq9!x" * 40)[:length])) == accepted


@asvs("2.4.1")
@asvs("2.4.4")
def test_default_hash_is_scrypt_with_n_at_least_2_16():
    from webapp.config import Config

    method, n, r, p = Config.PASSWORD_HASH_METHOD.split(":")
    assert method == "scrypt" and int(n) >= 2**16 and int(r) >= 8
    hashed = generate_password_hash("x" * 12, method=Config.PASSWORD_HASH_METHOD)
    assert hashed.startswith("scrypt:65536:8:1$")


@asvs("2.4.4")
def test_an_older_hash_is_upgraded_on_the_next_login(auth, admin):
    admin.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.commit()
    assert auth.login().status_code == 302
    db.session.refresh(admin)
    assert admin.password_hash.startswith(FAST_HASH + "$")
    assert admin.check_password(PASSWORD)


@asvs("2.2.1")
@pytest.mark.parametrize("username", ["nobody", "boss"])
def test_unknown_and_known_usernames_cost_one_hash_each(auth, admin, monkeypatch, username):
    from webapp import passwords

    hashes = []
    for name in ("generate_password_hash", "check_password_hash"):
        real = getattr(passwords, name)
        monkeypatch.setattr(passwords, name,
                            lambda *a, real=real, **k: hashes.append(1) or real(*a, **k))
    auth.login(username=username, password="wrong password here")
    assert len(hashes) == 1


# -- V3.2–V3.4: sessions ---------------------------------------------------------------

@asvs("3.2.1")
def test_login_starts_a_fresh_session(client, auth, admin):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def replay_after(app, client, auth, action):
    """Log in, copy the cookie, do `action`, and try the copied cookie in another browser."""
    auth.login(username="ann")
    stolen = client.get_cookie("session").value
    action()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    return thief.get("/settings")


@pytest.fixture
def ann(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann")


@asvs("3.3.1")
def test_logout_rejects_a_replayed_cookie(app, client, auth, ann):
    assert replay_after(app, client, auth, auth.logout).status_code == 302


def save_status(browser, user: User, status: Status) -> None:
    """Change the user's status through the admin's inline edit form, as an admin does."""
    fields = {"first_name": user.first_name, "last_name": user.last_name,
              "username": user.username, "email": user.email, "phone": user.phone,
              "role": str(user.role), "division": str(user.division_id or ""),
              "status": str(status), "version": str(user.version)}
    response = browser.post(f"/users/{user.id}",
                            data={f"user-{user.id}-{name}": v for name, v in fields.items()})
    assert response.status_code == 302, response.text


@asvs("3.3.1")
@pytest.mark.parametrize("change", ["password", "disable", "delete"])
def test_admin_changes_end_every_session_of_the_user(app, client, auth, ann, admin, change):
    admin_browser = app.test_client()
    admin_browser.post("/login", data={"username": "boss", "password": PASSWORD})

    def act():
        if change == "password":
            admin_browser.post(f"/users/{ann.id}/password",
                               data={"new_password": NEW, "confirm_password": NEW})
        elif change == "disable":
            # Enabled again at once: while disabled, the status alone refuses her cookie, so
            # only a cookie still dead afterwards shows that disabling replaced the token.
            save_status(admin_browser, ann, Status.DISABLED)
            save_status(admin_browser, ann, Status.ACTIVE)
        else:
            admin_browser.post(f"/users/{ann.id}/delete")

    assert replay_after(app, client, auth, act).status_code == 302
    if change == "disable":  # she is active again: a new login works, the old cookie not
        fresh = app.test_client()
        Auth(fresh).login(username="ann")
        assert fresh.get("/settings").status_code == 200


@asvs("3.3.2")
@pytest.mark.parametrize("idle_minutes, still_in", [(29, True), (31, False)])
def test_idle_timeout_is_30_minutes(client, auth, admin, idle_minutes, still_in):
    auth.login()
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time()) - idle_minutes * 60
    assert (client.get("/settings").status_code == 200) == still_in


@asvs("3.3.2")
def test_absolute_timeout_is_12_hours(client, auth, admin):
    auth.login()
    with client.session_transaction() as session:
        session["started_at"] = int(time.time()) - 12 * 3600 - 1
    response = client.get("/users", headers=HTMX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    assert "expired" in client.get("/login").text


@asvs("3.4.1")
@asvs("3.4.2")
@asvs("3.4.3")
def test_session_cookie_flags(other_app, admin):
    for https in (False, True):
        app = other_app(SESSION_COOKIE_SECURE=https)
        response = app.test_client().post("/login", data={"username": "boss",
                                                         "password": PASSWORD})
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) == https


@asvs("3.4.1")
def test_behind_a_proxy_the_client_address_and_scheme_come_from_it(other_app, admin):
    behind_proxy = other_app(PROXY_COUNT=1).test_client()
    behind_proxy.post("/login", data={"username": "boss", "password": PASSWORD},
                      headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert entries(AuditAction.LOGIN)[-1].address == "203.0.113.7"


@asvs("3.4.1")
def test_an_untrusted_proxy_is_reported_once(client, caplog):
    for _ in range(2):
        client.get("/login", headers={"X-Forwarded-For": "203.0.113.7"})
    warnings = [r for r in caplog.records if "PROXY_COUNT is 0" in r.getMessage()]
    assert len(warnings) == 1


# -- V2.2.1: throttling ---------------------------------------------------------------------

def fail_login(client, username="ann", times=1, address="198.51.100.1"):
    for _ in range(times):
        response = client.post("/login", data={"username": username, "password": "wrong pass"},
                               environ_base={"REMOTE_ADDR": address})
    return response


@asvs("2.2.1")
def test_lock_durations_grow_and_are_capped():
    durations = [throttle.lock_duration(n) for n in range(1, 12)]
    assert durations[:4] == [None] * 4
    assert durations[4:9] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15)]
    assert durations[9:] == [timedelta(minutes=15)] * 2


@asvs("2.2.1")
def test_five_failures_lock_the_account_with_the_same_message(client, ann):
    fail_login(client, times=4)
    db.session.refresh(ann)
    assert ann.failed_logins == 4 and ann.locked_until is None
    fail_login(client)
    db.session.refresh(ann)
    assert ann.locked_until > utcnow()
    right = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert right.status_code == 422
    assert "Invalid username or password." in right.text  # same generic message
    assert [e.target_name for e in entries(AuditAction.LOCKED_OUT)] == ["ann"]


@asvs("2.2.1")
def test_a_lock_ends_and_success_resets_the_count(client, ann):
    fail_login(client, times=5)
    ann.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/login", data={"username": "ann", "password": PASSWORD}
                       ).status_code == 302
    db.session.refresh(ann)
    assert ann.failed_logins == 0 and ann.locked_until is None


@asvs("2.2.1")
def test_the_lock_holds_across_processes(app, other_app, ann):
    # A second app on the same database stands for another gunicorn worker.
    fail_login(app.test_client(), times=5)
    response = other_app().test_client().post("/login", data={"username": "ann",
                                                        "password": PASSWORD})
    assert response.status_code == 422


@asvs("2.2.1")
def test_failed_logins_do_not_make_an_open_edit_conflict(client, admin_client, ann):
    version = ann.version
    fail_login(client, times=6)
    db.session.refresh(ann)
    assert ann.version == version


@asvs("3.3.1")
@pytest.mark.parametrize("old_hash_method", [FAST_HASH, "pbkdf2:sha256:1000"])
def test_a_password_changed_while_a_login_is_checked_wins(app, admin_client, ann, monkeypatch,
                                                          old_hash_method):
    from webapp import passwords

    ann.password_hash = generate_password_hash(PASSWORD, method=old_hash_method)
    db.session.commit()
    ann_id = ann.id  # read now: the test's session must not start a transaction mid-login
    real_needs_rehash = passwords.needs_rehash

    def admin_changes_it_meanwhile(*args, **kwargs):
        # Called right after the login's password check: the admin's change lands in the
        # moment between that check and the login's own write.
        changed = admin_client.post(f"/users/{ann_id}/password",
                                    data={"new_password": NEW, "confirm_password": NEW})
        assert changed.status_code == 302
        return real_needs_rehash(*args, **kwargs)

    monkeypatch.setattr(passwords, "needs_rehash", admin_changes_it_meanwhile)
    thief = app.test_client()
    response = thief.post("/login", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 422
    assert thief.get("/settings").status_code == 302
    monkeypatch.setattr(passwords, "needs_rehash", real_needs_rehash)
    db.session.refresh(ann)
    assert ann.check_password(NEW) and not ann.check_password(PASSWORD)


@asvs("2.2.1")
def test_per_address_limit(client, ann):
    fail_login(client, username="nobody", times=throttle.ADDRESS_MAX_FAILURES)
    blocked = client.post("/login", data={"username": "ann", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert blocked.status_code == 429 and "Too many failed logins" in blocked.text
    elsewhere = client.post("/login", data={"username": "ann", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert elsewhere.status_code == 302
    lockouts = entries(AuditAction.LOCKED_OUT)
    assert [(e.address, e.account_id) for e in lockouts] == [("198.51.100.1", None)]
    assert lockouts[0].facts == {"reason": "address_refused", "minutes": 15,
                                 "failed_logins": throttle.ADDRESS_MAX_FAILURES}
    unknown = entries(AuditAction.LOGIN_FAILED)[0]
    assert unknown.target_name.startswith("unknown #") and "nobody" not in unknown.target_name


# -- V4.1, V4.2: access control ---------------------------------------------------------------

# The language switcher is on the login page too: a visitor chooses before logging in.
PUBLIC = {"static", "auth.login", "auth.home", "health.healthz", "language.choose"}
ADMIN_AREAS = ("users.", "activity.", "agents.", "integrations.")
# Areas for every logged-in user whatever their role (anonymous visitors go to login).
EVERY_USER_AREAS = ("profile.",)


def every_route(app, user_id):
    """Every route of the pages. Not the API's: it takes a token, never the session, and
    answers JSON (tests/test_api.py walks its routes the same way)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<[^>]*_id>", str(user_id), rule.rule)  # user_id, division_id
        for method in sorted(rule.methods - {"OPTIONS"}):
            yield rule, method, path


@asvs("4.1.1")
@asvs("4.1.3")
def test_every_route_sends_anonymous_visitors_to_login(app, client, ann):
    checked = 0
    for rule, method, path in every_route(app, ann.id):
        if rule.endpoint in PUBLIC:
            continue
        page = client.open(path, method=method)
        assert page.status_code == 302 and "/login" in page.headers["Location"], (method, path)
        fragment = client.open(path, method=method, headers=HTMX)
        assert fragment.status_code == 401, (method, path)
        assert fragment.headers["HX-Redirect"].startswith("/login"), (method, path)
        checked += 1
    assert checked >= 20


@asvs("4.1.3")
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_every_admin_route_is_403_for_other_roles(app, client, auth, factory, account, ann,
                                                   role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    checked = 0
    for rule, method, path in every_route(app, ann.id):
        if rule.endpoint.startswith(ADMIN_AREAS):
            assert client.open(path, method=method).status_code == 403, (method, path)
            checked += 1
    assert checked >= 15
    db.session.refresh(ann)
    assert ann.version == 1


@asvs("4.1.3")
@pytest.mark.parametrize("role", list(Role))
def test_every_route_of_the_profile_is_open_to_every_role(app, client, auth, factory, account,
                                                           ann, role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    checked = 0
    for rule, method, path in every_route(app, ann.id):
        if rule.endpoint.startswith(EVERY_USER_AREAS):
            # An empty form is refused (422); what matters is that the role is let in.
            status = client.open(path, method=method).status_code
            assert status in {200, 422}, (method, path, status)
            checked += 1
    assert checked >= 5


@asvs("4.2.1")
def test_every_user_route_is_404_for_another_accounts_user(app, admin_client, factory):
    stranger = factory.user(factory.account("Other"), Role.AGENT, username="stranger")
    checked = 0
    for rule, method, path in every_route(app, stranger.id):
        if "user_id" in rule.arguments:
            assert admin_client.open(path, method=method).status_code == 404, (method, path)
            checked += 1
    assert checked >= 10


@asvs("4.2.1")
def test_fields_a_form_does_not_have_change_nothing(admin_client, factory, account, ann):
    other = factory.account("Other")
    extra = {"account_id": str(other.id), "password_hash": "x", "session_token": "t",
             "status": "disabled", "version": "99", "id": "1", "failed_logins": "0"}
    created = admin_client.post("/users", data=extra | {
        "first_name": "Eve", "username": "eve", "email": "eve@example.com", "role": "Agent",
        "division": str(account.divisions[0].id), "password": NEW, "confirm_password": NEW})
    assert created.status_code == 302
    eve = db.session.scalar(select(User).where(User.username == "eve"))
    assert eve.account_id == account.id and eve.status == Status.ACTIVE
    assert eve.check_password(NEW) and eve.version == 1

    before = (ann.role, ann.account_id, ann.password_hash, ann.session_token)
    admin_client.post(f"/users/{ann.id}/password", data=extra | {
        "role": "Admin", "new_password": "", "confirm_password": ""})
    prefixed = {f"user-{ann.id}-{k}": v for k, v in extra.items()}
    admin_client.post(f"/users/{ann.id}", data=prefixed | {
        f"user-{ann.id}-first_name": "Ann", f"user-{ann.id}-username": "ann",
        f"user-{ann.id}-email": ann.email, f"user-{ann.id}-role": "Agent",
        f"user-{ann.id}-division": str(ann.division_id), f"user-{ann.id}-status": "active",
        f"user-{ann.id}-version": "1"})
    db.session.refresh(ann)
    assert (ann.role, ann.account_id, ann.password_hash, ann.session_token) == before


# -- V4.2.2, V13.2.3: CSRF --------------------------------------------------------------

@asvs("4.2.2")
def test_every_state_changing_request_needs_the_csrf_token(app, ann, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    assert client.get("/users").status_code == 200
    checked = 0
    for _rule, method, path in every_route(app, ann.id):
        if method in {"GET", "HEAD"}:
            continue
        response = client.open(path, method=method, headers=HTMX)
        assert response.status_code == 400, (method, path)
        toast = json.loads(response.headers["HX-Trigger"])["toast"]
        assert "Reload the page" in toast["message"] and toast["level"] == "error"
        checked += 1
    assert checked >= 5
    expired = client.post("/users", headers=HTMX | {"X-CSRFToken": "expired-or-forged"})
    assert expired.status_code == 400 and "Reload the page" in expired.headers["HX-Trigger"]
    db.session.refresh(ann)
    assert ann.version == 1


# -- V14.4, V7.4: headers and error pages ------------------------------------------------------

@asvs("14.4.3")
@asvs("14.4.4")
@asvs("14.4.6")
@asvs("14.4.7")
@pytest.mark.parametrize("path, headers", [
    ("/login", {}), ("/users", {}), ("/users", HTMX), ("/nowhere", {}), ("/users/999", HTMX),
    ("/static/vendor/app.min.css", {}),
])
def test_security_headers_on_every_response(admin_client, path, headers):
    response = admin_client.get(path, headers=headers)
    response.close()
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@asvs("14.4.5")
def test_hsts_when_served_over_https(other_app, admin_client):
    assert "Strict-Transport-Security" not in admin_client.get("/login").headers
    secure = other_app(SESSION_COOKIE_SECURE=True).test_client().get("/login")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@asvs("14.4.3")
def test_htmx_is_configured_for_the_strict_csp(admin_client):
    page = admin_client.get("/users").text
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert "<script>" not in page and " style=" not in page and "hx-on" not in page


@asvs("7.4.1")
def test_errors_are_our_own_pages_without_stack_traces(other_app, admin):
    app = other_app()  # not TESTING: errors are handled as in production

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text
    fragment = client.get("/boom", headers=HTMX)
    assert fragment.status_code == 500 and fragment.text == ""
    assert "Something went wrong" not in fragment.text
    assert "Nothing was changed" in fragment.headers["HX-Trigger"]
    assert client.get("/nowhere").status_code == 404
    assert "Not found" in client.get("/nowhere").text
    assert client.delete("/login").status_code == 405


# -- V5.3.3: output escaping ----------------------------------------------------------------

XSS_NAMES = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@asvs("5.3.3")
@pytest.mark.parametrize("name", XSS_NAMES)
def test_hostile_names_are_shown_as_text_everywhere(admin_client, factory, account, name):
    victim = factory.user(account, Role.AGENT, username="victim", first_name=name,
                          last_name=name)
    pages = [
        admin_client.get("/users").text,
        admin_client.get("/users", headers=HTMX, query_string={"q": name}).text,
        admin_client.get(f"/users/{victim.id}", headers=HTMX).text,
        admin_client.get(f"/users/{victim.id}/edit", headers=HTMX).text,
        admin_client.get(f"/users/{victim.id}/password", headers=HTMX).text,
        admin_client.get(f"/users/{victim.id}/delete", headers=HTMX).text,
    ]
    admin_client.post(f"/users/{victim.id}/delete", headers=HTMX)
    pages.append(admin_client.get("/activity").text)
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in pages[0] or "&#34;&gt;&lt;img" in pages[0]


@asvs("5.3.3")
def test_hx_trigger_payloads_are_json_that_cannot_break_the_header(admin_client):
    response = admin_client.post("/users", headers=HTMX, data={})
    assert response.status_code == 422
    from webapp import htmx

    with admin_client.application.test_request_context():
        built = htmx.toast(admin_client.application.make_response(""), 'x"<b>\n\u2028ü')
    header = built.headers["HX-Trigger"]
    assert "\n" not in header and "<b>" in json.loads(header)["toast"]["message"]
    assert header.isascii()


# -- V7.1, V7.2: the audit log ------------------------------------------------------------------

@asvs("7.1.1")
@asvs("7.2.1")
def test_the_audit_log_records_who_did_what_to_whom(app, client, admin_client, account, ann):
    admin_client.post("/users", data={
        "first_name": "Eve", "username": "eve", "email": "eve@example.com", "role": "Agent",
        "division": str(account.divisions[0].id), "password": NEW, "confirm_password": NEW},
        environ_base={"REMOTE_ADDR": "192.0.2.5"})
    eve = db.session.scalar(select(User).where(User.username == "eve"))
    prefix = f"user-{eve.id}-"
    admin_client.post(f"/users/{eve.id}", data={f"{prefix}{k}": v for k, v in {
        "first_name": "Evelyn", "username": "eve", "email": "eve@example.com",
        "role": "Supervisor", "division": str(eve.division_id), "status": "active",
        "version": "1"}.items()})
    admin_client.post(f"/users/{eve.id}/password",
                      data={"new_password": PASSWORD + "!", "confirm_password": PASSWORD + "!"})
    admin_client.post(f"/users/{eve.id}/delete")
    fail_login(app.test_client(), username="ann", times=5)
    log = [(e.action, e.actor_name, e.target_name) for e in entries()]
    assert (AuditAction.USER_CREATED, "boss", "eve") in log
    assert (AuditAction.USER_EDITED, "boss", "eve") in log
    assert (AuditAction.PASSWORD_CHANGED, "boss", "eve") in log
    assert (AuditAction.USER_DELETED, "boss", "eve") in log
    assert log.count((AuditAction.LOGIN_FAILED, "", "ann")) == 5
    assert (AuditAction.LOCKED_OUT, "", "ann") in log
    edited = entries(AuditAction.USER_EDITED)[0]
    assert edited.changes == [{"field": "first_name", "old": "Eve", "new": "Evelyn"},
                              {"field": "role", "old": "Agent", "new": "Supervisor"}]
    assert entries(AuditAction.USER_CREATED)[0].address == "192.0.2.5"
    for entry in entries():
        written = entry.details + json.dumps(entry.changes)
        assert PASSWORD not in written and NEW not in written and "scrypt" not in written


@asvs("7.1.1")
def test_activity_page_is_admin_only_newest_first_paged_and_per_account(
        app, admin_client, factory, account, admin, ann):
    from webapp import audit

    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        for number in range(60):
            audit.record(AuditAction.USER_EDITED, account_id=account.id, actor=admin,
                         target=ann, details=f"Edit number {number}")
        other = factory.account("Other")
        audit.record(AuditAction.USER_CREATED, account_id=other.id, target_name="stranger")
    db.session.commit()
    first = admin_client.get("/activity")
    assert first.status_code == 200
    assert "Page 1 of 2" in first.text
    details = re.findall(r"<td[^>]*>(Edit number \d+)</td>", first.text)
    assert len(details) == 50
    assert details[0] == "Edit number 59" and details[-1] == "Edit number 10"
    assert "stranger" not in first.text and "192.0.2.9" in first.text
    fragment = admin_client.get("/activity", headers=HTMX, query_string={"page": 2})
    assert "<html" not in fragment.text and "Page 2 of 2" in fragment.text
    assert "Edit number 0<" in fragment.text and ">Login</td>" in fragment.text
    assert 'href="/activity"' in admin_client.get("/settings").text
