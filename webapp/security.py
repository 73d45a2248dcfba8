"""Response headers that every page gets, the kind of body a change may carry, and the rule
for safe `next` targets."""

from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request

from .api import is_api_request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        # Served over HTTPS: browsers must never fall back to plain HTTP for this site.
        response.headers.setdefault("Strict-Transport-Security",
                                    "max-age=31536000; includeSubDomains")
    # One URL answers both htmx (fragment) and plain requests (page): caches must tell them apart.
    response.vary.add("HX-Request")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


STATE_CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
FORM_BODY = "application/x-www-form-urlencoded"


def refuse_bodies_that_are_not_forms() -> None:
    """A request that changes something carries a url-encoded form, or no body at all (htmx
    posts some without parameters); anything else is a 415.

    Flask-WTF would also take JSON and multipart bodies, handing the forms numbers, lists
    and files where they expect text: that ended in 500s, after a login attempt had been
    counted against the account. The API (/api/) takes JSON instead, and checks its bodies
    itself (webapp.api.bodies).
    """
    if is_api_request():
        return
    if request.method not in STATE_CHANGING_METHODS or request.mimetype == FORM_BODY:
        return
    if not request.mimetype and not has_body():
        return
    current_app.logger.warning("Refused %s %r: Content-Type %r is not a form (415)",
                               request.method, request.path, request.content_type)
    abort(415)


def has_body() -> bool:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.content_length) or chunked


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def init_app(app: Flask) -> None:
    # First of all before_request functions: a body of the wrong kind is refused before
    # the CSRF check parses it and before the session check loads the user.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bodies_that_are_not_forms)
    app.after_request(add_security_headers)
