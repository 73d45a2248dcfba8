"""The OpenAPI 3.1 document of the integration API, written by hand: every route, every body
with its limits, every answer with its schema, and the bearer token. Served at
/api/v1/openapi.json; tests/test_api_schema.py checks it against the app's routes and runs
schemathesis against the served app with it.

It is a developer's reference, like the README: in English only (the API's error messages
follow Accept-Language; this document does not).
"""

from copy import deepcopy

from ..models import LARGEST_ID

# A string without control characters (C0, DEL, C1) with at least one character that is not
# a space, as webapp.api.bodies.Text accepts.
NO_CONTROL = r"[^\u0000-\u001f\u007f-\u009f]"
VISIBLE_TEXT = rf"^{NO_CONTROL}*[^\s\u0000-\u001f\u007f-\u009f]{NO_CONTROL}*$"


def text(max_length: int, description: str) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length,
            "pattern": VISIBLE_TEXT, "description": description}


def optional(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def time(description: str, nullable: bool = True) -> dict:
    schema = {"type": "string", "format": "date-time",
              "description": description + " ISO 8601, UTC, with a Z suffix."}
    return optional(schema) if nullable else schema


def error(description: str, headers: dict | None = None) -> dict:
    answer = {"description": description,
              "content": {"application/json": {"schema": ref("Error")}}}
    if headers:
        answer["headers"] = headers
    return answer


def json_answer(description: str, schema: str, headers: dict | None = None) -> dict:
    answer = {"description": description,
              "content": {"application/json": {"schema": ref(schema)}}}
    if headers:
        answer["headers"] = headers
    return answer


def json_body(schema: str, required: bool = True, description: str = "") -> dict:
    body = {"required": required,
            "content": {"application/json": {"schema": ref(schema)}}}
    if description:
        body["description"] = description
    return body


# The answers every route with a token can give.
TOKEN_ERRORS = {
    "401": error("No token, or one that is unknown or revoked.", headers={
        "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}),
    "429": error("More requests with this token in this second than the rate limit allows "
                 "(API_RATE_LIMIT, 100 by default).", headers={
                     "Retry-After": {"description": "Seconds to wait: 1.",
                                     "schema": {"type": "integer"}}}),
    "503": error("The database is busy or unavailable; try again.", headers={
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}),
}
# And those of a route that reads a body.
BODY_ERRORS = {
    "400": error("The body is not UTF-8, not valid JSON, or not a JSON object."),
    "413": error("The body is larger than 1 MiB."),
    "415": error("The body was not sent as application/json."),
    "422": error("Fields are missing or invalid; `fields` says what is wrong with each "
                 "(unknown fields included)."),
}
NOT_FOUND = {"404": error("No room with this id in the token's account (another account's "
                          "rooms included).")}
ROOM = json_answer("The room.", "Room")
ROOM_ID = {"name": "room_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}
USERNAME = {"name": "username", "in": "path", "required": True,
            "description": "An Agent's or Supervisor's username (letter case ignored).",
            "schema": {"type": "string", "minLength": 1, "maxLength": 32,
                       "pattern": r"^[A-Za-z0-9._-]+$"}}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
                         "description": "What went wrong, as a snake_case word for programs."},
                "message": {"type": "string",
                            "description": "The same for people: in English, or in "
                                           "Indonesian when Accept-Language asks for it."},
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Each request field at fault and what is wrong "
                                          "with it; {} when no field is."},
            },
        }},
    },
    "Room": {
        "type": "object",
        "description": "A chat: one customer conversation.",
        "required": ["id", "channel", "external_id", "customer_name", "division", "status",
                     "agent", "queue_position", "queued_at", "assigned_at", "resolved_at"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "channel": {"type": "string", "maxLength": 32,
                        "description": "In lower case."},
            "external_id": {"type": "string", "maxLength": 128},
            "customer_name": {"type": "string", "maxLength": 200},
            "division": {"type": ["string", "null"],
                         "description": "The division named at intake, if any."},
            "status": {"type": "string", "enum": ["queued", "assigned", "resolved"]},
            "agent": {"type": ["string", "null"],
                      "description": "The username of the agent who holds it (or last held "
                                     "it, once resolved); null while nobody has."},
            "queue_position": {"type": ["integer", "null"], "minimum": 1,
                               "description": "While queued: its place among all the "
                                              "account's waiting rooms, oldest = 1; else "
                                              "null."},
            "queued_at": time("Its arrival, kept when it goes back to the queue.",
                              nullable=False),
            "assigned_at": time("When its agent was given it; null while queued."),
            "resolved_at": time("When it was resolved; null before."),
        },
    },
    "Agent": {
        "type": "object",
        "required": ["username", "role", "division", "presence", "load", "capacity"],
        "additionalProperties": False,
        "properties": {
            "username": {"type": "string"},
            "role": {"type": "string", "enum": ["agent", "supervisor"]},
            "division": {"type": ["string", "null"]},
            "presence": {"type": "string", "enum": ["online", "away", "offline"],
                         "description": "As everyone reads it: presence set in the browser "
                                        "lapses to offline two minutes after the agent's "
                                        "last open page; presence set through this API "
                                        "lasts until the API changes it."},
            "load": {"type": "integer", "minimum": 0, "description": "Open chats held."},
            "capacity": {"type": "integer", "minimum": 0,
                         "description": "The Workload: the most chats held at once."},
        },
    },
    "AgentList": {
        "type": "object",
        "required": ["agents"],
        "additionalProperties": False,
        "properties": {"agents": {"type": "array", "items": ref("Agent")}},
    },
    "RoomIntake": {
        "type": "object",
        "required": ["channel", "external_id"],
        "additionalProperties": False,
        "properties": {
            "channel": text(32, "Such as whatsapp, instagram, livechat; stored in lower "
                                "case (at most 32 characters after lower-casing), spaces "
                                "around it dropped."),
            "external_id": text(128, "The conversation's id on the channel: with the "
                                     "channel, the intake's idempotency key."),
            "customer_name": optional(text(200, "Spaces around it dropped.")),
            "division": optional(text(64, "A division of the account, by name (letter "
                                          "case ignored); else the divisions serving the "
                                          "channel take the room, and with none, any.")),
        },
    },
    "Message": {
        "type": "object",
        "required": ["from"],
        "additionalProperties": False,
        "properties": {"from": {"type": "string", "enum": ["customer", "agent"]}},
    },
    "Assignment": {
        "oneOf": [
            {"type": "object", "required": ["agent"], "additionalProperties": False,
             "properties": {"agent": {
                 "type": "string", "minLength": 1, "maxLength": 32,
                 "description": "The username of an Online Agent of the account with "
                                "room under their Workload, in a division that takes the "
                                "room."}}},
            {"type": "object", "required": ["queue"], "additionalProperties": False,
             "properties": {"queue": {
                 "const": True,
                 "description": "Back to the queue, at its original place."}}},
        ],
    },
    "PresenceChange": {
        "type": "object",
        "required": ["presence"],
        "additionalProperties": False,
        "properties": {"presence": {"type": "string", "enum": ["online", "away", "offline"]}},
    },
    "Empty": {"type": "object", "additionalProperties": False, "maxProperties": 0},
}

