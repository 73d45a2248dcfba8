"""Agent Management → Division: list, create, rename and channels in place, delete (moving
the members in the same step); names unique per account ignoring case."""

import threading
import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import HTMX
from tests.test_data_safety import new_user_form, query_live
from tests.test_users_create import invalid_fields, popup_problems
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Division, Role


@pytest.fixture
def sales(factory, account):
    return factory.division(account, "Sales")


def division_named(account, name) -> Division | None:
    return db.session.scalar(select(Division).where(Division.account_id == account.id,
                                                    Division.name == name))


def entries(action) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# -- the list ----------------------------------------------------------------------------------

def test_list_shows_name_channels_and_members_by_role(admin_client, factory, account, sales):
    sales.channels = ["whatsapp", "livechat"]
    db.session.commit()
    factory.user(account, Role.SUPERVISOR, division=sales)
    factory.user(account, Role.AGENT, division=sales)
    factory.user(account, Role.AGENT, division=sales)
    page = admin_client.get("/agents/divisions")
    assert page.status_code == 200 and "<html" in page.text
    row = page.text.split(f'id="division-{sales.id}"')[1].split("</tr>")[0]
    assert "Sales" in row and "WhatsApp, Live Chat" in row
    assert "3 members" in row and "1 Supervisor" in row and "2 Agents" in row
    general = page.text.split(f'id="division-{account.divisions[0].id}"')[1].split("</tr>")[0]
    assert "0 members" in general and "No channels" in general


def test_list_names_the_members_first_by_name_then_how_many_more(admin_client, factory,
                                                                  account, sales):
    factory.user(account, Role.SUPERVISOR, division=sales, first_name="Rina", last_name="W")
    for first in ["Joko", "agus", "Maya", "Dewi", "Eko", "Budi", "Citra"]:
        factory.user(account, Role.AGENT, division=sales, first_name=first, last_name="S")
    factory.user(account, Role.AGENT, first_name="Zaki", last_name="Other")  # General
    page = admin_client.get("/agents/divisions", headers=HTMX)
    row = page.text.split(f'id="division-{sales.id}"')[1].split("</tr>")[0]
    assert "1 Supervisor: Rina W" in row
    # The first five by name, ignoring case, then the rest counted.
    assert "7 Agents: agus S, Budi S, Citra S, Dewi S, Eko S and 2 more" in row
    assert "Zaki" not in row and "Joko" not in row


def test_list_is_a_fragment_for_htmx_and_shows_only_this_account(admin_client, factory):
    factory.division(factory.account("Other"), "Secret Team")
    fragment = admin_client.get("/agents/divisions", headers=HTMX)
    assert "<html" not in fragment.text and 'id="division-rows"' in fragment.text
    assert "General" in fragment.text and "Secret Team" not in fragment.text


def test_settings_lists_agent_management_for_admins(admin_client):
    page = admin_client.get("/settings").text
    assert "Agent Management" in page
    for label, url in (("Division", "/agents/divisions"), ("Agent Allocation",
                        "/agents/allocation"), ("Workload", "/agents/workload")):
        assert f'<a href="{url}">{label}</a>' in page


def test_the_side_navigation_marks_the_entry_of_the_page_shown(admin_client, sales):
    page = admin_client.get(f"/agents/divisions/{sales.id}/edit").text
    nav = page.split('<nav class="settings-nav"')[1].split("</nav>")[0]
    assert '<a href="/agents/divisions" aria-current="true">Division</a>' in nav
    assert '<a href="/agents/allocation">Agent Allocation</a>' in nav
    assert '<a href="/users">Users</a>' in nav
    crumbs = page.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert "Agent Management" in crumbs and "Edit Sales" in crumbs


# -- create ------------------------------------------------------------------------------------

def create(client, data, htmx=True):
    return client.post("/agents/divisions", data=data, headers=HTMX if htmx else {})


def test_create_dialog_and_whole_page(admin_client):
    dialog = admin_client.get("/agents/divisions/new", headers=HTMX)
    assert dialog.text.lstrip().startswith('<dialog data-modal id="create-division-dialog"')
    assert "WhatsApp" in dialog.text and "Live Chat" in dialog.text
    page = admin_client.get("/agents/divisions/new")
    assert "<html" in page.text and "<dialog" not in page.text


def test_create_stores_the_name_and_channel_codes_in_order(admin_client, account):
    response = create(admin_client, {"name": "  Support ", "channels": ["livechat", "whatsapp"]})
    assert response.status_code == 201
    assert "close-dialog" in response.headers["HX-Trigger"]
    assert "divisions-changed" in response.headers["HX-Trigger"]
    assert "Division Support created" in response.headers["HX-Trigger"]
    support = division_named(account, "Support")
    assert support.channels == ["whatsapp", "livechat"]
    [entry] = entries(AuditAction.DIVISION_CREATED)
    assert entry.target_name == "Support" and entry.account_id == account.id
    assert {"field": "name", "old": "", "new": "Support"} in entry.changes


