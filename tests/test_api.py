"""The integration API (SPEC §8) over the real app and database: tokens, every error path in
the one JSON shape, odd and huge bodies, idempotent intake, rooms and their queue places,
assign and presence, accounts kept apart, and the per-token rate limit."""

import json
import sqlite3
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import HTMX, PASSWORD, csrf_token_from, on_postgresql
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.integrations.tokens import create_token, revoke_token
from webapp.models import (
    Account,
    ActorKind,
    AgentWorkload,
    ApiRateWindow,
    ApiToken,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Role,
    Status,
    User,
    utcnow,
)

sqlite_only = pytest.mark.skipif(on_postgresql(), reason="SQLite's own locks and files")


class Api:
    """A test client speaking to the API with one token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | (extra or {})

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.open("POST", path, **kwargs)

    def put(self, path: str, body=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.open("PUT", path, **kwargs)

    def open(self, method: str, path: str, headers: dict | None = None, **kwargs):
        response = self.client.open("/api/v1" + path, method=method,
                                    headers=self.headers(headers), **kwargs)
        assert_json(response)
        return response

    def room(self, channel="whatsapp", external_id="wa-1", **fields):
        return self.post("/rooms", {"channel": channel, "external_id": external_id,
                                    "customer_name": "Ani"} | fields)


def assert_json(response) -> None:
    """Every API answer is JSON, never a page; an error in the one shape."""
    assert response.mimetype == "application/json", (response.status_code, response.text[:300])
    body = response.get_json()
    assert isinstance(body, dict)
    if response.status_code >= 400:
        assert set(body) == {"error"}
        error = body["error"]
        assert set(error) == {"code", "message", "fields"}, error
        assert error["code"].replace("_", "").isalpha() and error["code"].islower()
        assert isinstance(error["message"], str) and error["message"]
        assert isinstance(error["fields"], dict)
        assert "Traceback" not in response.text


def error_of(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text[:500]
    error = response.get_json()["error"]
    if code:
        assert error["code"] == code, error
    return error


@pytest.fixture
def token(app, account):
    _, plaintext = create_token(account.id, "Chat platform", None)
    return plaintext


@pytest.fixture
def api(client, token):
    return Api(client, token)


@pytest.fixture
def agent(factory, account):
    return factory.user(account, Role.AGENT, username="ann")


@pytest.fixture
def other_account(factory):
    return factory.account("Other")


def online(api: Api, *usernames: str) -> None:
    for username in usernames:
        response = api.put(f"/agents/{username}/presence", {"presence": "online"})
        assert response.status_code == 200, response.text


def workload(user: User, chats: int) -> None:
    with write_transaction():
        db.session.add(AgentWorkload(user_id=user.id, max_chats=chats))


def auto(account: Account, on: bool) -> None:
    with write_transaction():
        db.session.execute(update(Account).where(Account.id == account.id)
                           .values(auto_allocation=on))


# -- tokens -------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==",
                                           "Token oam_x", "oam_x"])
def test_no_token_is_401_with_a_bearer_challenge(client, token, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/api/v1/agents", headers=headers)
    assert_json(response)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("bad", ["oam_nothing", "nothing", "oam_" + "x" * 200, "oam_\u00e9",
                                 "oam_%00"])
def test_an_unknown_token_is_401(client, token, bad):
    response = Api(client, bad).get("/agents")
    error_of(response, 401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_read_whatever_the_scheme_is_spelled(client, token):
    response = client.get("/api/v1/agents", headers={"Authorization": f"bearer  {token} "})
    assert response.status_code == 200


def test_a_revoked_token_is_401(client, token, admin):
    row = db.session.scalar(select(ApiToken))
    assert Api(client, token).get("/agents").status_code == 200
    revoke_token(row, admin)
    error_of(Api(client, token).get("/agents"), 401, "invalid_token")


def test_a_logged_in_browser_without_a_token_is_401(admin_client, token):
    for method, path in [("GET", "/agents"), ("POST", "/rooms"), ("GET", "/rooms/1")]:
        response = admin_client.open("/api/v1" + path, method=method, json={})
        assert_json(response)
        error_of(response, 401, "unauthorized")
        assert "Set-Cookie" not in response.headers


def test_a_browser_with_an_expired_session_is_401_not_sent_to_login(client, admin, token):
    client.post("/login", data={"username": "boss", "password": PASSWORD})
    with client.session_transaction() as session:
        session["seen_at"] = 0  # idle for ever
    response = client.get("/api/v1/agents", headers=HTMX)
    assert_json(response)
    error_of(response, 401)
    assert "HX-Redirect" not in response.headers and "Location" not in response.headers


def api_routes(app):
    """Every API route and method, with a room id and a username filled in."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = rule.rule.replace("<id:room_id>", "1").replace("<username>", "ann")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def test_every_route_needs_a_token_even_with_a_session_and_its_csrf_token(app, client, admin,
                                                                         agent, token):
    app.config["WTF_CSRF_ENABLED"] = True
    csrf = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": csrf})
    assert client.get("/users").status_code == 200
    checked = 0
    for method, path in api_routes(app):
        response = client.open(path, method=method, json={}, headers={"X-CSRFToken": csrf})
        assert_json(response)
        error_of(response, 401, "unauthorized")
        with_token = Api(client, token).open(method, path.removeprefix("/api/v1"), json={})
        assert with_token.status_code != 400 or with_token.get_json()["error"]["code"] != \
            "bad_request", (method, path)  # no CSRF check: the token is the credential
        checked += 1
    assert checked == 7


