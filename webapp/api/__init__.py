"""The integration API (SPEC §8): JSON under /api/v1/ for the customer's chat platform,
authenticated by the account's API tokens (`Authorization: Bearer …`), never by a session.

Every answer is JSON, errors included (webapp.api.errors, and webapp.errors for what fails
before a view runs: unknown paths, methods, bodies too large, a busy database). The routes
parse and check their bodies (webapp.api.bodies) and call the allocator
(webapp.chats.allocator), which holds the rules; the OpenAPI document describing all of it
is webapp.api.openapi.
"""

from flask import Blueprint, has_request_context, request

PATH_PREFIX = "/api/"


def is_api_request() -> bool:
    """Whether this request is for the API (any path under /api/, a route or not), so that
    every answer to it, an error page included, is JSON."""
    return has_request_context() and (request.path + "/").startswith(PATH_PREFIX)


bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
