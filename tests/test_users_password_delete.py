"""Change password and delete: both end the user's sessions; delete asks first."""


import pytest
from sqlalchemy import func, select

from tests.conftest import HTMX, PASSWORD
from tests.test_users_create import described_by, invalid_fields, popup_problems
from webapp.extensions import db
from webapp.models import Role, User
from webapp.passwords import RULES

NEW = "granite-willow-harbor-51"


@pytest.fixture
def agent(factory, account, admin):
    return factory.user(account, Role.AGENT, username="ann")


@pytest.fixture
def agent_client(app, agent):
    """A second browser, logged in as the agent."""
    member = app.test_client()
    member.post("/login", data={"username": "ann", "password": PASSWORD})
    assert member.get("/settings").status_code == 200
    return member


class TestChangePassword:
    def test_dialog_fragment_and_whole_page(self, admin_client, agent):
        fragment = admin_client.get(f"/users/{agent.id}/password", headers=HTMX)
        assert fragment.text.lstrip().startswith('<dialog data-modal id="password-dialog"')
        assert ">New password</label>" in fragment.text
        assert ">Confirm password</label>" in fragment.text
        assert ">Save</button>" in fragment.text
        page = admin_client.get(f"/users/{agent.id}/password")
        assert "<html" in page.text and "<dialog data-modal id=\"password-dialog\"" not in page.text

    def test_another_users_password_needs_no_current_password(self, admin_client, agent):
        fragment = admin_client.get(f"/users/{agent.id}/password", headers=HTMX)
        assert "Current password" not in fragment.text

    @pytest.mark.asvs("2.1.6")
    @pytest.mark.parametrize("current, status, message", [
        ("", 422, "Current password field is required"),
        ("not my password at all", 422, "Current password is not right."),
        (PASSWORD, 204, None),
    ])
    def test_ones_own_password_needs_the_current_one(self, admin_client, admin, current,
                                                     status, message):
        dialog = admin_client.get(f"/users/{admin.id}/password", headers=HTMX)
        assert ">Current password</label>" in dialog.text
        old_hash = admin.password_hash
        response = admin_client.post(f"/users/{admin.id}/password", headers=HTMX, data={
            "current_password": current, "new_password": NEW, "confirm_password": NEW})
        assert response.status_code == status, response.text
        db.session.refresh(admin)
        if message:
            assert message in response.text
            assert admin.password_hash == old_hash
        else:
            assert admin.check_password(NEW)

    def test_save_stores_a_new_hash_and_ends_every_session(self, admin_client, agent,
                                                          agent_client):
        old_hash = agent.password_hash
        response = admin_client.post(f"/users/{agent.id}/password", headers=HTMX,
                                     data={"new_password": NEW, "confirm_password": NEW})
        assert response.status_code == 204
        assert response.headers["HX-Trigger"] == (
            '{"close-dialog": null, "toast": {"message": "Password changed for '
            f'{agent.full_name}", "level": "success"}}}}')
        db.session.refresh(agent)
        assert agent.password_hash != old_hash and agent.check_password(NEW)
        assert agent_client.get("/settings").status_code == 302  # logged out
        assert agent_client.post("/login", data={"username": "ann", "password": NEW}
                                 ).status_code == 302

    def test_the_admins_own_session_survives_changing_another_password(self, admin_client,
                                                                       agent):
        admin_client.post(f"/users/{agent.id}/password",
                          data={"new_password": NEW, "confirm_password": NEW})
        assert admin_client.get("/users").status_code == 200

    def test_changing_your_own_password_keeps_this_session_and_ends_the_others(
            self, app, admin_client, admin):
        elsewhere = app.test_client()
        elsewhere.post("/login", data={"username": "boss", "password": PASSWORD})
        assert elsewhere.get("/users").status_code == 200
        changed = admin_client.post(f"/users/{admin.id}/password", data={
            "current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW})
        assert changed.status_code == 302
        assert admin_client.get("/users").status_code == 200
        assert elsewhere.get("/users").status_code == 302

    def test_required_fields(self, admin_client, agent):
        response = admin_client.post(f"/users/{agent.id}/password", headers=HTMX, data={})
        assert response.status_code == 422
        assert "New password field is required" in response.text
        assert "Confirm password field is required" in response.text

    @pytest.mark.parametrize("password, confirmation, problem", [
        (NEW, NEW + "!", "Password and confirmation do not match."),
        ("short", "short", "Password must be 12–128 characters long."),
        ("qwertyuiopasdfgh", "qwertyuiopasdfgh", "Password is too common"),
        ("ann@example.com", "ann@example.com", "must not be the same as the username or email"),
    ])
    def test_unacceptable_passwords_open_the_popup(self, admin_client, agent, password,
                                                   confirmation, problem):
        old_hash = agent.password_hash
        response = admin_client.post(f"/users/{agent.id}/password", headers=HTMX, data={
            "new_password": password, "confirm_password": confirmation})
        assert response.status_code == 422
        assert 'class="popup-error"' in response.text and problem in response.text
        assert password not in response.text.replace(problem, "")
        db.session.refresh(agent)
        assert agent.password_hash == old_hash

    @pytest.mark.parametrize("password, confirmation, field, problem", [
        (NEW, NEW + "!", "confirm_password", "Password and confirmation do not match."),
        ("short", "short", "new_password", "Password must be 12–128 characters long."),
        ("ann@example.com", "ann@example.com", "new_password",
         "Password must not be the same as the username or email."),
    ])
    def test_each_problem_is_also_under_its_field(self, admin_client, agent, password,
                                                  confirmation, field, problem):
        html = admin_client.post(f"/users/{agent.id}/password", headers=HTMX, data={
            "new_password": password, "confirm_password": confirmation}).text
        assert popup_problems(html) == [problem]
        assert invalid_fields(html) == [field]
        assert described_by(html, field)[0] == problem

    def test_a_wrong_current_password_is_under_its_field(self, admin_client, admin):
        html = admin_client.post(f"/users/{admin.id}/password", headers=HTMX, data={
            "current_password": "not my password at all", "new_password": NEW,
            "confirm_password": NEW}).text
        assert popup_problems(html) == ["Current password is not right."]
        assert invalid_fields(html) == ["current_password"]
        assert described_by(html, "current_password") == ["Current password is not right."]

    def test_the_password_rules_show_under_the_field_before_saving(self, admin_client, agent):
        html = admin_client.get(f"/users/{agent.id}/password", headers=HTMX).text
        assert described_by(html, "new_password") == [RULES]
        assert described_by(html, "confirm_password") == []

    def test_save_is_disabled_while_its_request_is_in_flight(self, admin_client, agent):
        html = admin_client.get(f"/users/{agent.id}/password", headers=HTMX).text
        assert 'hx-disabled-elt="find #password-form-submit"' in html
        assert 'id="password-form-submit">Save</button>' in html


class TestDelete:
    def test_confirm_popup(self, admin_client, agent):
        response = admin_client.get(f"/users/{agent.id}/delete", headers=HTMX)
        assert response.text.lstrip().startswith('<dialog data-modal id="delete-dialog"')
        assert "Are you sure want to delete this data?" in response.text
        assert ">Delete</button>" in response.text and ">Cancel</button>" in response.text

    def test_confirm_page_without_javascript(self, admin_client, agent):
        response = admin_client.get(f"/users/{agent.id}/delete")
        assert "<html" in response.text
        assert "Are you sure want to delete this data?" in response.text
        assert 'href="/users" role="button" class="secondary">Cancel</a>' in response.text

    def test_delete_removes_the_user_refreshes_the_list_and_ends_sessions(
            self, admin_client, agent, agent_client):
        agent_id = agent.id
        response = admin_client.post(f"/users/{agent_id}/delete", headers=HTMX)
        assert response.status_code == 204
        assert response.headers["HX-Trigger"] == (
            '{"close-dialog": null, "users-changed": null, '
            '"toast": {"message": "Ann Tester deleted", "level": "success"}}')
        assert db.session.get(User, agent_id) is None
        assert agent_client.get("/settings").status_code == 302
        listing = admin_client.get("/users", headers=HTMX).text
        assert f'id="user-{agent_id}"' not in listing
        assert "Showing 1 user" in listing

    def test_delete_without_javascript(self, admin_client, agent):
        agent_id = agent.id
        response = admin_client.post(f"/users/{agent_id}/delete")
        assert response.status_code == 302 and response.headers["Location"] == "/users"
        assert db.session.get(User, agent_id) is None

    def test_asking_changes_nothing(self, admin_client, agent):
        admin_client.get(f"/users/{agent.id}/delete", headers=HTMX)
        assert db.session.get(User, agent.id) is not None

    def test_an_admin_cannot_delete_themselves(self, admin_client, admin):
        popup = admin_client.get(f"/users/{admin.id}/delete", headers=HTMX)
        assert "You cannot delete your own account" in popup.text
        assert ">Delete</button>" not in popup.text
        response = admin_client.post(f"/users/{admin.id}/delete", headers=HTMX)
        assert response.status_code == 422
        assert "You cannot delete your own account" in response.text
        assert db.session.get(User, admin.id) is not None

    def test_another_admin_can_be_deleted_while_one_remains(self, admin_client, factory,
                                                            account):
        second = factory.user(account, Role.ADMIN, username="second")
        assert admin_client.post(f"/users/{second.id}/delete", headers=HTMX).status_code == 204
        admins = select(func.count(User.id)).where(User.role == Role.ADMIN)
        assert db.session.scalar(admins) == 1


class TestOtherAccounts:
    def test_unknown_id_is_404_with_our_page(self, admin_client):
        response = admin_client.get("/users/999999/edit")
        assert response.status_code == 404 and "Not found" in response.text
        fragment = admin_client.get("/users/999999/edit", headers=HTMX)
        assert fragment.status_code == 404 and "<html" not in fragment.text
        assert "toast" in fragment.headers["HX-Trigger"]


@pytest.mark.asvs("2.2.1")
def test_guessing_ones_current_password_locks_like_guessing_a_login(admin_client, admin):
    from webapp.auth import throttle
    from webapp.models import AuditAction, AuditEntry

    for attempt in range(throttle.FREE_FAILURES):
        response = admin_client.post(f"/users/{admin.id}/password", headers=HTMX, data={
            "current_password": f"a wrong guess {attempt}", "new_password": NEW,
            "confirm_password": NEW})
        assert response.status_code == 422
        assert "Current password is not right." in response.text
    right = admin_client.post(f"/users/{admin.id}/password", headers=HTMX, data={
        "current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW})
    assert right.status_code == 422  # locked now, even for the right password
    assert "Too many wrong passwords. Wait a few minutes and try again." in right.text
    db.session.refresh(admin)
    assert admin.locked_until is not None and not admin.check_password(NEW)
    failed = [facts["reason"] for facts in db.session.scalars(select(AuditEntry.facts).where(
        AuditEntry.action == AuditAction.LOGIN_FAILED))]
    assert failed.count("wrong_current_password") == throttle.FREE_FAILURES
    assert "account_locked" in failed