def test_the_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"] == "3.1.0"


# -- errors: one JSON shape, never a page -------------------------------------------------------

@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/api/v1/nothing", 404, "not_found"),
    ("POST", "/api/v1/nothing", 404, "not_found"),
    ("GET", "/api/nothing", 404, "not_found"),
    ("GET", "/api", 404, "not_found"),
    ("GET", "/api/v1/rooms/0", 404, "not_found"),
    ("GET", "/api/v1/rooms/99999999999999999999", 404, "not_found"),
    ("GET", "/api/v1/rooms/abc", 404, "not_found"),
    ("DELETE", "/api/v1/rooms", 405, "method_not_allowed"),
    ("GET", "/api/v1/rooms", 405, "method_not_allowed"),
    ("POST", "/api/v1/agents", 405, "method_not_allowed"),
    ("GET", "/api/v1/agents/ann/presence", 405, "method_not_allowed"),
])
def test_unknown_paths_and_methods_answer_json(client, token, method, path, status, code):
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
    assert_json(response)
    error_of(response, status, code)


def test_pages_outside_the_api_stay_pages(client):
    response = client.get("/apis")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_a_body_over_one_mebibyte_is_413(api):
    body = json.dumps({"channel": "whatsapp", "external_id": "x",
                       "customer_name": "a" * (1024 * 1024)})
    response = api.post("/rooms", data=body, content_type="application/json")
    error_of(response, 413, "body_too_large")
    assert db.session.scalar(select(Chat)) is None


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain",
                                          "multipart/form-data; boundary=x",
                                          "application/xml", None])
def test_a_body_that_is_not_json_is_415_saying_what_to_send(api, content_type):
    kwargs = {"data": b'{"channel": "whatsapp", "external_id": "x"}'}
    if content_type:
        kwargs["content_type"] = content_type
    error = error_of(api.post("/rooms", **kwargs), 415, "unsupported_media_type")
    assert "application/json" in error["message"]


def test_a_form_body_to_the_api_is_415_too(api):
    error_of(api.post("/rooms", data={"channel": "whatsapp", "external_id": "x"}), 415)