@pytest.mark.parametrize("name", ["general", "GENERAL", " General "])
def test_names_are_unique_in_the_account_ignoring_case(admin_client, name):
    response = create(admin_client, {"name": name})
    assert response.status_code == 422
    assert "A division with this name already exists." in popup_problems(response.text)
    assert invalid_fields(response.text) == ["name"]


def test_the_same_name_in_another_account_is_fine(admin_client, factory, account):
    factory.division(factory.account("Other"), "Support")
    assert create(admin_client, {"name": "Support"}).status_code == 201


@pytest.mark.parametrize("data, message", [
    ({"name": ""}, "Name field is required"),
    ({"name": "x" * 65}, "Field cannot be longer than 64 characters."),
    ({"name": "Ok", "channels": ["pigeon"]}, "Choose channels from the list."),
    ({"name": "Ok", "channels": ["\x00"]}, "Choose channels from the list."),
])
def test_bad_input_is_422_with_the_reason(admin_client, account, data, message):
    response = create(admin_client, data)
    assert response.status_code == 422
    assert message in response.text
    assert len(account.divisions) == 1


def test_a_database_race_on_the_name_becomes_the_form_error(admin_client, monkeypatch):
    from webapp.agents.forms import DivisionForm

    monkeypatch.setattr(DivisionForm, "validate_name", lambda form, field: None)
    response = create(admin_client, {"name": "GENERAL"})
    assert response.status_code == 422
    assert "A division with this name already exists." in popup_problems(response.text)


def test_the_unique_index_ignores_letter_case(factory, account):
    with pytest.raises(IntegrityError):
        factory.division(account, "gENERAL")


