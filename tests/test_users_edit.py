"""Inline edit, lost-update conflicts, and the rules that keep an account's Admin."""

import re
from datetime import datetime

import pytest

from tests.conftest import HTMX
from webapp.extensions import db
from webapp.models import Role, Status


@pytest.fixture
def agent(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann", first_name="Ann",
                        last_name="Lee", email="ann@example.com", phone="+6281234567890")


def edit_data(user, **changes) -> dict:
    """What the inline form posts for this user, with some fields changed."""
    data = {
        "first_name": user.first_name, "last_name": user.last_name,
        "username": user.username, "email": user.email, "phone": user.phone,
        "role": str(user.role), "division": str(user.division_id or ""),
        "status": str(user.status), "version": str(user.version),
    } | changes
    return {f"user-{user.id}-{name}": value for name, value in data.items()}


def save(client, user, htmx=True, **changes):
    return client.post(f"/users/{user.id}", data=edit_data(user, **changes),
                       headers=HTMX if htmx else {})


def popup(html: str) -> str:
    found = re.search(r'<dialog data-modal class="popup-error".*?</dialog>', html, re.S)
    return found.group(0) if found else ""


def test_edit_turns_the_row_into_a_form(admin_client, agent):
    response = admin_client.get(f"/users/{agent.id}/edit", headers=HTMX)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith(f'<tr id="user-{agent.id}" class="editing"')
    assert f'value="{agent.first_name}"' in html and f'value="{agent.version}"' in html
    assert ">Save</button>" in html and ">Cancel</a>" in html and ">Change Password</a>" in html
    # No password field: the word is only in "Change Password", its address and its id.
    assert "password" not in re.sub(r"Change Password|/password|edit-user-\d+-password", "",
                                    html).lower()
    division = f'<option selected value="{agent.division_id}">'
    assert division in html


def test_edit_is_a_whole_page_without_htmx(admin_client, agent):
    response = admin_client.get(f"/users/{agent.id}/edit")
    assert "<html" in response.text and 'class="editing"' in response.text


def test_cancel_restores_the_row(admin_client, agent):
    response = admin_client.get(f"/users/{agent.id}", headers=HTMX)
    assert response.text.lstrip().startswith(f'<tr id="user-{agent.id}">')
    assert ">Edit</a>" in response.text


def test_the_row_shows_the_created_date_alone_in_the_readers_zone(admin_client, admin, agent):
    # 20:30 UTC on January 5 is 03:30 on January 6 in Jakarta (UTC+7).
    agent.created_at = datetime(2026, 1, 5, 20, 30)
    admin.time_zone = "Asia/Jakarta"
    db.session.commit()
    # The row shows the date alone (its cell is the ninth, its closing tag left out); the
    # row being edited also says the time on hover.
    row = admin_client.get(f"/users/{agent.id}", headers=HTMX).text
    assert re.search(r'<td class="pr \w+">\w+<td>Jan 6, 2026<td>', row), row
    created = re.search(r'<td data-label="Created">(.*?)</td>',
                        admin_client.get(f"/users/{agent.id}/edit", headers=HTMX).text)[1]
    assert re.fullmatch(r'<time datetime="2026-01-05T20:30:00Z" title="Jan 6, 2026, '
                        r'3:30\sAM">Jan 6, 2026</time>', created), created


def test_save_stores_the_edit_and_returns_the_row(admin_client, agent, account):
    sales = account.divisions[0]
    response = save(admin_client, agent, first_name="Annie", phone="0812 3456 7890",
                    email="ANNIE@example.com", role="Supervisor")
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="user-{agent.id}">')
    assert "Annie" in response.text
    assert '"Changes to Annie Lee saved"' in response.headers["HX-Trigger"]
    db.session.refresh(agent)
    assert (agent.first_name, agent.email, agent.phone) == ("Annie", "annie@example.com",
                                                            "081234567890")
    assert agent.role == Role.SUPERVISOR and agent.division_id == sales.id
    assert agent.version == 2


def test_save_without_javascript_redirects_to_the_list(admin_client, agent):
    response = save(admin_client, agent, htmx=False, first_name="Annie")
    assert response.status_code == 302 and response.headers["Location"] == "/users"
    assert "Changes to Annie Lee saved" in admin_client.get("/users").text