@pytest.mark.parametrize("body, code", [
    (b"{", "malformed_json"),
    (b"{'channel': 'x'}", "malformed_json"),
    (b'{"channel": "x",}', "malformed_json"),
    (b"", None),  # no body: the fields are missing (422)
    (b"\xff\xfe{}", "malformed_json"),
    ('\ufeff{"channel": "x"}'.encode(), "malformed_json"),
    (b'{"channel": NaN}', "malformed_json"),
    (b'{"channel": Infinity}', "malformed_json"),
    (b'{"channel": ' + b"1" * 5000 + b"}", "malformed_json"),
    (b"[" * 100_000 + b"]" * 100_000, "malformed_json"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "malformed_json"),
    (b"[]", "not_an_object"),
    (b'["whatsapp", "x"]', "not_an_object"),
    (b'"whatsapp"', "not_an_object"),
    (b"42", "not_an_object"),
    (b"null", "not_an_object"),
    (b"true", "not_an_object"),
])
def test_bodies_that_are_no_json_object_are_400(api, body, code):
    response = api.post("/rooms", data=body, content_type="application/json")
    if code is None:
        error_of(response, 422, "invalid_fields")
    else:
        error_of(response, 400, code)
    assert db.session.scalar(select(Chat)) is None


def test_deep_nesting_inside_a_field_is_a_field_error(api):
    nested = {"channel": "whatsapp", "external_id": "x", "customer_name": [[[[[[["a"]]]]]]]}
    error = error_of(api.post("/rooms", nested), 422, "invalid_fields")
    assert set(error["fields"]) == {"customer_name"}


LONG = {"channel": 32, "external_id": 128, "customer_name": 200}


@pytest.mark.parametrize("field", sorted(LONG))
def test_each_length_limit_holds_to_the_character(api, field):
    longest = "é" * LONG[field]  # characters, not bytes
    assert api.room(**({"external_id": "ok"} | {field: longest})).status_code == 201
    error = error_of(api.room(**({"external_id": "long"} | {field: longest + "é"})), 422)
    assert list(error["fields"]) == [field]
    assert str(LONG[field]) in error["fields"][field]


@pytest.mark.parametrize("value", ["a\x00b", "a\nb", "\tab", "a\x1bb", "a\x7fb", "a\x85b",
                                   "\ud800", "a\udfffb"])
@pytest.mark.parametrize("field", ["channel", "external_id", "customer_name", "division"])
def test_control_characters_and_lone_surrogates_are_refused(api, field, value):
    body = {"channel": "whatsapp", "external_id": "x", field: value}
    raw = json.dumps(body)  # ASCII with \u escapes: the lone surrogates travel as JSON does
    response = api.post("/rooms", data=raw, content_type="application/json")
    error = error_of(response, 422, "invalid_fields")
    assert list(error["fields"]) == [field]
    assert db.session.scalar(select(Chat)) is None


@pytest.mark.parametrize("value", [42, 4.2, True, [], ["whatsapp"], {"a": "b"}, -1])
@pytest.mark.parametrize("field", ["channel", "external_id", "customer_name", "division"])
def test_values_of_the_wrong_type_are_field_errors(api, field, value):
    body = {"channel": "whatsapp", "external_id": "x", field: value}
    error = error_of(api.post("/rooms", body), 422, "invalid_fields")
    assert error["fields"] == {field: "Must be a string."}


def test_missing_and_blank_fields_are_named(api):
    error = error_of(api.post("/rooms", {}), 422, "invalid_fields")
    assert error["fields"] == {"channel": "This field is required.",
                               "external_id": "This field is required."}
    error = error_of(api.post("/rooms", {"channel": "  ", "external_id": None}), 422)
    assert set(error["fields"]) == {"channel", "external_id"}


def test_unknown_fields_are_named_not_ignored(api):
    error = error_of(api.room(divison="Sales", **{"a\x00b": 1}), 422, "invalid_fields")
    assert error["fields"] == {"divison": "Unknown field.", "a?b": "Unknown field."}


def test_a_body_of_many_unknown_fields_gets_the_first_twenty_named(api):
    body = {"channel": "whatsapp", "external_id": "x"} | {f"f{n}": n for n in range(50_000)}
    raw = json.dumps(body)  # in this order (the test client would sort the keys)
    error = error_of(api.post("/rooms", data=raw, content_type="application/json"), 422)
    assert set(error["fields"]) == {f"f{n}" for n in range(20)}


