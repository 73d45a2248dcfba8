"""Our own pages (and htmx toasts) for every error: never a stack trace or a debug page."""

from flask import Flask, current_app, make_response, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from . import htmx
from .extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not allow this. Ask an Admin of your account."),
    404: ("Not found", "There is nothing here. It may have been deleted."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The request is too large."),
    500: ("Something went wrong", "Nothing was changed. Please try again in a moment."),
    503: ("Busy", "The server is busy. Please try again in a moment."),
}
CSRF_MESSAGE = "This page has expired. Reload the page and try again."
CHANGED_MEANWHILE = ("Someone else changed or deleted this at the same moment; nothing was "
                     "saved. Reload the page and try again.")


def error_response(status: int, title: str, message: str):
    """A whole error page, or for htmx an empty answer whose toast says what happened."""
    if htmx.is_partial_request():
        return htmx.toast(make_response("", status), message, "error")
    return make_response(render_template("errors/page.html", title=title, message=message),
                         status)


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    title, message = MESSAGES.get(error.code, (error.name, error.description))
    return error_response(error.code, title, message)


def handle_csrf_error(error: CSRFError):
    return error_response(400, "Page expired", CSRF_MESSAGE)


# Signs that the database was busy rather than broken: trying again later will work.
TRANSIENT_SIGNS = ("database is locked", "database is busy", "could not serialize",
                   "deadlock detected", "lock timeout", "could not obtain lock",
                   "server closed the connection", "connection refused")


def is_transient(error: DBAPIError) -> bool:
    return error.connection_invalidated or any(
        sign in str(error.orig).lower() for sign in TRANSIENT_SIGNS)


def handle_database_busy(error: OperationalError):
    """A database that stays busy past the timeout is a 503 "try again", not a crash."""
    db.session.rollback()
    if not is_transient(error):
        current_app.logger.exception("Database error")
        return handle_unexpected_error(error)
    current_app.logger.warning("Database busy: %s", error.orig)
    title, message = MESSAGES[503]
    response = error_response(503, title, message)
    response.headers["Retry-After"] = "2"
    return response


def handle_changed_meanwhile(error: StaleDataError | ObjectDeletedError):
    """Someone else changed or deleted the same row between our read and our write."""
    db.session.rollback()
    return error_response(409, "Changed by someone else", CHANGED_MEANWHILE)


def handle_unexpected_error(error: Exception):
    db.session.rollback()
    title, message = MESSAGES[500]
    return error_response(500, title, message)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_busy)
    app.register_error_handler(StaleDataError, handle_changed_meanwhile)
    app.register_error_handler(ObjectDeletedError, handle_changed_meanwhile)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
