"""Settings → Account Management → Activity: filters by person and action, edits shown as
"from → to" per field, names linking to users who still exist, times in the reader's zone."""

import re
from datetime import datetime

import pytest
from sqlalchemy import event, select, text

from tests.conftest import HTMX, PASSWORD, on_postgresql
from webapp import audit
from webapp.activity import log, words
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Role, Status, User
from webapp.users import service as users_service


@pytest.fixture
def sales(factory, account):
    return factory.division(account, "Sales")


@pytest.fixture
def ann(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann", first_name="Ann",
                        last_name="Lee", email="ann@example.com", phone="+6281234567890")


def record(app, action, account, actor=None, target=None, details="", **fields):
    """Write an entry straight to the log, as the service functions do."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        audit.record(action, account_id=account.id, actor=actor, target=target,
                     details=details, **fields)
    db.session.commit()


def edit(client, user, **changes):
    data = {"first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "email": user.email, "phone": user.phone,
            "role": str(user.role), "division": str(user.division_id or ""),
            "status": str(user.status), "version": str(user.version)} | changes
    return client.post(f"/users/{user.id}", headers=HTMX,
                       data={f"user-{user.id}-{name}": value for name, value in data.items()})


def details_cells(html: str) -> list[str]:
    """The Details column of each row, tags and spacing removed."""
    rows = re.findall(r"<tr>\s*<td[^>]*><time.*?</tr>", html, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[4] for row in rows]
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def cells(html: str, column: int) -> list[str]:
    """One column of each row (0: When … 5: Address), tags and spacing removed."""
    rows = re.findall(r"<tr>\s*<td[^>]*><time.*?</tr>", html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                         re.S)[column]).split())
            for row in rows]


def listed_ids(html: str) -> list[str]:
    return re.findall(r"Entry (\d+)<", html)


# -- from → to ----------------------------------------------------------------------------

def test_an_edit_records_each_changed_field_from_and_to(admin_client, ann, sales):
    response = edit(admin_client, ann, first_name="Annie", last_name="", username="annie",
                    email="annie@example.com", phone="+62 811 0000 1111", role="Supervisor",
                    division=str(sales.id), status="disabled")
    assert response.status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == AuditAction.USER_EDITED))
    assert entry.changes == [
        {"field": "first_name", "old": "Ann", "new": "Annie"},
        {"field": "last_name", "old": "Lee", "new": ""},
        {"field": "username", "old": "ann", "new": "annie"},
        {"field": "email", "old": "ann@example.com", "new": "annie@example.com"},
        {"field": "phone", "old": "+6281234567890", "new": "+6281100001111"},
        {"field": "role", "old": "Agent", "new": "Supervisor"},
        {"field": "division", "old": "General", "new": "Sales"},  # names, not ids
        {"field": "status", "old": "active", "new": "disabled"},
    ]
    assert entry.details == ""  # facts, not a sentence: worded when the log is read

    shown = details_cells(admin_client.get("/activity").text)[0]
    assert shown == ("First name: Ann → Annie Last name: Lee → none Username: ann → annie "
                     "Email: ann@example.com → annie@example.com "
                     "Phone: +6281234567890 → +6281100001111 Role: Agent → Supervisor "
                     "Division: General → Sales Status: Active → Disabled")


def test_an_edit_that_changes_nothing_says_so(admin_client, ann):
    edit(admin_client, ann)
    assert details_cells(admin_client.get("/activity").text)[0] == "No changes"


def test_changes_keep_only_the_user_fields_never_a_password_or_hash():
    before = {"first_name": "Ann", "password_hash": "scrypt:old", "session_token": "a",
              "version": 1}
    after = {"first_name": "Ann", "password_hash": "scrypt:new", "session_token": "b",
             "version": 2}
    assert audit.field_changes(before, after) == []
    assert audit.field_changes({"status": Status.ACTIVE}, {"status": Status.DISABLED}) == [
        {"field": "status", "old": "active", "new": "disabled"}]


def test_entries_written_before_changes_were_data_keep_their_text(app, admin_client, account,
                                                                  admin, ann):
    record(app, AuditAction.USER_EDITED, account, admin, ann,
           details="Changed first name, role: Agent → Supervisor")
    assert details_cells(admin_client.get("/activity").text)[0] == (
        "Changed first name, role: Agent → Supervisor")


# -- facts, worded when the log is read ----------------------------------------------------

def test_failed_logins_and_a_lockout_are_kept_as_facts(app, admin_client, ann):
    guesser = app.test_client()
    for number in range(5):
        guesser.post("/login", data={"username": "ann", "password": f"wrong guess {number}"})
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == ann.id)
                                 .order_by(AuditEntry.id.desc())).all()
    assert [(entry.action, entry.facts, entry.details) for entry in entries] == [
        (AuditAction.LOCKED_OUT, {"failed_logins": 5}, "")] + [
        (AuditAction.LOGIN_FAILED, {"reason": "wrong_password"}, "")] * 5
    html = admin_client.get("/activity").text
    assert cells(html, 4)[:6] == ["After 5 failed logins"] + ["Wrong password"] * 5
    assert cells(html, 2)[:6] == ["Locked out"] + ["Failed login"] * 5


def test_creating_and_deleting_a_user_keep_the_role_as_a_code(app, admin_client, account,
                                                             admin, ann):
    with app.test_request_context():
        users_service.add_user(account.id, {
            "username": "cara", "email": "cara@example.com", "first_name": "Cara",
            "last_name": "", "phone": "", "role": Role.SUPERVISOR,
            "division_id": account.divisions[0].id}, "not a hash", db.session.get(User, admin.id))
    admin_client.post(f"/users/{ann.id}/delete", headers=HTMX)
    created, deleted = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
        [AuditAction.USER_CREATED, AuditAction.USER_DELETED])).order_by(AuditEntry.id)).all()
    assert (created.facts, created.details) == ({"role": "Supervisor"}, "")
    assert deleted.facts == {"name": "Ann Lee", "email": "ann@example.com", "role": "Agent"}
    assert deleted.details == ""
    assert cells(admin_client.get("/activity").text, 4)[:2] == [
        "Ann Lee &lt;ann@example.com&gt;, Agent", "Role Supervisor"]


@pytest.mark.parametrize("action, facts, english", [
    (AuditAction.LOGIN_FAILED, {"reason": "wrong_current_password"}, "Wrong current password"),
    (AuditAction.LOGIN_FAILED, {"reason": "account_disabled"}, "Account disabled"),
    (AuditAction.LOGIN_FAILED, {"reason": "password_changed_meanwhile"},
     "Password changed meanwhile"),
    (AuditAction.LOGIN_FAILED, {"reason": "unknown_username"}, "Unknown username"),
    (AuditAction.LOGIN_FAILED, {"reason": "account_locked"}, "Account locked"),
    (AuditAction.LOGIN_FAILED, {"reason": "too_many_attempts"}, "Too many attempts at once"),
    (AuditAction.LOCKED_OUT, {"failed_logins": 1}, "After 1 failed login"),
    (AuditAction.LOCKED_OUT, {"reason": "address_refused", "minutes": 15,
                              "failed_logins": 1200},
     "Address refused for 15 minutes after 1,200 failed logins"),
    (AuditAction.USER_CREATED, {"role": "Supervisor"}, "Role Supervisor"),
    # A code the app does not know (yet, or any more) is shown as it is, never refused.
    (AuditAction.LOGIN_FAILED, {"reason": "moon_phase"}, "moon_phase"),
    (AuditAction.USER_CREATED, {"role": "Owner"}, "Role Owner"),
])
def test_each_fact_reads_as_a_sentence(app, action, facts, english):
    with app.test_request_context():
        assert words.details(AuditEntry(action=action, facts=facts, details="")) == english


def test_the_command_line_is_a_code_worded_for_the_reader(app, admin_client, account, ann):
    # No request, as for a command (the tests run in an app context only).
    audit.record(AuditAction.PASSWORD_CHANGED, account_id=account.id, target=ann,
                 facts={"actor": audit.COMMAND_LINE})
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == AuditAction.PASSWORD_CHANGED))
    assert (entry.actor_name, entry.address) == ("", "")
    assert entry.facts == {"actor": "command_line", "address": "command_line"}
    html = admin_client.get("/activity").text
    assert (cells(html, 1)[0], cells(html, 5)[0]) == ("command line", "command line")


@pytest.fixture
def indonesian_app(app_with_catalogue):
    """The app reading Indonesian from a catalogue of just the words these tests need."""
    return app_with_catalogue({
        "Failed login": "Gagal masuk", "User created": "Pengguna dibuat",
        "User edited": "Pengguna diubah", "Password changed": "Kata sandi diubah",
        "Wrong password": "Kata sandi salah", "Role %(role)s": "Peran %(role)s",
        "Agent": "Agen", "Supervisor": "Supervisor", "Active": "Aktif",
        "Disabled": "Nonaktif", "Status": "Status", "Role": "Peran",
        "command line": "baris perintah", "none": "kosong", "Last name": "Nama belakang",
        "Details": "Rincian", "Who": "Siapa",
        ("%(num)s entry", "%(num)s entries"): "%(num)s entri",
        "You cannot delete your own account: ask another Admin to do it.":
            "Anda tidak dapat menghapus akun Anda sendiri: minta Admin lain melakukannya.",
    })


def test_one_entry_reads_in_each_readers_language(indonesian_app, app, account, admin, ann):
    record(app, AuditAction.LOGIN_FAILED, account, target=ann,
           facts={"reason": audit.Reason.WRONG_PASSWORD})
    record(app, AuditAction.USER_CREATED, account, admin, ann, facts={"role": "Agent"})
    record(app, AuditAction.USER_EDITED, account, admin, ann, changes=[
        {"field": "role", "old": "Agent", "new": "Supervisor"},
        {"field": "status", "old": "active", "new": "disabled"},
        {"field": "last_name", "old": "Lee", "new": ""}])
    audit.record(AuditAction.PASSWORD_CHANGED, account_id=account.id, target=ann,
                 facts={"actor": audit.COMMAND_LINE})  # no request: the command line
    db.session.commit()

    def activity(language: str, logins: int) -> tuple[str, list[list[str]]]:
        """The page for a reader of `language`, and its columns without the readers' logins
        (the newest `logins` entries)."""
        reader = indonesian_app.test_client()
        reader.post("/login", data={"username": "boss", "password": PASSWORD})
        html = reader.get("/activity", headers={"Accept-Language": language}).text
        return html, [column[logins:] for column in (cells(html, n) for n in range(6))]

    indonesian, columns = activity("id", 1)
    assert columns[2] == ["Kata sandi diubah", "Pengguna diubah", "Pengguna dibuat",
                          "Gagal masuk"]
    assert columns[4][1:] == [
        "Peran: Agen → Supervisor Status: Aktif → Nonaktif Nama belakang: Lee → kosong",
        "Peran Agen", "Kata sandi salah"]
    assert (columns[1][0], columns[5][0]) == ("baris perintah", "baris perintah")
    assert ">Rincian</th>" in indonesian and "5 entri" in indonesian
    english, columns = activity("en", 2)
    assert columns[4][1:] == [
        "Role: Agent → Supervisor Status: Active → Disabled Last name: Lee → none",
        "Role Agent", "Wrong password"]
    assert columns[1][0] == "command line" and "6 entries" in english


def test_a_rules_message_is_in_the_admins_language(indonesian_app, admin):
    reader = indonesian_app.test_client()
    reader.post("/login", data={"username": "boss", "password": PASSWORD})
    dialog = reader.get(f"/users/{admin.id}/delete", headers=HTMX | {"Accept-Language": "id"})
    assert "Anda tidak dapat menghapus akun Anda sendiri" in dialog.text
    refused = reader.post(f"/users/{admin.id}/delete", headers={"Accept-Language": "id"})
    assert refused.status_code == 422
    assert "Anda tidak dapat menghapus akun Anda sendiri" in refused.text


# -- filters ---------------------------------------------------------------------------------

@pytest.fixture
def mixed_log(app, account, admin, ann, factory):
    """Entries by and about Ann, the admin and Bob, numbered in their details."""
    bob = factory.user(account, Role.AGENT, username="bob")
    plan = [
        (AuditAction.LOGIN, ann, ann),           # 0: Ann both actor and target
        (AuditAction.USER_EDITED, admin, ann),   # 1: Ann the target
        (AuditAction.USER_CREATED, ann, bob),    # 2: Ann the actor
        (AuditAction.LOGIN, bob, bob),           # 3: not Ann
        (AuditAction.USER_EDITED, admin, bob),   # 4: not Ann
        (AuditAction.LOGIN_FAILED, None, ann),   # 5: Ann the target, no actor
    ]
    for number, (action, actor, target) in enumerate(plan):
        record(app, action, account, actor, target, details=f"Entry {number}")
    return bob


def test_person_means_actor_or_target_each_entry_once(admin_client, ann, mixed_log):
    response = admin_client.get("/activity", query_string={"person": ann.id})
    assert listed_ids(response.text) == ["5", "2", "1", "0"]
    assert "Showing the activity of <strong>Ann Lee</strong> (ann)." in response.text
    assert "4 entries match the filters." in response.text


def test_action_filter_lists_only_that_action_and_words_every_choice(admin_client, mixed_log):
    response = admin_client.get("/activity", query_string={"action": "user edited"})
    assert listed_ids(response.text) == ["4", "1"]
    select_html = re.search(r'<select id="activity-action".*?</select>', response.text, re.S)[0]
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', select_html)
    assert options[0] == ("", "All actions")
    assert [label for _, label in options[1:]] == [
        label for _, label in words.action_choices()]
    assert options[1:9] == [
        ("login", "Login"), ("failed login", "Failed login"), ("locked out", "Locked out"),
        ("logout", "Logout"), ("user created", "User created"), ("user edited", "User edited"),
        ("password changed", "Password changed"), ("user deleted", "User deleted")]
    assert '<option value="user edited" selected>User edited</option>' in select_html


def test_person_and_action_together(admin_client, ann, mixed_log):
    response = admin_client.get("/activity", query_string={"person": ann.id, "action": "login"})
    assert listed_ids(response.text) == ["0"]


def test_paging_keeps_the_filters(app, admin_client, account, admin, ann):
    for number in range(60):
        # Ann's edits, each between an entry of another action and one about someone else.
        record(app, AuditAction.LOGIN, account, ann, ann)
        record(app, AuditAction.USER_EDITED, account, admin, ann if number % 2 else admin,
               details=f"Entry {number}")
        record(app, AuditAction.USER_EDITED, account, ann, admin, details=f"Entry {number}")
    wanted = {"person": ann.id, "action": "user edited"}
    page_one = admin_client.get("/activity", headers=HTMX, query_string=wanted)
    assert len(listed_ids(page_one.text)) == 50 and "Page 1 of 2" in page_one.text
    older = re.search(r'<a href="([^"]+)" rel="next"', page_one.text)[1]
    assert older == f"/activity?page=2&amp;person={ann.id}&amp;action=user+edited"
    page_two = admin_client.get(older.replace("&amp;", "&"), headers=HTMX)
    assert len(listed_ids(page_two.text)) == 40 and "Page 2 of 2" in page_two.text
    newer = re.search(r'<a href="([^"]+)" rel="prev"', page_two.text)[1]
    assert newer == f"/activity?person={ann.id}&amp;action=user+edited"  # page 1: no page=


def test_the_oldest_link_jumps_to_the_last_page_and_names_its_number(app, admin_client, account,
                                                                    admin, ann):
    for number in range(120):
        record(app, AuditAction.USER_EDITED, account, admin, ann, details=f"Entry {number}")
    page_one = admin_client.get("/activity", headers=HTMX, query_string={"action": "user edited"})
    oldest = re.search(r'<a href="([^"]+)"[^>]*>Oldest »</a>', page_one.text)[1]
    assert oldest == "/activity?page=3&amp;action=user+edited"
    last = admin_client.get("/activity", headers=HTMX,
                            query_string={"page": "last", "action": "user edited"})
    assert listed_ids(last.text)[-1] == "0" and "Page 3 of 3" in last.text
    assert last.headers["HX-Push-Url"] == "/activity?page=3&action=user+edited"


def test_a_filtered_htmx_answer_puts_the_state_in_the_address_bar(admin_client, ann, mixed_log):
    response = admin_client.get("/activity", headers=HTMX,
                                query_string={"person": ann.id, "action": ""})
    assert response.headers["HX-Push-Url"] == f"/activity?person={ann.id}"
    assert "<html" not in response.text and 'id="activity-filter"' in response.text
    assert admin_client.get("/activity", headers=HTMX,
                            query_string={"action": ""}).headers["HX-Push-Url"] == "/activity"
    whole = admin_client.get("/activity", query_string={"person": ann.id})
    assert "<html" in whole.text and "HX-Push-Url" not in whole.headers


@pytest.mark.parametrize("arguments", [
    {"action": "dropped tables"}, {"person": "abc"}, {"person": "0"},
    {"person": "99999999999999999999"}, {"person": "-3"}])
def test_filters_that_name_nothing_are_left_out(admin_client, mixed_log, arguments):
    response = admin_client.get("/activity", query_string=arguments)
    assert response.status_code == 200
    assert len(listed_ids(response.text)) == 6


def test_another_accounts_person_reveals_nothing(app, admin_client, factory, mixed_log):
    other = factory.account("Other")
    stranger = factory.user(other, Role.AGENT, username="stranger")
    record(app, AuditAction.LOGIN, other, stranger, stranger, details="Entry 99")
    response = admin_client.get("/activity", query_string={"person": stranger.id})
    assert "stranger" not in response.text and "Entry 99" not in response.text
    assert "Showing the activity of" not in response.text


def test_a_deleted_person_is_found_under_the_name_the_log_kept(admin_client, ann, mixed_log):
    ann_id = ann.id
    admin_client.post(f"/users/{ann_id}/delete", headers=HTMX)
    response = admin_client.get("/activity", query_string={"person": ann_id})
    assert "Showing the activity of <strong>ann</strong>." in response.text
    assert listed_ids(response.text) == ["5", "2", "1", "0"]


@pytest.mark.skipif(on_postgresql(), reason="SQLite's EXPLAIN QUERY PLAN")
def test_each_filter_is_an_index_walk_on_sqlite(account, ann):
    person = log.Person(ann.id, ann.full_name, ann.username)
    plans = {}
    for name, filters in {"none": log.Filters(), "action": log.Filters(
            action=AuditAction.LOGIN), "person": log.Filters(person=person),
            "both": log.Filters(person=person, action=AuditAction.LOGIN)}.items():
        query = log.entry_ids(account.id, filters).limit(50)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plans[name] = " / ".join(row[3] for row in db.session.execute(
            text(f"EXPLAIN QUERY PLAN {compiled}")))
    for plan in plans.values():
        assert "TEMP B-TREE" not in plan and "SCAN audit_entries" not in plan, plans
    assert "ix_audit_entries_account_newest" in plans["none"]
    assert "ix_audit_entries_account_action" in plans["action"]
    # Two index walks merged; with an action as well, either index of each side may serve.
    assert plans["both"].startswith("MERGE (UNION ALL)"), plans
    assert plans["person"].startswith("MERGE (UNION ALL)"), plans
    assert "ix_audit_entries_account_actor" in plans["person"]
    assert "ix_audit_entries_account_target" in plans["person"]


# -- the person picker -----------------------------------------------------------------------

def test_the_picker_lists_matching_people_as_links_keeping_the_action(admin_client, factory,
                                                                      account, ann):
    factory.user(account, Role.AGENT, username="annabel", first_name="Annabel")
    factory.user(account, Role.AGENT, username="zed", first_name="Zed")
    response = admin_client.get("/activity/people", headers=HTMX,
                                query_string={"person_search": "ANN", "action": "login"})
    assert response.status_code == 200 and "<html" not in response.text
    names = re.findall(r'<a href="/activity\?person=(\d+)&amp;action=login"', response.text)
    annabel = db.session.scalar(select(User.id).where(User.username == "annabel"))
    assert names == [str(annabel), str(ann.id)]  # newest first
    assert "Zed" not in response.text
    nobody = admin_client.get("/activity/people", headers=HTMX,
                              query_string={"person_search": "qqq"})
    assert "No one matches “qqq”." in nobody.text


def test_the_picker_shows_a_few_people_of_many(admin_client, factory, account):
    for number in range(log.PEOPLE_SHOWN + 3):
        factory.user(account, Role.AGENT, username=f"agent{number}")
    response = admin_client.get("/activity/people", headers=HTMX,
                                query_string={"person_search": "agent"})
    assert response.text.count("<li>") == log.PEOPLE_SHOWN


def test_the_picker_works_without_javascript(admin_client, ann):
    response = admin_client.get("/activity/people", query_string={"person_search": "ann"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/activity?person_search=ann"
    page = admin_client.get("/activity", query_string={"person_search": "ann"})
    assert f'href="/activity?person={ann.id}"' in page.text
    assert 'value="ann"' in page.text  # what was typed stays in the box


# -- names and times -------------------------------------------------------------------------

def test_names_link_to_users_who_still_exist(admin_client, admin, ann, factory, account,
                                             mixed_log):
    bob_id = mixed_log.id
    admin_client.post(f"/users/{bob_id}/delete", headers=HTMX)
    html = admin_client.get("/activity").text
    assert f'<a href="/users/{ann.id}">ann</a>' in html
    assert f'<a href="/users/{admin.id}">boss</a>' in html
    assert f'href="/users/{bob_id}"' not in html and ">bob</td>" in html


def test_one_query_finds_which_named_users_exist_however_many_rows(app, admin_client, factory,
                                                                   account, admin):
    def statements_for_a_page() -> int:
        counted = []
        listener = lambda *args: counted.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            admin_client.get("/activity", headers=HTMX)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(counted)

    people = [factory.user(account, Role.AGENT) for _ in range(3)]
    for person in people:
        record(app, AuditAction.LOGIN, account, person, person)
    few = statements_for_a_page()
    people += [factory.user(account, Role.AGENT) for _ in range(20)]
    for person in people[3:]:
        record(app, AuditAction.LOGIN, account, person, person)
    assert statements_for_a_page() == few


def test_times_show_in_the_readers_zone_and_keep_the_utc_instant(app, admin_client, account,
                                                                 admin, ann):
    admin.time_zone = "Asia/Jakarta"
    record(app, AuditAction.LOGIN, account, ann, ann)
    entry = db.session.scalar(select(AuditEntry))
    entry.created_at = datetime(2026, 1, 31, 20, 5, 9)  # stored in UTC
    db.session.commit()
    html = admin_client.get("/activity").text
    assert "When (Asia/Jakarta)" in html
    assert '<time datetime="2026-01-31T20:05:09Z">Feb 1, 2026, 3:05\u202fAM</time>' in html


def test_values_read_as_words_only_where_they_are_codes(app, admin_client, account, admin,
                                                         ann):
    """"on"/"off" are the switches' values, and also a username someone may pick; numbers of
    the Workload fields are written for the reader's language."""
    record(app, AuditAction.USER_EDITED, account, admin, ann, changes=[
        {"field": "username", "old": "on", "new": "off"}])
    record(app, AuditAction.WORKLOAD_CHANGED, account, admin, changes=[
        {"field": "idle_rule_on", "old": "off", "new": "on"},
        {"field": "idle_minutes", "old": "15", "new": "1440"}])
    html = admin_client.get("/activity").text
    assert "Username: on → off" in html
    assert "Idle rule: Off → On" in html
    assert "Idle period (minutes): 15 → 1,440" in html