def test_unicode_is_kept_as_sent(api):
    name = "Ani 👩‍💻 Łódź 中文 \u200b"
    response = api.room(external_id="ünïcødé-🙂", customer_name=name)
    assert response.status_code == 201
    room = response.get_json()
    assert room["customer_name"] == name.strip() and room["external_id"] == "ünïcødé-🙂"


def test_messages_follow_accept_language(app_with_catalogue, account, token):
    client = app_with_catalogue({"This field is required.": "Wajib diisi.",
                                 "Send the body as JSON, with Content-Type: "
                                 "application/json.": "Kirim isi sebagai JSON."}).test_client()
    api = Api(client, token)
    english = error_of(api.post("/rooms", {}), 422)
    assert english["fields"]["channel"] == "This field is required."
    indonesian = error_of(api.post("/rooms", {}, headers={"Accept-Language": "id"}), 422)
    assert indonesian["fields"]["channel"] == "Wajib diisi."
    refused = error_of(api.post("/rooms", data=b"x", content_type="text/plain",
                                headers={"Accept-Language": "id-ID,id;q=0.9"}), 415)
    assert refused["message"] == "Kirim isi sebagai JSON."


def test_an_error_inside_a_view_is_a_json_500_without_internals(other_app, token):
    app = other_app()

    @app.before_request
    def break_everything():
        raise RuntimeError("secret internals")

    response = Api(app.test_client(), token).get("/agents")
    error = error_of(response, 500, "internal_error")
    assert "secret internals" not in response.text
    assert error["fields"] == {}


