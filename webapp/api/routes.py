"""The routes of SPEC §8: rooms (intake, read, resolve, messages, assign) and agents (the
roster, presence). Each view reads its body (webapp.api.bodies), looks up what it names in
the token's account only, and lets the allocator decide; what it refuses (webapp.chats
.allocator.Refused) answers in the API's error shape."""

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..chats import allocator
from ..chats.allocator import Refused
from ..extensions import db
from ..models import Chat, DecisionReason, Presence, Role, Status, User
from ..presence.service import set_presence_by_api
from . import bp, representations
from .access import authenticate, current_caller
from .bodies import Choice, Text, TrueFlag, invalid_fields, is_control, json_body
from .errors import ApiError, error_response
from .intake import receive_room
from .openapi import document

NO_SUCH_ROOM = _l("No such room.")
NO_SUCH_AGENT = _l("No Agent or Supervisor with this username in the account.")
AGENT_OR_QUEUE = _l("Give an agent's username, or \"queue\": true.")
NOT_BOTH = _l("Give either an agent or \"queue\": true, not both.")

# The bodies, as webapp.api.openapi documents them (lengths as the columns hold them).
ROOM_FIELDS = {
    "channel": Text(max_length=32, lower=True),
    "external_id": Text(max_length=128, trim=False),
    "customer_name": Text(max_length=200, required=False),
    "division": Text(max_length=64, required=False),
}
MESSAGE_FIELDS = {"from": Choice(choices=(allocator.CUSTOMER, allocator.AGENT))}
USERNAME_LENGTH = 32
ASSIGN_FIELDS = {"agent": Text(max_length=USERNAME_LENGTH, required=False),
                 "queue": TrueFlag(required=False)}
PRESENCE_FIELDS = {"presence": Choice(choices=tuple(presence.value for presence in Presence))}
# Who has a presence and a place in the roster.
ROSTER_ROLES = (Role.AGENT, Role.SUPERVISOR)
PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def require_token():
    """Every route but the OpenAPI document needs a live token of the account."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()


@bp.after_request
def never_cache(response):
    # A room's state changes from one moment to the next: no cache may answer for us.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error)


@bp.errorhandler(Refused)
def refused(refusal: Refused):
    """The allocator's refusal, in the API's shape: 409 for a state that forbids the move,
    422 for a field naming what cannot be chosen, 404 for a room that is not the account's."""
    fields = {refusal.field: refusal.message} if refusal.field else {}
    return error_response(ApiError(refusal.status, refusal.code, refusal.message, fields))


# -- rooms ----------------------------------------------------------------------------------------

@bp.post("/rooms")
def create_room():
    """Intake: 201 with a new room, or 200 with the room this channel and external id made
    before (resolved or not), so a retry is safe."""
    caller = current_caller()
    body = json_body(ROOM_FIELDS)
    chat, created = receive_room(
        caller.account_id, channel=body["channel"], external_id=body["external_id"],
        customer_name=body["customer_name"] or "", division=body["division"],
        actor=caller.actor)
    response = jsonify(representations.room(chat))
    if created:
        response.status_code = 201
        response.headers["Location"] = url_for("api.room", room_id=chat.id)
    return response


@bp.get("/rooms/<id:room_id>")
def room(room_id: int):
    """One room of the account."""
    return representations.room(room_of_account(room_id))


@bp.post("/rooms/<id:room_id>/resolve")
def resolve(room_id: int):
    """The conversation is over; resolving again answers the same."""
    json_body({})
    caller = current_caller()
    chat = allocator.resolve_chat(caller.account_id, room_id, caller.actor)
    return representations.room(chat)


@bp.post("/rooms/<id:room_id>/messages")
def message(room_id: int):
    """A message from the customer or the agent, which drives the idle rule."""
    body = json_body(MESSAGE_FIELDS)
    caller = current_caller()
    chat = allocator.note_message(caller.account_id, room_id, body["from"], caller.actor)
    return representations.room(chat)


@bp.post("/rooms/<id:room_id>/assign")
def assign(room_id: int):
    """Custom agent allocation: the customer's system gives the room to an eligible agent, or
    sends it back to the queue at its original place. Never over a Workload."""
    body = json_body(ASSIGN_FIELDS)
    if body["agent"] is None and body["queue"] is None:
        raise invalid_fields(agent=AGENT_OR_QUEUE, queue=AGENT_OR_QUEUE)
    if body["agent"] is not None and body["queue"] is not None:
        raise invalid_fields(agent=NOT_BOTH, queue=NOT_BOTH)
    caller = current_caller()
    room_of_account(room_id)  # another account's room is a 404 before any agent is named
    agent = None
    if body["agent"] is not None:
        agent = roster_user(caller.account_id, body["agent"])
        if agent is None:
            raise invalid_fields(agent=NO_SUCH_AGENT)
    chat = allocator.assign_chat(caller.account_id, room_id, agent, caller.actor,
                                 DecisionReason.CUSTOM)
    return representations.room(chat)


# -- agents ---------------------------------------------------------------------------------------

@bp.get("/agents")
def agents():
    """Every Agent and Supervisor of the account: presence, open chats and Workload."""
    roster = allocator.roster(current_caller().account_id)
    return {"agents": [representations.agent(entry) for entry in roster]}


@bp.put("/agents/<username>/presence")
def presence(username: str):
    """Set an agent's presence for the customer's system; it lasts until the API changes it
    (or the agent chooses in the browser)."""
    body = json_body(PRESENCE_FIELDS)
    user = roster_user(current_caller().account_id, username)
    if user is None:
        raise ApiError(404, message=NO_SUCH_AGENT)
    if user.status != Status.ACTIVE:
        raise ApiError(409, "agent_disabled", _l("%(name)s is disabled.", name=user.username))
    set_presence_by_api(user, Presence(body["presence"]))
    return representations.agent(allocator.roster_entry(user))


# -- the document ---------------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API; no token needed to read it."""
    return document()


# -- lookups, scoped to the token's account ---------------------------------------------------

def room_of_account(room_id: int) -> Chat:
    chat = db.session.get(Chat, room_id)
    if chat is None or chat.account_id != current_caller().account_id:
        raise ApiError(404, message=NO_SUCH_ROOM)
    return chat


def roster_user(account_id: int, username: str) -> User | None:
    """An Agent or Supervisor of the account by username, ignoring case as usernames are
    unique (`lower()` in SQL, as their unique index is)."""
    if len(username) > USERNAME_LENGTH or any(is_control(char) for char in username):
        return None  # no such username; and PostgreSQL refuses a NUL in a string outright
    return db.session.scalar(select(User).where(
        User.account_id == account_id, User.role.in_(ROSTER_ROLES),
        func.lower(User.username) == func.lower(username)))
