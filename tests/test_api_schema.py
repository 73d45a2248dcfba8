"""The OpenAPI document (webapp.api.openapi) against the real API: every route documented
with its methods and nothing documented that is not there, the bodies' limits the same as
the checks', and schemathesis, driven by the document the server serves, finding no 5xx and
no answer that breaks the document (valid and invalid requests alike, against gunicorn)."""

import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import live
from webapp import create_app
from webapp.api import routes
from webapp.api.openapi import DOCUMENT
from webapp.extensions import db
from webapp.integrations.tokens import create_token
from webapp.models import Account, Division, Role, User

UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}  # Flask's own, for every route
# Requests per operation and generation mode: with 8 operations, both modes, about 400
# requests in all, which keeps the run near half a minute.
EXAMPLES = 25


def openapi_path(rule: str) -> str:
    """/api/v1/rooms/<id:room_id> as OpenAPI writes it: /api/v1/rooms/{room_id}."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_every_api_route_is_documented_with_its_methods_and_nothing_else(app):
    served = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            methods = {method.lower() for method in rule.methods - UNDOCUMENTED_METHODS}
            served.setdefault(openapi_path(rule.rule), set()).update(methods)
    documented = {path: set(operations) for path, operations in DOCUMENT["paths"].items()}
    assert served == documented
    assert len(served) == 8


def test_every_operation_documents_its_answers(app):
    schemas = DOCUMENT["components"]["schemas"]
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            public = operation.get("security") == []
            if not public:
                assert {"401", "429", "503"} <= set(answers), (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(answers), (method, path)
            if "{" in path:
                assert "404" in answers, (method, path)
            for status, answer in answers.items():
                schema = answer["content"]["application/json"]["schema"]
                if "$ref" in schema:
                    assert schema["$ref"].rsplit("/", 1)[1] in schemas
                if status >= "400":
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize("schema, fields", [
    ("RoomIntake", routes.ROOM_FIELDS),
    ("Assignment", routes.ASSIGN_FIELDS),
])
def test_the_documented_limits_are_the_checked_ones(schema, fields):
    documented = DOCUMENT["components"]["schemas"][schema]
    properties = {}
    for variant in documented.get("oneOf", [documented]):
        properties |= variant["properties"]
    assert set(properties) == set(fields)
    for name, field in fields.items():
        if hasattr(field, "max_length"):
            assert properties[name]["maxLength"] == field.max_length, name
    required = set(documented.get("required", []))
    assert required == {name for name, field in fields.items() if field.required}


def test_the_documented_choices_are_the_checked_ones():
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["Message"]["properties"]["from"]["enum"] == list(
        routes.MESSAGE_FIELDS["from"].choices)
    assert schemas["PresenceChange"]["properties"]["presence"]["enum"] == list(
        routes.PRESENCE_FIELDS["presence"].choices)


def test_the_served_document_is_the_written_one(client):
    assert client.get("/api/v1/openapi.json").get_json() == DOCUMENT


@pytest.fixture
def api_server(database_url, monkeypatch):
    """gunicorn with a rate limit that schemathesis's pace never reaches (the limit has its
    own tests), an API token, and agents for the routes to find."""
    monkeypatch.setenv("API_RATE_LIMIT", "100000")
    with live.gunicorn(database_url) as server:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
        with app.app_context():
            account = db.session.query(Account).filter_by(name="Live").one()
            general = db.session.query(Division).filter_by(account_id=account.id).first()
            for number, role in enumerate([Role.AGENT, Role.AGENT, Role.SUPERVISOR]):
                user = User(account_id=account.id, username=f"agent{number}",
                            email=f"agent{number}@live.example.com", first_name="Agent",
                            role=role, division_id=general.id, password_hash="!")
                db.session.add(user)
            db.session.commit()
            _, token = create_token(account.id, "schemathesis", None)
            db.session.remove()
            db.engine.dispose()
        yield server, token


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(api_server):
    server, token = api_server
    schema = schemathesis.openapi.from_url(server.url + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance,
              response_headers_conformance]
    tried = set()
    statuses = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case):
                response = case.call(base_url=server.url, headers=headers, timeout=30)
                statuses[(case.operation.label, response.status_code)] += 1
                case.validate_response(response, checks=checks, headers=headers)

            call()
            tried.add(operation.label)
    # Every operation but the document itself, which schemathesis leaves out as the schema.
    assert len(tried) == 7, tried
    # The run reached the rules, not only the doors: rooms were made, and bodies refused.
    answered = {status for (_, status) in statuses}
    assert {200, 201, 404, 422} <= answered, statuses
    assert "Traceback" not in server.output()