@sqlite_only
def test_a_busy_database_is_a_json_503_with_retry_after(other_app, token):
    client = other_app(SQLITE_BUSY_TIMEOUT_MS=100).test_client()
    holder = sqlite3.connect(db.engine.url.database)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        response = Api(client, token).post("/rooms", {"channel": "x", "external_id": "y"})
    finally:
        holder.rollback()
        holder.close()
    error_of(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "2"


def test_a_database_that_is_down_is_a_json_503(other_app, token, tmp_path):
    down = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/app.sqlite3")
    response = Api(down.test_client(), token).get("/agents")
    error_of(response, 503, "unavailable")


@sqlite_only
def test_a_file_that_is_not_a_database_is_a_json_500(other_app, token, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database " * 1000)
    client = other_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{junk}").test_client()
    error_of(Api(client, token).get("/agents"), 500, "internal_error")


# -- rooms --------------------------------------------------------------------------------------

def test_intake_answers_201_with_the_room_then_200_with_the_same(api, account):
    auto(account, False)
    first = api.room(channel="WhatsApp", external_id="wa-8812", customer_name=" Ani ")
    assert first.status_code == 201
    room = first.get_json()
    assert first.headers["Location"] == f"/api/v1/rooms/{room['id']}"
    assert room == {
        "id": room["id"], "channel": "whatsapp", "external_id": "wa-8812",
        "customer_name": "Ani", "division": None, "status": "queued", "agent": None,
        "queue_position": 1, "queued_at": room["queued_at"], "assigned_at": None,
        "resolved_at": None,
    }
    assert room["queued_at"].endswith("Z") and "T" in room["queued_at"]
    again = api.room(channel="whatsapp", external_id="wa-8812", customer_name="Someone else")
    assert again.status_code == 200 and again.get_json() == room
    assert "Location" not in again.headers
    assert db.session.scalar(select(Chat).where(Chat.external_id == "wa-8812")).customer_name \
        == "Ani"
    assert len(db.session.scalars(select(Chat)).all()) == 1


def test_intake_is_idempotent_after_the_room_is_resolved(api):
    room = api.room().get_json()
    resolved = api.post(f"/rooms/{room['id']}/resolve").get_json()
    again = api.room()
    assert again.status_code == 200 and again.get_json() == resolved
    assert resolved["status"] == "resolved" and resolved["resolved_at"].endswith("Z")


def test_the_same_external_id_on_another_channel_is_another_room(api):
    assert api.room(channel="whatsapp").status_code == 201
    assert api.room(channel="instagram").status_code == 201


def test_intake_names_a_division_ignoring_case(api, factory, account):
    factory.division(account, "Sales")
    room = api.room(division="sALES").get_json()
    assert room["division"] == "Sales"
    error = error_of(api.room(external_id="wa-2", division="Nowhere"), 422, "invalid_fields")
    assert error["fields"] == {"division": "Division is not one of this account's divisions."}


def test_another_accounts_division_is_unknown(api, factory, other_account):
    factory.division(other_account, "Theirs")
    error_of(api.room(division="Theirs"), 422)


def test_a_null_division_and_name_are_left_out(api):
    room = api.room(division=None, customer_name=None).get_json()
    assert room["division"] is None and room["customer_name"] == ""


def test_intake_goes_to_an_online_agent_when_auto_allocation_is_on(api, agent):
    online(api, "ann")
    room = api.room().get_json()
    assert room["status"] == "assigned" and room["agent"] == "ann"
    assert room["queue_position"] is None and room["assigned_at"].endswith("Z")
    decision = db.session.scalar(select(ChatDecision).where(ChatDecision.chat_id == room["id"]))
    assert decision.reason == DecisionReason.AUTO


def test_queue_positions_count_the_accounts_waiting_rooms_oldest_first(api, account, factory,
                                                                       other_account):
    auto(account, False)
    rooms = [api.room(external_id=f"wa-{n}").get_json() for n in range(4)]
    assert [room["queue_position"] for room in rooms] == [1, 2, 3, 4]
    _, their_token = create_token(other_account.id, "Theirs", None)
    theirs = Api(api.client, their_token).room(external_id="wa-x").get_json()
    assert theirs["queue_position"] == 1  # each account has its own queue
    api.post(f"/rooms/{rooms[1]['id']}/resolve")
    positions = [api.get(f"/rooms/{room['id']}").get_json()["queue_position"] for room in rooms]
    assert positions == [1, None, 2, 3]


def test_get_a_room(api):
    room = api.room().get_json()
    assert api.get(f"/rooms/{room['id']}").get_json() == room


def test_resolving_twice_answers_the_same(api, agent):
    online(api, "ann")
    room = api.room().get_json()
    first = api.post(f"/rooms/{room['id']}/resolve")
    second = api.post(f"/rooms/{room['id']}/resolve", {})
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    assert first.get_json()["agent"] == "ann"  # who had it last
    decisions = db.session.scalars(select(ChatDecision.reason).where(
        ChatDecision.chat_id == room["id"], ChatDecision.reason == DecisionReason.RESOLVED))
    assert len(decisions.all()) == 1


def test_resolve_takes_no_fields(api):
    room = api.room().get_json()
    error = error_of(api.post(f"/rooms/{room['id']}/resolve", {"now": True}), 422)
    assert error["fields"] == {"now": "Unknown field."}
    error_of(api.post(f"/rooms/{room['id']}/resolve", data=b"[1]",
                      content_type="application/json"), 400, "not_an_object")


def test_decisions_name_the_token_as_who_decided(api):
    room = api.room().get_json()
    api.post(f"/rooms/{room['id']}/resolve")
    decision = db.session.scalar(select(ChatDecision).where(
        ChatDecision.reason == DecisionReason.RESOLVED))
    token = db.session.scalar(select(ApiToken))
    assert (decision.actor_kind, decision.actor_id, decision.actor_name) == (
        ActorKind.API, token.id, "Chat platform")


def test_messages_drive_the_idle_rule(api, agent):
    online(api, "ann")
    room = api.room().get_json()
    path = f"/rooms/{room['id']}/messages"
    assert api.post(path, {"from": "customer"}).get_json() == room
    chat = db.session.get(Chat, room["id"])
    assert chat.customer_waiting_since is not None
    api.post(path, {"from": "agent"})
    db.session.refresh(chat)
    assert chat.customer_waiting_since is None


@pytest.mark.parametrize("body", [{}, {"from": "bot"}, {"from": "Customer"}, {"from": 1},
                                  {"from": None}, {"from": "agent", "text": "hi"}])
def test_bad_message_bodies_are_422(api, body):
    room = api.room().get_json()
    error = error_of(api.post(f"/rooms/{room['id']}/messages", body), 422, "invalid_fields")
    assert error["fields"]


def test_a_message_in_a_resolved_room_is_409(api):
    room = api.room().get_json()
    api.post(f"/rooms/{room['id']}/resolve")
    error_of(api.post(f"/rooms/{room['id']}/messages", {"from": "customer"}), 409,
             "chat_resolved")


# -- assign ---------------------------------------------------------------------------------------

@pytest.fixture
def queued_room(api, account):
    """Custom agent allocation: rooms wait for the customer's system to assign them."""
    with write_transaction():
        db.session.execute(update(Account).where(Account.id == account.id)
                           .values(auto_allocation=False, custom_allocation=True))
    return api.room().get_json()


def test_assign_to_an_online_agent_and_back_to_the_queue(api, agent, queued_room):
    online(api, "ann")
    path = f"/rooms/{queued_room['id']}/assign"
    assigned = api.post(path, {"agent": "ANN"}).get_json()
    assert assigned["status"] == "assigned" and assigned["agent"] == "ann"
    back = api.post(path, {"queue": True}).get_json()
    assert back["status"] == "queued" and back["agent"] is None
    assert back["queue_position"] == 1 and back["queued_at"] == queued_room["queued_at"]
    reasons = db.session.scalars(select(ChatDecision.reason).where(
        ChatDecision.chat_id == queued_room["id"]).order_by(ChatDecision.id)).all()
    assert reasons[-2:] == [DecisionReason.CUSTOM, DecisionReason.CUSTOM]


def test_assign_to_an_offline_agent_is_409(api, agent, queued_room):
    error_of(api.post(f"/rooms/{queued_room['id']}/assign", {"agent": "ann"}), 409,
             "agent_not_online")


def test_assign_never_goes_over_the_workload(api, agent, queued_room):
    workload(agent, 1)
    online(api, "ann")
    second = api.room(external_id="wa-2").get_json()
    api.post(f"/rooms/{queued_room['id']}/assign", {"agent": "ann"})
    error_of(api.post(f"/rooms/{second['id']}/assign", {"agent": "ann"}), 409, "agent_full")
    assert db.session.get(Chat, second["id"]).status == ChatStatus.QUEUED


def test_assign_to_an_agent_of_another_division_is_409(api, factory, account, queued_room):
    sales = factory.division(account, "Sales")
    support = factory.division(account, "Support")
    factory.user(account, Role.AGENT, username="sam", division=support)
    online(api, "sam")
    room = api.room(external_id="wa-sales", division="Sales").get_json()
    assert sales.id
    error_of(api.post(f"/rooms/{room['id']}/assign", {"agent": "sam"}), 409,
             "agent_other_division")


def test_assign_to_a_supervisor_is_422_on_the_agent_field(api, factory, account, queued_room):
    factory.user(account, Role.SUPERVISOR, username="sue")
    error = error_of(api.post(f"/rooms/{queued_room['id']}/assign", {"agent": "sue"}), 422)
    assert set(error["fields"]) == {"agent"}


@pytest.mark.parametrize("body, fields", [
    ({}, {"agent", "queue"}),
    ({"agent": "ann", "queue": True}, {"agent", "queue"}),
    ({"queue": False}, {"queue"}),
    ({"queue": "true"}, {"queue"}),
    ({"agent": " "}, {"agent", "queue"}),  # blank: neither is given
    ({"agent": ["ann"]}, {"agent"}),
    ({"agent": "nobody"}, {"agent"}),
    ({"agent": "boss"}, {"agent"}),  # an Admin takes no chats
    ({"agent": "a" * 33}, {"agent"}),
])
def test_bad_assign_bodies_are_422(api, agent, admin, queued_room, body, fields):
    error = error_of(api.post(f"/rooms/{queued_room['id']}/assign", body), 422,
                     "invalid_fields")
    assert set(error["fields"]) == fields


def test_assign_a_resolved_room_is_409(api, agent, queued_room):
    online(api, "ann")
    api.post(f"/rooms/{queued_room['id']}/resolve")
    error_of(api.post(f"/rooms/{queued_room['id']}/assign", {"agent": "ann"}), 409,
             "chat_resolved")


# -- agents ---------------------------------------------------------------------------------------

def test_the_roster_lists_agents_and_supervisors(api, factory, account, admin, agent):
    factory.user(account, Role.SUPERVISOR, username="sue")
    workload(agent, 3)
    online(api, "ann")
    api.room()
    agents = api.get("/agents").get_json()["agents"]
    assert agents == [
        {"username": "ann", "role": "agent", "division": "General", "presence": "online",
         "load": 1, "capacity": 3},
        {"username": "sue", "role": "supervisor", "division": "General",
         "presence": "offline", "load": 0, "capacity": 5},
    ]


def test_presence_set_through_the_api_lasts_and_is_answered(api, agent):
    response = api.put("/agents/Ann/presence", {"presence": "away"})
    assert response.get_json() == {"username": "ann", "role": "agent", "division": "General",
                                   "presence": "away", "load": 0, "capacity": 5}
    with write_transaction():  # long after any page of theirs was open
        db.session.execute(update(User).where(User.id == agent.id)
                           .values(presence_seen_at=utcnow() - timedelta(days=1)))
    assert api.get("/agents").get_json()["agents"][0]["presence"] == "away"


def test_coming_online_through_the_api_drains_the_queue(api, agent, account):
    room = api.room().get_json()
    assert room["status"] == "queued"
    online(api, "ann")
    assert api.get(f"/rooms/{room['id']}").get_json()["agent"] == "ann"


@pytest.mark.parametrize("body", [{}, {"presence": "busy"}, {"presence": "Online"},
                                  {"presence": None}, {"presence": 1},
                                  {"presence": "online", "until": 5}])
def test_bad_presence_bodies_are_422(api, agent, body):
    error = error_of(api.put("/agents/ann/presence", body), 422, "invalid_fields")
    assert error["fields"]


@pytest.mark.parametrize("username", ["nobody", "boss", "a" * 300, "ann%00", "%C3%A9"])
def test_presence_of_no_such_agent_is_404(api, admin, agent, username):
    error_of(api.put(f"/agents/{username}/presence", {"presence": "online"}), 404)


def test_presence_of_a_disabled_agent_is_409(api, agent):
    with write_transaction():
        db.session.execute(update(User).where(User.id == agent.id)
                           .values(status=Status.DISABLED))
    error_of(api.put("/agents/ann/presence", {"presence": "online"}), 409, "agent_disabled")


# -- one account's token reaches nothing of another's --------------------------------------------

def test_another_accounts_rooms_and_agents_are_404(api, client, factory, other_account):
    factory.user(other_account, Role.AGENT, username="olga")
    _, their_token = create_token(other_account.id, "Theirs", None)
    theirs = Api(client, their_token)
    online(theirs, "olga")
    room = theirs.room().get_json()
    for method, path, body in [("GET", f"/rooms/{room['id']}", None),
                               ("POST", f"/rooms/{room['id']}/resolve", None),
                               ("POST", f"/rooms/{room['id']}/messages", {"from": "agent"}),
                               ("POST", f"/rooms/{room['id']}/assign", {"queue": True}),
                               ("POST", f"/rooms/{room['id']}/assign", {"agent": "nobody"}),
                               ("PUT", "/agents/olga/presence", {"presence": "offline"})]:
        error_of(api.open(method, path, json=body), 404)
    assert api.get("/agents").get_json() == {"agents": []}
    assert theirs.get(f"/rooms/{room['id']}").get_json() == room  # nothing changed
    mine = api.room(external_id="mine").get_json()
    error = error_of(api.post(f"/rooms/{mine['id']}/assign", {"agent": "olga"}), 422)
    assert set(error["fields"]) == {"agent"}


def test_the_same_channel_and_external_id_in_two_accounts_are_two_rooms(api, client,
                                                                        other_account):
    _, their_token = create_token(other_account.id, "Theirs", None)
    mine = api.room()
    theirs = Api(client, their_token).room()
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["id"] != theirs.get_json()["id"]


# -- the rate limit -------------------------------------------------------------------------------

def fill_windows(token_id: int, requests: int, seconds: int = 30) -> None:
    """The token has already made `requests` requests in each of the next `seconds`."""
    now = int(time.time())
    with write_transaction():
        for second in range(now, now + seconds):
            db.session.add(ApiRateWindow(token_id=token_id, second=second, requests=requests))


def test_past_the_limit_is_429_with_retry_after(other_app, account, token):
    client = other_app(API_RATE_LIMIT=3).test_client()
    row = db.session.scalar(select(ApiToken))
    fill_windows(row.id, 3)
    response = Api(client, token).post("/rooms", {"channel": "x", "external_id": "y"})
    error_of(response, 429, "too_many_requests")
    assert response.headers["Retry-After"] == "1"
    assert db.session.scalar(select(Chat)) is None  # refused before anything was done


def test_each_request_counts_in_its_seconds_window(other_app, account, token):
    api = Api(other_app(API_RATE_LIMIT=1000).test_client(), token)
    for _ in range(5):
        assert api.get("/agents").status_code == 200
    windows = db.session.scalars(select(ApiRateWindow)).all()
    assert sum(window.requests for window in windows) == 5
    assert len(windows) <= 2  # older seconds are deleted when a new one starts


def test_a_new_second_deletes_the_tokens_older_windows(api, token, other_account):
    row = db.session.scalar(select(ApiToken))
    _, their_token = create_token(other_account.id, "Theirs", None)
    theirs = db.session.scalar(select(ApiToken).where(ApiToken.account_id == other_account.id))
    with write_transaction():
        db.session.add(ApiRateWindow(token_id=row.id, second=1000, requests=7))
        db.session.add(ApiRateWindow(token_id=theirs.id, second=1000, requests=7))
    assert api.get("/agents").status_code == 200
    seconds = db.session.execute(select(ApiRateWindow.token_id, ApiRateWindow.second)).all()
    assert (row.id, 1000) not in seconds and (theirs.id, 1000) in seconds


def test_tokens_are_limited_each_on_its_own(other_app, account, token, other_account):
    client = other_app(API_RATE_LIMIT=3).test_client()
    row = db.session.scalar(select(ApiToken))
    fill_windows(row.id, 3)
    _, second_token = create_token(account.id, "Second", None)
    error_of(Api(client, token).get("/agents"), 429)
    assert Api(client, second_token).get("/agents").status_code == 200


def test_the_openapi_document_is_not_counted(client, token):
    client.get("/api/v1/openapi.json")
    assert db.session.scalar(select(ApiRateWindow)) is None


def test_last_used_is_written_at_most_once_a_minute(api, token):
    row = db.session.scalar(select(ApiToken))
    assert row.last_used_at is None
    api.get("/agents")
    db.session.refresh(row)
    first = row.last_used_at
    assert first is not None
    api.get("/agents")
    db.session.refresh(row)
    assert row.last_used_at == first
    with write_transaction():
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id)
                           .values(last_used_at=utcnow() - timedelta(seconds=61)))
    api.get("/agents")
    db.session.refresh(row)
    assert row.last_used_at > first - timedelta(seconds=1)


def test_unauthenticated_requests_write_nothing(client, token):
    client.get("/api/v1/agents")
    client.get("/api/v1/agents", headers={"Authorization": "Bearer oam_unknown"})
    assert db.session.scalar(select(ApiRateWindow)) is None
    assert db.session.scalar(select(ApiToken)).last_used_at is None