PATHS = {
    "/api/v1/rooms": {"post": {
        "operationId": "createRoom",
        "summary": "Tell us about a chat (intake)",
        "description": "Idempotent: the same channel and external_id again answers 200 with "
                       "the room made the first time, resolved or not.",
        "requestBody": json_body("RoomIntake"),
        "responses": {
            "201": json_answer("A new room, assigned at once when Auto agent allocation is "
                               "on and an eligible agent has room, else queued.", "Room",
                               headers={"Location": {"description": "The room's address.",
                                                     "schema": {"type": "string"}}}),
            "200": json_answer("The room this channel and external_id made before.", "Room"),
            **BODY_ERRORS, **TOKEN_ERRORS,
        },
    }},
    "/api/v1/rooms/{room_id}": {"get": {
        "operationId": "getRoom",
        "summary": "Read a room",
        "parameters": [ROOM_ID],
        "responses": {"200": ROOM, **NOT_FOUND, **TOKEN_ERRORS},
    }},
    "/api/v1/rooms/{room_id}/resolve": {"post": {
        "operationId": "resolveRoom",
        "summary": "Resolve a room",
        "description": "Its agent has room again and the queue drains. Resolving again "
                       "answers the same. No body, or an empty object.",
        "parameters": [ROOM_ID],
        "requestBody": json_body("Empty", required=False),
        "responses": {"200": ROOM, **NOT_FOUND, **BODY_ERRORS, **TOKEN_ERRORS},
    }},
    "/api/v1/rooms/{room_id}/messages": {"post": {
        "operationId": "noteMessage",
        "summary": "Note a message in a room",
        "description": "Drives the idle rule: a customer's message starts the wait for an "
                       "answer, the agent's ends it. Messages themselves are not stored.",
        "parameters": [ROOM_ID],
        "requestBody": json_body("Message"),
        "responses": {"200": ROOM, **NOT_FOUND,
                      "409": error("The room is resolved (code chat_resolved)."),
                      **BODY_ERRORS, **TOKEN_ERRORS},
    }},
    "/api/v1/rooms/{room_id}/assign": {"post": {
        "operationId": "assignRoom",
        "summary": "Give a room to an agent, or back to the queue",
        "description": "Custom agent allocation. Never over a Workload.",
        "parameters": [ROOM_ID],
        "requestBody": json_body("Assignment"),
        "responses": {"200": ROOM, **NOT_FOUND,
                      "409": error("The room is resolved, or the agent is not eligible: "
                                   "not Online (agent_not_online), in no division that "
                                   "takes the room (agent_other_division), or full "
                                   "(agent_full)."),
                      **BODY_ERRORS, **TOKEN_ERRORS},
    }},
    "/api/v1/agents": {"get": {
        "operationId": "listAgents",
        "summary": "Every Agent and Supervisor of the account",
        "responses": {"200": json_answer("By username.", "AgentList"), **TOKEN_ERRORS},
    }},
    "/api/v1/agents/{username}/presence": {"put": {
        "operationId": "setPresence",
        "summary": "Set an agent's presence",
        "description": "It lasts until the API changes it, or the agent chooses in the "
                       "browser. Coming online drains the queue.",
        "parameters": [USERNAME],
        "requestBody": json_body("PresenceChange"),
        "responses": {
            "200": json_answer("The agent.", "Agent"),
            "404": error("No Agent or Supervisor with this username in the token's account."),
            "409": error("The user is disabled (code agent_disabled)."),
            **BODY_ERRORS, **TOKEN_ERRORS,
        },
    }},
    "/api/v1/openapi.json": {"get": {
        "operationId": "getOpenApiDocument",
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Omnichannel Account Management integration API",
        "version": "1.0.0",
        "description": "For the customer's chat platform: send chats (rooms) in, see and "
                       "steer who handles them, set agents' presence. JSON only. Every "
                       "error answers {\"error\": {\"code\", \"message\", \"fields\"}}. "
                       "Create a token in Settings → Integrations, or with `flask --app "
                       "wsgi create-api-token --account NAME --name LABEL`.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerToken": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerToken": {
            "type": "http", "scheme": "bearer",
            "description": "Authorization: Bearer <token>. A token acts for its account "
                           "only."}},
        "schemas": SCHEMAS,
    },
}


def document() -> dict:
    """A copy of the document, so no caller can change the one served."""
    return deepcopy(DOCUMENT)
