"""Creating users (spec §3 steps 3–5 and the rules of §4)."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import HTMX, csrf_token_from
from webapp.extensions import db
from webapp.models import Role, Status, User
from webapp.passwords import RULES

STRONG = "violet-orbit-cactus-93"


@pytest.fixture
def valid(account):
    """A complete, acceptable create form."""
    return {
        "first_name": "Ann", "last_name": "Lee", "username": "ann.lee",
        "email": "Ann.Lee@Example.com", "phone": "+62 812-3456-7890", "role": "Agent",
        "division": str(account.divisions[0].id),
        "password": STRONG, "confirm_password": STRONG,
    }


def create(client, data, htmx=True):
    return client.post("/users", data=data, headers=HTMX if htmx else {})


def popup_problems(html: str) -> list[str]:
    popup = re.search(r'<dialog data-modal class="popup-error".*?</dialog>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", popup.group(0)) if popup else []


class ElementsById(HTMLParser):
    """Every element of a page that has an id: its attributes and its text."""

    VOID = {"input", "br", "img", "meta", "link", "hr"}

    def __init__(self, html: str):
        super().__init__()
        self.attributes: dict[str, dict] = {}
        self.texts: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.attributes[attrs["id"]] = attrs
            self.texts[attrs["id"]] = ""
        if tag not in self.VOID:
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in filter(None, self._open):
            self.texts[element_id] += data


def described_by(html: str, field_id: str) -> list[str]:
    """What a screen reader says about the field beyond its name: the texts its
    aria-describedby names, in order (a hidden element named there would be read too)."""
    elements = ElementsById(html)
    ids = (elements.attributes[field_id].get("aria-describedby") or "").split()
    return [" ".join(elements.texts[each].split()) for each in ids]


def invalid_fields(html: str) -> list[str]:
    elements = ElementsById(html)
    return [element_id for element_id, attributes in elements.attributes.items()
            if attributes.get("aria-invalid") == "true"]


def test_new_form_is_a_dialog_fragment_for_htmx(admin_client):
    response = admin_client.get("/users/new", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<dialog data-modal")
    assert "<html" not in response.text
    for label in ("First name", "Last name", "Username", "Email", "Phone", "Role", "Division",
                  "Password", "Confirm password"):
        assert f">{label}</label>" in response.text
    assert ">Create</button>" in response.text
    assert response.headers["Vary"].startswith("HX-Request")


def test_new_form_is_a_whole_page_without_htmx(admin_client):
    response = admin_client.get("/users/new")
    assert response.status_code == 200
    assert "<html" in response.text and 'id="create-user-form"' in response.text
    assert "<dialog data-modal" not in response.text


def test_users_page_has_the_create_button(admin_client):
    page = admin_client.get("/users").text
    assert "+ Create User" in page and 'hx-get="/users/new"' in page


@pytest.mark.parametrize("field, label", [
    ("first_name", "First name"), ("username", "Username"), ("email", "Email"),
    ("role", "Role"), ("password", "Password"), ("confirm_password", "Confirm password"),
])
def test_each_missing_mandatory_field_is_required(admin_client, valid, field, label):
    response = create(admin_client, valid | {field: "  " if field != "role" else ""})
    assert response.status_code == 422
    assert f"{label} field is required</small>" in response.text
    assert popup_problems(response.text) == []
    assert db.session.scalar(select(func.count(User.id))) == 1  # only the admin


def test_all_empty_shows_every_required_message_and_keeps_values(admin_client):
    response = create(admin_client, {"first_name": "Kept", "username": ""})
    assert response.status_code == 422
    for label in ("Username", "Email", "Role", "Password", "Confirm password"):
        assert f"{label} field is required" in response.text
    assert 'value="Kept"' in response.text
    assert response.text.lstrip().startswith('<form id="create-user-form"')


@pytest.mark.parametrize("role", ["Agent", "Supervisor"])
def test_division_is_required_for_agents_and_supervisors(admin_client, valid, role):
    response = create(admin_client, valid | {"role": role, "division": ""})
    assert response.status_code == 422
    assert "Division field is required" in response.text


def test_admins_need_no_division(admin_client, valid):
    assert create(admin_client, valid | {"role": "Admin", "division": ""}).status_code == 201


@pytest.mark.parametrize("changes, problem", [
    ({"username": "ab"}, "Username must be 3–32"),
    ({"username": "x" * 33}, "Username must be 3–32"),
    ({"username": "ann lee"}, "Username must be 3–32"),
    ({"username": "BOSS"}, "Username is already taken."),
    ({"email": "not-an-email"}, "Email is not a valid email address."),
    ({"email": "BOSS@example.com"}, "Email is already taken."),
    ({"phone": "12345"}, "Phone must be 8–15 digits"),
    ({"phone": "+62 812 abc 7890"}, "Phone must be 8–15 digits"),
    ({"phone": "1234567890123456"}, "Phone must be 8–15 digits"),
    ({"first_name": "F" * 65}, "Field cannot be longer than 64 characters."),
    ({"last_name": "L" * 65}, "Field cannot be longer than 64 characters."),
    ({"confirm_password": STRONG + "x"}, "Password and confirmation do not match."),
    ({"password": "short pw", "confirm_password": "short pw"}, "Password must be 12–128"),
    ({"password": "p" * 129, "confirm_password": "p" * 129}, "Password must be 12–128"),
    ({"password": "qwertyuiopasdfgh", "confirm_password": "qwertyuiopasdfgh"},
     "Password is too common"),
    ({"username": "longusername1", "password": "LongUserName1",
      "confirm_password": "LongUserName1"}, "Password must not be the same as the username"),
    ({"role": "Owner"}, "Not a valid choice."),
    ({"division": "999"}, "Division is not one of this account"),
])
def test_unacceptable_data_opens_the_popup_with_each_problem(admin_client, valid, changes,
                                                             problem):
    response = create(admin_client, valid | changes)
    assert response.status_code == 422
    assert any(item.startswith(problem) for item in popup_problems(response.text)), \
        popup_problems(response.text)
    assert f'value="{(valid | changes)["first_name"]}"' in response.text  # values kept
    assert STRONG not in response.text  # passwords are never echoed back
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("changes, field, message", [
    ({"username": "BOSS"}, "username", "Username is already taken."),
    ({"email": "BOSS@example.com"}, "email", "Email is already taken."),
    ({"email": "not-an-email"}, "email", "Email is not a valid email address."),
    ({"phone": "12345"}, "phone", "Phone must be 8–15 digits, optionally starting with +; "
                                  "spaces and dashes are allowed."),
    ({"role": "Owner"}, "role", "Not a valid choice."),
    ({"division": "999"}, "division", "Division is not one of this account's divisions."),
    ({"password": "short pw", "confirm_password": "short pw"}, "password",
     "Password must be 12–128 characters long."),
    ({"password": "qwertyuiopasdfgh", "confirm_password": "qwertyuiopasdfgh"}, "password",
     "Password is too common; choose one that is harder to guess."),
    ({"username": "longusername1", "password": "LongUserName1",
      "confirm_password": "LongUserName1"}, "password",
     "Password must not be the same as the username or email."),
    ({"confirm_password": STRONG + "x"}, "confirm_password",
     "Password and confirmation do not match."),
])
def test_each_problem_is_also_under_its_field(admin_client, valid, changes, field, message):
    html = create(admin_client, valid | changes).text
    assert message in map(unescape, popup_problems(html))  # the popup stays (SPEC §3 step 5)
    assert invalid_fields(html) == [field]
    assert described_by(html, field)[0] == message
    assert f'<small class="field-error" id="{field}-error">' in html


def test_every_problem_of_a_field_is_under_it(admin_client, valid):
    html = create(admin_client, valid | {
        "username": "abc.defg", "password": "abc.defg", "confirm_password": "abc.defg"}).text
    assert described_by(html, "password") == [
        "Password must be 12–128 characters long.",
        "Password must not be the same as the username or email.",
        RULES,
    ]


def test_without_javascript_problems_are_under_their_fields_too(admin_client, valid):
    html = create(admin_client, valid | {"email": "BOSS@example.com"}, htmx=False).text
    assert "<html" in html and 'role="alert"' in html
    assert invalid_fields(html) == ["email"]
    assert described_by(html, "email") == ["Email is already taken."]


def test_the_password_rules_show_under_the_field_before_submitting(admin_client):
    html = admin_client.get("/users/new", headers=HTMX).text
    assert RULES == "12–128 characters, not a common password, not the username or email."
    assert described_by(html, "password") == [RULES]
    assert invalid_fields(html) == []


def test_the_division_hint_waits_for_a_role_that_needs_one(admin_client):
    html = admin_client.get("/users/new", headers=HTMX).text
    hint = ElementsById(html).attributes["division-hint"]
    assert "hidden" in hint and described_by(html, "division") == []
    # What app.js needs to show it as the role changes: the role field and its values.
    assert hint["data-hint-when"] == "role" and hint["data-hint-for"] == "division"
    assert hint["data-hint-when-values"] == '["Supervisor", "Agent"]'


@pytest.mark.parametrize("role, shown", [
    ("", False), ("Admin", False), ("Agent", True), ("Supervisor", True)])
def test_the_division_hint_shows_for_agents_and_supervisors(admin_client, valid, role, shown):
    html = create(admin_client, valid | {"role": role, "email": "nope"}).text
    hint = ElementsById(html).attributes["division-hint"]
    assert ("hidden" not in hint) is shown
    assert (described_by(html, "division") == ["Required for Agents and Supervisors."]) is shown


def test_popup_lists_several_problems_at_once(admin_client, valid):
    response = create(admin_client, valid | {
        "username": "Boss", "email": "nope", "confirm_password": "different password"})
    problems = popup_problems(response.text)
    assert len(problems) == 3


def test_another_accounts_division_is_refused(admin_client, factory, valid):
    other = factory.account("Other")
    response = create(admin_client, valid | {"division": str(other.divisions[0].id)})
    assert response.status_code == 422
    assert any("Division is not one of" in p for p in popup_problems(response.text))


def test_success_closes_the_dialog_refreshes_the_list_and_toasts(admin_client, valid, account):
    response = create(admin_client, valid)
    assert response.status_code == 201
    assert response.headers["HX-Trigger"] == (
        '{"close-dialog": null, "user-created": null, '
        '"toast": {"message": "Ann Lee created", "level": "success"}}')
    user = db.session.scalar(select(User).where(User.username == "ann.lee"))
    assert user.account_id == account.id
    assert user.email == "ann.lee@example.com"  # stored in lower case
    assert user.phone == "+6281234567890"      # stored without separators
    assert (user.first_name, user.last_name, user.role) == ("Ann", "Lee", Role.AGENT)
    assert user.division_id == account.divisions[0].id
    assert user.status == Status.ACTIVE
    assert user.password_hash.startswith("scrypt:") and STRONG not in user.password_hash
    assert user.check_password(STRONG)


def test_the_new_user_is_first_in_the_list(admin_client, valid):
    create(admin_client, valid)
    rows = re.findall(r'<tr id="user-(\d+)"', admin_client.get("/users", headers=HTMX).text)
    newest = db.session.scalar(select(User.id).where(User.username == "ann.lee"))
    assert rows[0] == str(newest)


def test_unicode_password_is_stored_whole(admin_client, valid):
    password = "pässwörd-ünïcødé-🔑🔑"
    create(admin_client, valid | {"password": password, "confirm_password": password})
    user = db.session.scalar(select(User).where(User.username == "ann.lee"))
    assert user.check_password(password)
    assert not user.check_password(password[:-1])


def test_without_javascript_the_form_works_as_a_page(admin_client, valid):
    invalid = create(admin_client, valid | {"email": "nope"}, htmx=False)
    assert invalid.status_code == 422
    assert "<html" in invalid.text and 'role="alert"' in invalid.text
    assert "Email is not a valid email address." in invalid.text
    response = create(admin_client, valid, htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == "/users"
    assert "Ann Lee created" in admin_client.get("/users").text


def test_a_database_race_on_the_username_becomes_the_form_error(admin_client, valid,
                                                               monkeypatch):
    # The form check passes (as when two admins submit at once); the unique index catches it.
    from webapp.users.forms import UserFieldsForm

    create(admin_client, valid)
    monkeypatch.setattr(UserFieldsForm, "validate_username", lambda form, field: None)
    response = create(admin_client, valid | {"email": "other@example.com",
                                             "username": "ANN.LEE"})
    assert response.status_code == 422
    assert "Username is already taken." in popup_problems(response.text)


def test_the_unique_index_ignores_letter_case(app, factory, account):
    factory.user(account, username="Carol")
    with pytest.raises(IntegrityError):
        factory.user(account, username="cAROL", email="other@example.com")


def test_csrf_is_enforced(app, factory, account, valid):
    app.config["WTF_CSRF_ENABLED"] = True
    factory.user(account, Role.ADMIN, username="boss")
    client = app.test_client()
    login_page = client.get("/login").text
    assert client.post("/login", data={"username": "boss", "password": "x"}).status_code == 400
    client.post("/login", data={"username": "boss", "password": "correct horse battery staple",
                                "csrf_token": csrf_token_from(login_page)})
    without = client.post("/users", data=valid, headers=HTMX)
    assert without.status_code == 400
    assert "Reload the page" in without.headers["HX-Trigger"]
    token = csrf_token_from(client.get("/users").text)
    with_header = client.post("/users", data=valid, headers=HTMX | {"X-CSRFToken": token})
    assert with_header.status_code == 201


# -- addresses and phones that look alike are one (webapp.identity) ------------------------

LOOKALIKE_EMAILS = [
    ("owner@example.com", "owner@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com"),  # full-width
    ("zoe\u0308@example.com", "zo\u00eb@example.com"),     # NFD, then NFC
    ("x@ex\u00e4mple.com", "x@xn--exmple-cua.com"),        # Unicode, then punycode
    ("x@xn--exmple-cua.com", "X@EX\u00c4MPLE.COM"),
]


@pytest.mark.parametrize("first, second", LOOKALIKE_EMAILS)
def test_an_email_that_only_looks_different_is_taken(admin_client, valid, first, second):
    assert create(admin_client, valid | {"email": first}).status_code == 201
    response = create(admin_client, valid | {"username": "someone.else", "email": second})
    assert response.status_code == 422
    assert "Email is already taken." in popup_problems(response.text)
    assert db.session.scalar(select(func.count(User.id))) == 2


@pytest.mark.parametrize("first, second", LOOKALIKE_EMAILS)
def test_the_unique_index_holds_lookalike_emails_apart(admin_client, valid, monkeypatch,
                                                      first, second):
    # As in a race the form check lost: only the stored form makes the index catch it.
    from webapp.users.forms import UserFieldsForm

    create(admin_client, valid | {"email": first})
    monkeypatch.setattr(UserFieldsForm, "validate_email", lambda form, field: None)
    response = create(admin_client, valid | {"username": "someone.else", "email": second})
    assert response.status_code == 422
    assert "Email is already taken." in popup_problems(response.text)


def test_an_email_is_stored_in_one_form(admin_client, valid):
    assert create(admin_client, valid | {
        "email": "\uff3aoe\u0308@XN--EXMPLE-CUA.com"}).status_code == 201
    user = db.session.scalar(select(User).where(User.username == "ann.lee"))
    # NFKC, lower case, NFC, and the domain in Unicode, as an admin reads it in the list.
    assert user.email == "zo\u00eb@ex\u00e4mple.com"


ARABIC_INDIC_PHONE = "+٦٢ ٨١٢-٣٤٥٦-٧٨٩٠"  # +62 812-3456-7890


def test_a_phone_in_other_digits_is_stored_in_ascii_and_found_either_way(admin_client, valid):
    assert create(admin_client, valid | {"phone": ARABIC_INDIC_PHONE}).status_code == 201
    user = db.session.scalar(select(User).where(User.username == "ann.lee"))
    assert user.phone == "+6281234567890"
    for query in ("812-3456", "٨١٢-٣٤٥٦", "+٦٢٨١٢", "８１２３"):  # the last in full-width
        listed = admin_client.get("/users", query_string={"q": query}, headers=HTMX).text
        assert f'<tr id="user-{user.id}"' in listed, query


# Superscript digits are digits to Unicode, yet not decimal ones: no phone is written so.
@pytest.mark.parametrize("phone", ["+٦٢٨", "٦٢٨²²²²²"])
def test_a_phone_in_other_digits_still_needs_8_to_15_digits(admin_client, valid, phone):
    response = create(admin_client, valid | {"phone": phone})
    assert response.status_code == 422
    assert any(p.startswith("Phone must be 8–15 digits") for p in popup_problems(response.text))