def test_the_edit_row_warns_before_its_changes_are_lost(admin_client, agent):
    """app.js reads these: the words of the warning, and which link Escape follows."""
    html = admin_client.get(f"/users/{agent.id}/edit", headers=HTMX).text
    row = re.search(r"<tr [^>]*>", html)[0]
    assert 'data-unsaved-warning="Your changes to Ann Lee are not saved. Leave them unsaved?"' \
        in row
    assert "data-unsaved" not in row.replace("data-unsaved-warning", "")  # as stored
    assert re.search(r'<a [^>]*id="edit-user-\d+-cancel" data-cancel-edit', html)
    # Sent back refused, the row holds what was typed, not what is stored.
    refused = save(admin_client, agent, email="nope").text
    assert re.search(r"<tr [^>]*data-unsaved>", refused)


def test_save_and_cancel_are_disabled_while_on_their_way(admin_client, agent):
    html = admin_client.get(f"/users/{agent.id}/edit", headers=HTMX).text
    form_id = f"edit-user-{agent.id}"
    assert (f'hx-disabled-elt="find button, #{form_id}-cancel, #{form_id}-password" '
            'hx-indicator="closest tr"') in html
    assert (f'hx-disabled-elt="#{form_id}-cancel, #{form_id}-save" '
            'hx-indicator="closest tr">Cancel</a>') in html


class TestToastsNameTheUser:
    def test_created(self, admin_client, account):
        password = "a long and unusual passphrase 42"
        response = admin_client.post("/users", headers=HTMX, data={
            "first_name": "Budi", "last_name": "Santoso", "username": "budi.s",
            "email": "budi@example.com", "role": "Admin",
            "password": password, "confirm_password": password})
        assert response.status_code == 201
        assert '"message": "Budi Santoso created"' in response.headers["HX-Trigger"]

    def test_saved(self, admin_client, agent):
        response = save(admin_client, agent, first_name="Budi", last_name="Santoso")
        assert '"message": "Changes to Budi Santoso saved"' in response.headers["HX-Trigger"]

    def test_deleted(self, admin_client, factory, account, agent):
        response = admin_client.post(f"/users/{agent.id}/delete", headers=HTMX)
        assert '"message": "Ann Lee deleted"' in response.headers["HX-Trigger"]
        other = factory.user(account, Role.AGENT, first_name="Budi", last_name="Santoso")
        assert admin_client.post(f"/users/{other.id}/delete").status_code == 302
        assert "Budi Santoso deleted" in admin_client.get("/users").text  # without htmx


def test_missing_fields_show_inline_and_keep_values(admin_client, agent):
    response = save(admin_client, agent, first_name="", email="", last_name="Kept")
    assert response.status_code == 422
    assert "First name field is required" in response.text
    assert "Email field is required" in response.text
    assert 'value="Kept"' in response.text
    assert popup(response.text) == ""
    db.session.refresh(agent)
    assert agent.first_name == "Ann"


@pytest.mark.parametrize("changes, problem", [
    ({"username": "BOSS"}, "Username is already taken."),
    ({"email": "Boss@Example.com"}, "Email is already taken."),
    ({"email": "nope"}, "Email is not a valid email address."),
    ({"phone": "12"}, "Phone must be 8–15 digits"),
    ({"username": "a b"}, "Username must be 3–32"),
    ({"status": "gone"}, "Not a valid choice."),
])
def test_unacceptable_edits_open_the_popup(admin_client, agent, changes, problem):
    response = save(admin_client, agent, **changes)
    assert response.status_code == 422
    assert problem in popup(response.text)
    db.session.refresh(agent)
    assert agent.version == 1


def test_the_user_keeps_their_own_username_and_email(admin_client, agent):
    assert save(admin_client, agent, username="ANN", email="Ann@Example.com").status_code == 200


def test_a_stale_save_is_a_conflict_and_overwrites_nothing(admin_client, agent):
    stale_version = agent.version
    assert save(admin_client, agent, first_name="First").status_code == 200
    response = save(admin_client, agent, first_name="Second", version=str(stale_version))
    assert response.status_code == 409
    assert "Someone else changed this user" in response.text
    assert "<dd>First Lee</dd>" in response.text   # the current values
    assert 'value="Second"' in response.text        # what this admin typed is kept
    db.session.refresh(agent)
    assert agent.first_name == "First" and agent.version == 2


