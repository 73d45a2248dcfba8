"""Reading and checking request bodies: a JSON object, each field of the right type, length
and kind, and no field the route does not know. What is wrong answers 400 (not JSON, not an
object), 415 (not sent as JSON) or 422 with each field's problem, never a 500: bodies come
from other programs, and a mistake in one must say exactly what to fix.

Small on purpose: the API has four bodies of one to four fields, which these few checks
describe completely (webapp.api.openapi documents the same limits).
"""

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from .errors import ApiError

JSON_TYPE = "application/json"
# A body of a hundred thousand made-up fields gets the first few named, not an answer as big.
MOST_UNKNOWN_FIELDS_NAMED = 20

NOT_UTF8 = _l("The body is not UTF-8.")
MALFORMED = _l("The body is not valid JSON.")
NOT_AN_OBJECT = _l("The body must be a JSON object, such as {\"name\": \"value\"}.")
REQUIRED = _l("This field is required.")
NOT_TEXT = _l("Must be a string.")
NOT_TRUE = _l("Must be true.")
CONTROL_CHARACTERS = _l("Must not contain control characters.")
UNKNOWN_FIELD = _l("Unknown field.")
INVALID_FIELDS = _l("Some fields are not valid: see fields.")


def json_body(fields: Mapping[str, "Field"]) -> dict[str, Any]:
    """The request's JSON object checked against `fields` (name → Field): every value as its
    field reads it, and None for an optional field left out. An empty body is an empty
    object, for routes whose fields are all optional."""
    return checked(fields, parsed_object())


def parsed_object() -> dict:
    """The body as a JSON object; {} for no body at all."""
    body = request.get_data(cache=False)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(body) >= limit:
        # A chunked body has no length to refuse up front: Werkzeug stops reading it at the
        # limit and hands over what it read, a truncated body.
        raise ApiError(413)
    if not body:
        return {}
    if request.mimetype != JSON_TYPE:
        raise ApiError(415)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_json", NOT_UTF8) from None
    try:
        # NaN and Infinity are not JSON; Python's parser would take them.
        value = json.loads(text, parse_constant=refuse_constant)
    except (ValueError, RecursionError):
        # ValueError: malformed JSON, or an integer of thousands of digits; RecursionError:
        # arrays nested deeper than the parser goes.
        raise ApiError(400, "malformed_json", MALFORMED) from None
    if not isinstance(value, dict):
        raise ApiError(400, "not_an_object", NOT_AN_OBJECT)
    return value


def refuse_constant(name: str):
    raise ValueError(name)


def checked(fields: Mapping[str, "Field"], body: dict) -> dict[str, Any]:
    values, problems = {}, {}
    unknown = [name for name in body if name not in fields]
    for name in unknown[:MOST_UNKNOWN_FIELDS_NAMED]:
        problems[printable(name)] = UNKNOWN_FIELD
    for name, field in fields.items():
        try:
            values[name] = field.read(body.get(name))
        except FieldProblem as problem:
            problems[name] = problem.message
    if problems:
        raise invalid_fields(**problems)
    return values


def invalid_fields(**problems) -> ApiError:
    """The 422 naming each field at fault and what is wrong with it."""
    return ApiError(422, "invalid_fields", INVALID_FIELDS, fields=problems)


def printable(name: str) -> str:
    """A field name as the error may repeat it: no control characters or lone surrogates
    (which would make the answer itself unreadable), and not too long."""
    cleaned = "".join(char if not is_control(char) else "?" for char in name[:64])
    return cleaned.encode("utf-8", "replace").decode("utf-8")


class FieldProblem(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def is_control(char: str) -> bool:
    # Cc: C0, DEL and C1 controls (NUL, newlines, escapes); Cs: lone surrogates, which
    # JSON's \ud800 escapes can carry but no database can store as text.
    return unicodedata.category(char) in {"Cc", "Cs"}


@dataclass(frozen=True)
class Field:
    required: bool = True

    def read(self, value: Any) -> Any:
        if value is None:
            if self.required:
                raise FieldProblem(REQUIRED)
            return None
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Field):
    """A string of 1 to `max_length` characters, without control characters; trimmed of
    surrounding spaces when `trim`, lower-cased when `lower` (lengths count after both, as
    the database stores it). A blank string is a field left out."""

    max_length: int = 255
    trim: bool = True
    lower: bool = False

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldProblem(NOT_TEXT)
        if any(is_control(char) for char in value):
            raise FieldProblem(CONTROL_CHARACTERS)
        if self.trim:
            value = value.strip()
        if self.lower:
            value = value.lower()
        if not value.strip():
            # Blank: as good as left out.
            if self.required:
                raise FieldProblem(REQUIRED)
            return None
        if len(value) > self.max_length:
            raise FieldProblem(ngettext("Field cannot be longer than %(max)d character.",
                                        "Field cannot be longer than %(max)d characters.",
                                        self.max_length, max=self.max_length))
        return value


@dataclass(frozen=True)
class Choice(Field):
    """One of a few codes, exactly as written."""

    choices: tuple[str, ...] = ()

    def convert(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise FieldProblem(_l("Must be one of: %(choices)s.",
                                  choices=", ".join(self.choices)))
        return value


@dataclass(frozen=True)
class TrueFlag(Field):
    """`true`, the only value such a field takes (`{"queue": true}`)."""

    def convert(self, value: Any) -> bool:
        if value is not True:
            raise FieldProblem(NOT_TRUE)
        return True
