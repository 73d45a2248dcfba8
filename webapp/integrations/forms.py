"""The Integrations forms: naming a new API token."""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, StopValidation

from ..forms import AppForm, Required

TOKEN_NAME_MAX = 64


def strip_spaces(value):
    """Surrounding spaces go; anything else typed stays, so that the form can refuse it."""
    return value.strip() if isinstance(value, str) else value


def has_control_characters(text: str) -> bool:
    """A control character (C0, DEL, C1), a lone surrogate, or a line or paragraph
    separator: nothing a name needs, and each can break a log line or a terminal."""
    return any(unicodedata.category(character) in {"Cc", "Cs", "Zl", "Zp"}
               for character in text)


class NoControlCharacters:
    """Refuse, rather than silently drop, characters a name cannot show."""

    def __call__(self, form, field):
        if field.data and has_control_characters(field.data):
            raise StopValidation(_l("Name must not contain control characters such as line "
                                    "breaks or tabs."))


class TokenForm(AppForm):
    """A new token's name: what the Admin calls the system that will use it."""

    name = StringField(_l("Name"), filters=[strip_spaces],
                       validators=[Required(), NoControlCharacters(),
                                   Length(max=TOKEN_NAME_MAX)],
                       description=_l("What uses this token, such as your chat platform's "
                                      "name. Up to 64 characters."),
                       render_kw={"autocomplete": "off"})