def test_without_javascript_create_works_as_a_page(admin_client, account):
    invalid = create(admin_client, {"name": ""}, htmx=False)
    assert invalid.status_code == 422 and "<html" in invalid.text
    response = create(admin_client, {"name": "Sales", "channels": "email"}, htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == "/agents/divisions"
    assert "Division Sales created" in admin_client.get("/agents/divisions").text


# -- edit in place -----------------------------------------------------------------------------

def test_edit_row_fragment_and_whole_page(admin_client, sales):
    fragment = admin_client.get(f"/agents/divisions/{sales.id}/edit", headers=HTMX)
    assert fragment.text.lstrip().startswith(f'<tr id="division-{sales.id}" class="editing"')
    assert f'name="division-{sales.id}-name"' in fragment.text
    page = admin_client.get(f"/agents/divisions/{sales.id}/edit")
    assert "<html" in page.text and "Edit Sales" in page.text
    shown = admin_client.get(f"/agents/divisions/{sales.id}", headers=HTMX)
    assert shown.text.lstrip().startswith(f'<tr id="division-{sales.id}">')
    assert "<html" in admin_client.get(f"/agents/divisions/{sales.id}").text


def update(client, division, data, htmx=True):
    prefixed = {f"division-{division.id}-{key}": value for key, value in data.items()}
    return client.post(f"/agents/divisions/{division.id}", data=prefixed,
                       headers=HTMX if htmx else {})


def test_rename_and_channels_save_and_return_the_row(admin_client, sales):
    response = update(admin_client, sales, {"name": "Sales Team",
                                            "channels": ["instagram", "email"]})
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="division-{sales.id}">')
    assert "Instagram, Email" in response.text
    assert "Division Sales Team saved" in response.headers["HX-Trigger"]
    db.session.refresh(sales)
    assert (sales.name, sales.channels) == ("Sales Team", ["instagram", "email"])
    [entry] = entries(AuditAction.DIVISION_EDITED)
    assert {"field": "name", "old": "Sales", "new": "Sales Team"} in entry.changes


def test_only_the_case_of_its_own_name_may_change(admin_client, sales):
    assert update(admin_client, sales, {"name": "SALES"}).status_code == 200
    taken = update(admin_client, sales, {"name": "general"})
    assert taken.status_code == 422
    assert "A division with this name already exists." in popup_problems(taken.text)


def test_a_database_race_on_a_rename_becomes_the_form_error(admin_client, sales, monkeypatch):
    from webapp.agents.forms import DivisionForm

    monkeypatch.setattr(DivisionForm, "validate_name", lambda form, field: None)
    response = update(admin_client, sales, {"name": "General"})
    assert response.status_code == 422
    assert "A division with this name already exists." in popup_problems(response.text)
    db.session.refresh(sales)
    assert sales.name == "Sales"


def test_saving_nothing_new_records_nothing(admin_client, sales):
    assert update(admin_client, sales, {"name": "Sales"}).status_code == 200
    assert entries(AuditAction.DIVISION_EDITED) == []


# -- delete ------------------------------------------------------------------------------------

def test_an_empty_division_asks_and_deletes(admin_client, account, sales):
    dialog = admin_client.get(f"/agents/divisions/{sales.id}/delete", headers=HTMX)
    assert "Are you sure want to delete this data?" in dialog.text
    assert "move_to" not in dialog.text
    response = admin_client.post(f"/agents/divisions/{sales.id}/delete", headers=HTMX)
    assert response.status_code == 204
    assert "divisions-changed" in response.headers["HX-Trigger"]
    assert division_named(account, "Sales") is None
    assert entries(AuditAction.DIVISION_DELETED)[0].target_name == "Sales"


def test_a_division_with_members_says_how_many_and_asks_where_to(admin_client, factory,
                                                                   account, sales):
    factory.user(account, Role.SUPERVISOR, division=sales)
    factory.user(account, Role.AGENT, division=sales)
    dialog = admin_client.get(f"/agents/divisions/{sales.id}/delete", headers=HTMX)
    assert "has 2 members" in dialog.text
    assert "1 Supervisor" in dialog.text and "1 Agent" in dialog.text
    assert 'name="move_to"' in dialog.text and ">General</option>" in dialog.text
    assert ">Sales</option>" not in dialog.text
    refused = admin_client.post(f"/agents/divisions/{sales.id}/delete", headers=HTMX)
    assert refused.status_code == 422
    assert "Choose the division to move the members to." in refused.text
    assert division_named(account, "Sales") is not None


def test_delete_moves_the_members_in_the_same_step(admin_client, factory, account, sales):
    general = account.divisions[0]
    agent = factory.user(account, Role.AGENT, division=sales, username="moved")
    version = agent.version
    response = admin_client.post(f"/agents/divisions/{sales.id}/delete", headers=HTMX,
                                 data={"move_to": str(general.id)})
    assert response.status_code == 204, response.text
    assert "members moved to General" in response.headers["HX-Trigger"]
    db.session.refresh(agent)
    assert agent.division_id == general.id
    assert agent.version == version + 1  # an open edit of them becomes a conflict
    [moved] = entries(AuditAction.USER_EDITED)
    assert moved.target_id == agent.id
    assert moved.changes == [{"field": "division", "old": "Sales", "new": "General"}]
    assert division_named(account, "Sales") is None


@pytest.mark.parametrize("move_to", ["abc", "999999", "99999999999999999999", "\x00"])
def test_moving_to_an_unknown_division_is_refused(admin_client, factory, account, sales,
                                                   move_to):
    factory.user(account, Role.AGENT, division=sales)
    response = admin_client.post(f"/agents/divisions/{sales.id}/delete", headers=HTMX,
                                 data={"move_to": move_to})
    assert response.status_code == 422
    assert division_named(account, "Sales") is not None


def test_moving_to_another_accounts_division_is_refused(admin_client, factory, account, sales):
    elsewhere = factory.division(factory.account("Other"), "Theirs")
    factory.user(account, Role.AGENT, division=sales)
    response = admin_client.post(f"/agents/divisions/{sales.id}/delete", headers=HTMX,
                                 data={"move_to": str(elsewhere.id)})
    assert response.status_code == 422
    assert "Division is not one of this account&#39;s divisions." in response.text


def test_a_member_added_after_the_popup_opened_is_not_orphaned(admin_client, factory,
                                                                account, sales):
    # The popup said "no members" (no move_to sent); one joined meanwhile: refused, 422.
    from webapp.agents.forms import DeleteDivisionForm

    factory.user(account, Role.AGENT, division=sales)
    original = DeleteDivisionForm.validate_move_to
    DeleteDivisionForm.validate_move_to = lambda form, field: None
    try:
        response = admin_client.post(f"/agents/divisions/{sales.id}/delete", headers=HTMX)
    finally:
        DeleteDivisionForm.validate_move_to = original
    assert response.status_code == 422
    assert "This division has 1 member: choose the division to move them to." in response.text
    assert division_named(account, "Sales") is not None


def test_the_last_division_cannot_be_deleted(admin_client, account):
    general = account.divisions[0]
    dialog = admin_client.get(f"/agents/divisions/{general.id}/delete", headers=HTMX)
    assert "This division cannot be deleted" in dialog.text
    assert "An account keeps at least one division" in dialog.text
    response = admin_client.post(f"/agents/divisions/{general.id}/delete", headers=HTMX)
    assert response.status_code == 422
    assert division_named(account, "General") is not None


def test_delete_without_javascript_is_a_page(admin_client, account, sales):
    page = admin_client.get(f"/agents/divisions/{sales.id}/delete")
    assert "<html" in page.text and "Are you sure want to delete this data?" in page.text
    response = admin_client.post(f"/agents/divisions/{sales.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/agents/divisions"


# -- access ------------------------------------------------------------------------------------

def test_another_accounts_division_is_404_on_every_route(admin_client, factory):
    theirs = factory.division(factory.account("Other"), "Theirs")
    for method, path in (("GET", ""), ("GET", "/edit"), ("POST", ""), ("GET", "/delete"),
                         ("POST", "/delete")):
        response = admin_client.open(f"/agents/divisions/{theirs.id}{path}", method=method,
                                     data={f"division-{theirs.id}-name": "Mine"})
        assert response.status_code == 404, (method, path)
    assert db.session.get(Division, theirs.id).name == "Theirs"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_other_roles_get_403_and_see_no_entry(client, auth, factory, account, sales, role):
    factory.user(account, role, username="member")
    auth.login(username="member")
    assert "Agent Management" not in client.get("/settings").text
    assert client.get("/agents/divisions").status_code == 403
    assert client.post("/agents/divisions", data={"name": "Mine"}).status_code == 403
    assert client.post(f"/agents/divisions/{sales.id}/delete").status_code == 403
    assert division_named(account, "Mine") is None and db.session.get(Division, sales.id)


# -- two Admins at once, real processes --------------------------------------------------------

def test_simultaneous_creates_of_one_name_make_exactly_one_division(server, root):
    from tests.test_data_safety import all_at_once, query_live

    forms = [{"name": "Twins" if number % 2 else "TWINS"} for number in range(12)]
    results = all_at_once(server, "/agents/divisions", forms, root)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * 11, statuses
    for status, body in results:
        if status == 422:
            assert "A division with this name already exists." in popup_problems(body)
    rows = query_live(server, "SELECT count(*) FROM divisions WHERE lower(name) = 'twins'")
    assert rows[0][0] == 1


def test_the_activity_log_shows_division_changes_in_words(admin_client):
    create(admin_client, {"name": "Support", "channels": ["email", "livechat"]})
    page = admin_client.get("/activity")
    assert page.status_code == 200
    assert "Division created" in page.text
    assert "Channels: " in page.text and "Email, Live Chat" in page.text
    assert '<option value="division created" >Division created</option>' in page.text


@pytest.mark.parametrize("path", ["/agents/divisions/2147483648",
                                  "/agents/divisions/99999999999999999999/edit",
                                  "/agents/divisions/0/delete"])
def test_ids_no_division_can_have_are_404(admin_client, path):
    for headers in ({}, HTMX):
        assert admin_client.get(path, headers=headers).status_code == 404, path


def test_a_user_saved_into_a_division_being_deleted_gets_a_form_error(server, root):
    """The form finds the division; an Admin's delete of it commits before the save writes.
    The save checks again inside its write transaction (waiting for the delete): a 422 that
    says so, not a foreign-key error (a 500). Both databases: the delete holds SQLite's write
    lock, or PostgreSQL's row lock."""
    created = root.request("POST", "/agents/divisions", {"name": "Doomed"},
                           headers={"HX-Request": "true", "X-CSRFToken": root.csrf_token})
    assert created.status == 201, created.text[:300]
    doomed = query_live(server, "SELECT id FROM divisions WHERE name = 'Doomed'")[0][0]
    engine = create_engine(server.env["DATABASE_URL"])
    replies = []
    try:
        with engine.connect() as deleting:
            deleting.execute(text("DELETE FROM divisions WHERE id = :id"), {"id": doomed})
            saving = threading.Thread(target=lambda: replies.append(root.request(
                "POST", "/users", new_user_form(doomed, "late.user"),
                headers={"HX-Request": "true", "X-CSRFToken": root.csrf_token})))
            saving.start()
            time.sleep(1)  # let the save pass its form and wait for the lock (up to 5 s)
            deleting.commit()
        saving.join()
    finally:
        engine.dispose()
    assert replies[0].status == 422, replies[0].text[:300]
    assert "Division is not one of this account&#39;s divisions." in replies[0].text
    assert query_live(server, "SELECT count(*) FROM users WHERE username = 'late.user'") == [(0,)]


def test_an_edit_into_a_division_deleted_meanwhile_is_refused_not_a_crash(app, factory,
                                                                          account, admin):
    """The same check in the edit's write transaction (the race itself is shown above)."""
    from webapp.users import service as users_service

    gone = factory.division(account, "Gone")
    agent = factory.user(account, Role.AGENT)
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()
    with pytest.raises(users_service.RuleBroken, match="not one of this account"):
        users_service.update_user(agent, {"division_id": gone_id}, admin, agent.version)
    db.session.rollback()
    assert db.session.get(type(agent), agent.id).division_id != gone_id
