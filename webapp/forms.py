"""What every form shares: the "required" rule, which errors the popup lists, and WTForms'
own messages in the reader's language."""

import re

from flask_babel import get_translations, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms.validators import StopValidation

from .database import violated_unique_index


class Required:
    """A field that must not be empty: "<Label> field is required", shown under the field.

    It marks the field as `missing`, so these errors stay under their field only, while
    unacceptable data is also listed in the popup error dialog (AppForm.problems).
    """

    field_flags = {"required": True}

    def __call__(self, form, field):
        value = field.data
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            field.missing = True
            field.errors[:] = []
            raise StopValidation(required_message(field))


def required_message(field) -> str:
    """The error of a missing field, one sentence with its label in the reader's language:
    "Email field is required", "Email wajib diisi"."""
    return _("%(label)s field is required", label=field.label.text)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
def clean_text(value: str) -> str:
    """Text as typed, without surrounding spaces or control characters (a NUL would be
    refused by PostgreSQL and end a search string early in SQLite's full-text index)."""
    return CONTROL_CHARACTERS.sub("", value).strip()


def strip(value):
    """A field filter: clean_text for text, anything else as it is."""
    return clean_text(value) if isinstance(value, str) else value


# WTForms' own messages that our fields can show (WTForms has no Indonesian of its own): listed
# so that `make translations` extracts them; AppForm looks them up in our catalogue.
WTFORMS_MESSAGES = (
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 2),
)


class OurCatalogue:
    """WTForms' messages in the reader's language, from the app's own catalogue."""

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


WTFORMS_CATALOGUE = OurCatalogue()


class AppForm(FlaskForm):
    """A form whose errors show under their fields, and whose problems the popup lists.

    A problem that is about one field goes into that field's errors (under it, and in the
    popup); one that belongs to no field (an account keeps an Admin) into form_errors (the
    popup only). A missing field is under the field only: it needs no popup.
    """

    # The database's unique indexes this form's values may violate, by index name: the
    # field at fault and its message. The form checks uniqueness itself; these cover a
    # race that check lost, with the same words.
    UNIQUE_INDEXES: dict[str, tuple[str, str]] = {}

    class Meta:
        def get_translations(self, form):
            return WTFORMS_CATALOGUE

    def explain_integrity_error(self, error: IntegrityError) -> bool:
        """Show a unique-index violation as this form's own error; False when it is not
        one of this form's indexes (a bug, to be raised)."""
        known = self.UNIQUE_INDEXES.get(violated_unique_index(error))
        if known is None:
            return False
        field_name, message = known
        getattr(self, field_name).errors.append(message)
        return True

    def mark_missing(self, field) -> None:
        field.missing = True
        field.errors.append(required_message(field))

    def carry_version(self, version: int) -> None:
        """After a 409, let the form carry the row's current `version` (in its hidden input
        too): having seen the newer values, the person may keep theirs, and the next Save
        stores them on purpose. For forms with a `version` field."""
        self.version.data = version
        self.version.raw_data = [str(version)]  # what the hidden input renders

    @property
    def problems(self) -> list[str]:
        """Every error that is not a missing field, in the order of the fields, then the
        form's own: what the popup error dialog lists."""
        listed = [
            error
            for field in self
            if not getattr(field, "missing", False)
            for error in field.errors
        ]
        return listed + list(self.form_errors)