def test_after_a_conflict_saving_again_keeps_my_values_on_purpose(admin_client, agent):
    save(admin_client, agent, first_name="First")
    conflict = save(admin_client, agent, first_name="Mine", version="1")
    assert conflict.status_code == 409
    assert re.search(rf'name="user-{agent.id}-version"[^>]*value="2"', conflict.text)
    assert save(admin_client, agent, first_name="Mine", version="2").status_code == 200
    db.session.refresh(agent)
    assert agent.first_name == "Mine"


def test_a_password_change_during_an_edit_is_no_conflict(admin_client, agent):
    # Spec steps 7 and 8: "Change Password" from the row being edited, then "Save".
    form_version = agent.version
    new = "granite-willow-harbor-51"
    admin_client.post(f"/users/{agent.id}/password",
                      data={"new_password": new, "confirm_password": new})
    response = save(admin_client, agent, first_name="Annie", version=str(form_version))
    assert response.status_code == 200
    db.session.refresh(agent)
    assert agent.first_name == "Annie" and agent.check_password(new)


def test_disabling_a_user_ends_their_sessions_for_good(app, admin_client, agent, auth):
    member = app.test_client()
    member.post("/login", data={"username": "ann", "password": "correct horse battery staple"})
    assert member.get("/settings").status_code == 200
    assert save(admin_client, agent, status="disabled").status_code == 200
    assert member.get("/settings").status_code == 302
    # Enabled again, the user must log in anew: the old cookie stays dead.
    db.session.refresh(agent)
    assert save(admin_client, agent, status="active").status_code == 200
    assert member.get("/settings").status_code == 302


def test_sqlite_never_hands_a_deleted_users_id_to_a_new_user(admin_client, factory, account,
                                                            agent):
    newest = factory.user(account, Role.AGENT, username="newest")
    newest_id = newest.id
    assert admin_client.post(f"/users/{newest_id}/delete").status_code == 302
    replacement = factory.user(account, Role.AGENT, username="replacement")
    assert replacement.id > newest_id
    # So a stale edit of the deleted user cannot land on someone else: it is a 404.
    stale = {f"user-{newest_id}-{k}": v for k, v in {
        "first_name": "Stale", "username": "newest", "email": "newest@example.com",
        "role": "Admin", "status": "active", "version": "1"}.items()}
    assert admin_client.post(f"/users/{newest_id}", data=stale).status_code == 404


class TestAdminRules:
    def test_an_admin_cannot_demote_themselves(self, admin_client, admin, agent):
        response = save(admin_client, admin, role="Agent",
                        division=str(agent.division_id))
        assert response.status_code == 422
        assert "You cannot change your own role" in popup(response.text)
        db.session.refresh(admin)
        assert admin.role == Role.ADMIN

    def test_an_admin_cannot_disable_themselves(self, admin_client, admin):
        response = save(admin_client, admin, status="disabled")
        assert "You cannot disable your own account" in popup(response.text)
        db.session.refresh(admin)
        assert admin.status == Status.ACTIVE

    def test_the_last_active_admin_is_kept_whoever_asks(self, factory, account, admin):
        # Through the web the actor is always an active Admin, so this guards other paths
        # (the command line, future imports): the rule itself must hold for any actor.
        from webapp.users import service

        other = factory.user(account, Role.SUPERVISOR, username="other")
        assert "last active Admin" in service.admin_change_problem(
            other, admin, Role.AGENT, Status.ACTIVE)
        assert "last active Admin" in service.admin_change_problem(
            other, admin, Role.ADMIN, Status.DISABLED)
        assert "last active Admin" in service.delete_problem(other, admin)
        factory.user(account, Role.ADMIN, username="second")
        assert service.admin_change_problem(other, admin, Role.AGENT, Status.ACTIVE) is None
        assert service.delete_problem(other, admin) is None

    def test_a_disabled_admin_does_not_count(self, factory, account, admin):
        from webapp.users import service

        factory.user(account, Role.ADMIN, username="sleeper", status=Status.DISABLED)
        other = factory.user(account, Role.SUPERVISOR, username="other")
        assert service.delete_problem(other, admin) is not None

    def test_an_admin_may_edit_their_own_name(self, admin_client, admin):
        assert save(admin_client, admin, first_name="Boss").status_code == 200
