"""Our own pages (and htmx toasts) for every error: never a stack trace or a debug page.

An error page has to render whatever broke: the database (busy, down, not a database at
all) or the request itself (a Host header Werkzeug cannot read leaves Flask without a URL
adapter, so url_for() fails). So it is one self-contained template, rendered without
Flask's context processors (Flask-Login's loads the user from the database) and with links
that do not depend on the request's host. Under /api/ every error is JSON instead, in the
API's one shape (webapp.api.errors): an integration never gets a page.
"""

from flask import Flask, current_app, make_response, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import htmx
from .api import errors as api_errors
from .api import is_api_request
from .extensions import db

# Lazy: each page and toast says these in its reader's language (webapp.i18n chooses it
# from the session and the browser, never from the database).
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask an Admin of your account.")),
    404: (_l("Not found"), _l("There is nothing here. It may have been deleted.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("The request is too large.")),
    415: (_l("Not a form"), _l("This address accepts only form submissions.")),
    500: (_l("Something went wrong"), _l("Nothing was changed. Please try again in a moment.")),
    503: (_l("Busy"), _l("The server is busy. Please try again in a moment.")),
}
# Any other error (a static file's byte range it does not have, 416): no English from Werkzeug.
OTHER_ERROR = (_l("Error"), _l("The request could not be completed."))
CSRF_TITLE = _l("Page expired")
CSRF_MESSAGE = _l("This page has expired. Reload the page and try again.")
CHANGED_MEANWHILE_TITLE = _l("Changed by someone else")
CHANGED_MEANWHILE = _l("Someone else changed or deleted this at the same moment; nothing was "
                       "saved. Reload the page and try again.")
# Seconds a 503 asks the client to wait before trying again.
RETRY_AFTER = "2"


def error_response(status: int, title: str, message: str):
    """A whole error page, or for htmx an empty answer whose toast says what happened (both
    in the reader's language: title and message may be lazy translations); under /api/, the
    API's JSON error for the status."""
    if is_api_request():
        return api_errors.for_status(status)
    if htmx.is_partial_request():
        return htmx.toast(make_response("", status), message, "error")
    return make_response(render_error_page(title, message), status)


def render_error_page(title: str, message: str) -> str:
    """The error page, rendered by Jinja alone: Flask's render_template would run the
    context processors, and Flask-Login's loads the user from the database."""
    template = current_app.jinja_env.get_template("errors/page.html")
    return template.render(title=title, message=message, links=error_page_links())


def error_page_links() -> dict[str, str]:
    """The page's links as paths, built from the URL map bound to a placeholder host: the
    request's own Host header may be what is wrong with it. Paths only, so the placeholder
    never appears."""
    paths = current_app.url_map.bind("localhost", script_name=request.script_root or "/")

    def static(filename: str) -> str:
        return paths.build("static", {"filename": filename})

    return {"home": paths.build("auth.home"), "favicon": static("favicon.svg"),
            "pico": static("vendor/pico.min.css"), "app_css": static("css/app.css")}


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    title, message = MESSAGES.get(error.code, OTHER_ERROR)
    return error_response(error.code, title, message)


def handle_csrf_error(error: CSRFError):
    return error_response(400, CSRF_TITLE, CSRF_MESSAGE)


# Signs that the database was busy: trying again in a moment will work.
BUSY_SIGNS = ("database is locked", "database is busy", "could not serialize",
              "deadlock detected", "lock timeout", "could not obtain lock")
# Signs that the database cannot be reached, opened or written: the server's trouble, not
# the request's, and it lasts until someone fixes it (/healthz says so meanwhile).
UNAVAILABLE_SIGNS = ("unable to open database file", "attempt to write a readonly database",
                     "connection refused", "server closed the connection", "could not connect",
                     "connection timed out", "timeout expired", "the database system is",
                     "terminating connection", "could not translate host name")


def mentions(error: DBAPIError, signs: tuple[str, ...]) -> bool:
    return any(sign in str(error.orig).lower() for sign in signs)


def is_transient(error: DBAPIError) -> bool:
    """Busy or unavailable: a 503 "try again", not a 500."""
    return (error.connection_invalidated or mentions(error, BUSY_SIGNS)
            or mentions(error, UNAVAILABLE_SIGNS))


def handle_database_error(error: OperationalError):
    """A database that stays busy past the timeout, or that cannot be reached at all, is a
    503 "try again" (with Retry-After), for whole pages and htmx alike; not a crash."""
    forget_the_transaction()
    if not is_transient(error):
        current_app.logger.exception("Database error")
        return handle_unexpected_error(error)
    if mentions(error, BUSY_SIGNS):
        current_app.logger.warning("Database busy: %s", error.orig)
    else:
        current_app.logger.error("Database unavailable: %s", error.orig)
    title, message = MESSAGES[503]
    response = error_response(503, title, message)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_changed_meanwhile(error: StaleDataError | ObjectDeletedError):
    """Someone else changed or deleted the same row between our read and our write."""
    forget_the_transaction()
    return error_response(409, CHANGED_MEANWHILE_TITLE, CHANGED_MEANWHILE)


def handle_unexpected_error(error: Exception):
    forget_the_transaction()
    title, message = MESSAGES[500]
    return error_response(500, title, message)


def forget_the_transaction() -> None:
    """Roll back what the request began. With the database gone even that can fail, and the
    error page must still go out."""
    choose_the_language_first()
    try:
        db.session.rollback()
    except SQLAlchemyError:
        current_app.logger.warning("Rollback after an error failed", exc_info=True)


def choose_the_language_first() -> None:
    """Settle the page's language before the rollback, which expires the logged-in user: their
    saved language is then no longer loaded, and the choice (which never reads the database,
    see webapp.i18n) would fall back to the session's copy."""
    get_locale()


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(StaleDataError, handle_changed_meanwhile)
    app.register_error_handler(ObjectDeletedError, handle_changed_meanwhile)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
