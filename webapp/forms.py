"""Validators shared by every form: the "required" rule and the split of errors by display."""

from flask_wtf import FlaskForm
from wtforms.validators import StopValidation


class Required:
    """A field that must not be empty: "<Label> field is required", shown under the field.

    It marks the field as `missing`, so templates can tell these errors (inline) apart from
    unacceptable data (listed in the popup error dialog).
    """

    field_flags = {"required": True}

    def __call__(self, form, field):
        value = field.data
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            field.missing = True
            field.errors[:] = []
            raise StopValidation(f"{field.label.text} field is required")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class AppForm(FlaskForm):
    """A form whose errors split into missing fields (inline) and problems (popup)."""

    def mark_missing(self, field) -> None:
        field.missing = True
        field.errors.append(f"{field.label.text} field is required")

    @property
    def problems(self) -> list[str]:
        """Every error that is not a missing field, in the order of the fields."""
        listed = [
            error
            for field in self
            if not getattr(field, "missing", False)
            for error in field.errors
        ]
        return listed + list(self.form_errors)
