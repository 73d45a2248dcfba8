"""The API's one error shape (SPEC §8): `{"error": {"code", "message", "fields"}}`.

`code` is a snake_case word for programs, `message` a sentence for people (English unless
the request's Accept-Language asks for Indonesian), `fields` maps each request field at
fault to what is wrong with it, `{}` when no field is. Views raise ApiError; webapp.errors
answers every other error under /api/ (unknown paths and methods, bodies too large, a busy
database, anything unexpected) through `for_status`, so no answer there is ever HTML.
"""

from collections.abc import Mapping

from flask import Response, jsonify
from flask_babel import lazy_gettext as _l

# The HTTP errors the app itself raises, by status: the code and the message the API gives.
HTTP_ERRORS = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Send a valid API token: Authorization: Bearer <token>.")),
    404: ("not_found", _l("There is nothing here. It may have been deleted.")),
    405: ("method_not_allowed", _l("This address does not accept that kind of request.")),
    409: ("conflict", _l("Someone else changed this at the same moment; nothing was saved. "
                         "Try again.")),
    413: ("body_too_large", _l("The request body is too large: at most 1 MiB.")),
    415: ("unsupported_media_type",
          _l("Send the body as JSON, with Content-Type: application/json.")),
    429: ("too_many_requests", _l("Too many requests with this token. Try again in a "
                                  "second.")),
    500: ("internal_error", _l("Nothing was changed. Please try again in a moment.")),
    503: ("unavailable", _l("The server is busy. Please try again in a moment.")),
}
OTHER_ERROR = ("error", _l("The request could not be completed."))


class ApiError(Exception):
    """An answer other than success: its status, code, message and the fields at fault."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 fields: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None):
        default_code, default_message = HTTP_ERRORS.get(status, OTHER_ERROR)
        super().__init__(code or default_code)
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_response(error: ApiError) -> Response:
    response = jsonify({"error": {
        "code": error.code,
        "message": str(error.message),
        "fields": {name: str(message) for name, message in error.fields.items()},
    }})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def for_status(status: int) -> Response:
    """The API's answer to an HTTP error the app raised outside the API's views."""
    return error_response(ApiError(status))
