"""The user forms; every rule of the spec's section 4 is checked here."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from .. import audit, passwords
from ..auth import service as auth_service
from ..extensions import db
from ..forms import AppForm, Required, strip
from ..identity import normalize_email, normalize_phone, username_key
from ..labels import ROLE_LABELS, STATUS_LABELS
from ..models import Role, Status, User
from . import service

# Checked on the stored form (identity.normalize_phone): ASCII digits, no separators.
PHONE_PATTERN = re.compile(r"\+?[0-9]{8,15}")

# The value is the stored code, the text the reader's word for it (lazy: these are built at
# import time, and each request renders them in its own language).
ROLE_CHOICES = [SelectChoice("", _l("Choose a role"))] + [
    SelectChoice(role.value, ROLE_LABELS[role]) for role in Role
]
STATUS_CHOICES = [SelectChoice(status.value, STATUS_LABELS[status])
                  for status in (Status.ACTIVE, Status.DISABLED)]
ROLES_WITH_DIVISION = (Role.SUPERVISOR, Role.AGENT)


def email_filter(value):
    """The address in its stored form, so the uniqueness check compares what is stored.
    Text that is no address stays as typed, for the Email validator to refuse."""
    if not isinstance(value, str):
        return value
    try:
        return normalize_email(strip(value))
    except ValueError:
        return strip(value)


class UserFieldsForm(AppForm):
    """The fields a user has, shared by the create and the edit form."""

    UNIQUE_INDEXES = {
        "uq_users_email": ("email", _l("Email is already taken.")),
        "uq_users_username_lower": ("username", _l("Username is already taken.")),
    }
    first_name = StringField(_l("First name"), filters=[strip],
                             validators=[Required(), Length(max=64)])
    last_name = StringField(_l("Last name"), filters=[strip],
                            validators=[Optional(), Length(max=64)])
    username = StringField(_l("Username"), filters=[strip], validators=[Required()],
                           render_kw={"autocomplete": "off", "spellcheck": "false"})
    email = EmailField(_l("Email"), filters=[email_filter], validators=[
        Required(), Length(max=254),
        Email(message=_l("Email is not a valid email address."), check_deliverability=False),
    ], render_kw={"autocomplete": "off"})
    phone = StringField(_l("Phone"), filters=[strip], validators=[Optional()],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[Required()])
    # The hint shows once Role is one of ROLES_WITH_DIVISION (templates pass both to field()).
    division = SelectField(_l("Division"), choices=[], validate_choice=False,
                           description=_l("Required for Agents and Supervisors."))
    ROLES_WITH_DIVISION = ROLES_WITH_DIVISION

    def __init__(self, account, user: User | None = None, **kwargs):
        super().__init__(**kwargs)
        self.account = account
        self.user = user  # None while creating
        self.division.choices = [SelectChoice("", _l("No division"))] + [
            SelectChoice(str(division.id), division.name) for division in account.divisions
        ]

    def validate_username(self, field):
        key = username_key(field.data)
        if key is None:
            raise ValidationError(_("Username must be 3–32 letters, digits, dots, underscores "
                                    "or hyphens."))
        taken = select(User.id).where(func.lower(User.username) == key)
        if self.user is not None:
            taken = taken.where(User.id != self.user.id)
        if db.session.scalar(taken) is not None:
            raise ValidationError(_("Username is already taken."))

    def validate_email(self, field):
        taken = select(User.id).where(User.email == field.data)
        if self.user is not None:
            taken = taken.where(User.id != self.user.id)
        if db.session.scalar(taken) is not None:
            raise ValidationError(_("Email is already taken."))

    def validate_phone(self, field):
        if not PHONE_PATTERN.fullmatch(normalize_phone(field.data)):
            raise ValidationError(_("Phone must be 8–15 digits, optionally starting with +; "
                                    "spaces and dashes are allowed."))

    def validate_division(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Division is not one of this account's divisions."))
        if not field.data and self.role.data in ROLES_WITH_DIVISION:
            self.mark_missing(field)

    def user_fields(self) -> dict:
        """The validated values, ready to set on a User."""
        division_id = int(self.division.data) if self.division.data else None
        return {
            "first_name": self.first_name.data,
            "last_name": self.last_name.data or "",
            "username": self.username.data,
            "email": self.email.data,
            "phone": normalize_phone(self.phone.data),
            "role": Role(self.role.data),
            "division_id": division_id,
        }


class CreateUserForm(UserFieldsForm):
    password = PasswordField(_l("Password"), validators=[Required()],
                             description=passwords.RULES,
                             render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(_l("Confirm password"), validators=[Required()],
                                     render_kw={"autocomplete": "new-password"})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return check_new_password(self.password, self.confirm_password,
                                  self.username.data or "", self.email.data or "") and valid


class EditUserForm(UserFieldsForm):
    """The inline edit form. Its fields carry the row's prefix, so ids stay unique on a page
    where several rows are open at once."""

    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validators=[Required()])
    # The version the edit started from: a newer one in the database means a conflict.
    version = IntegerField(widget=HiddenInput())

    def __init__(self, account, user: User, actor: User, **kwargs):
        super().__init__(account, user, prefix=f"user-{user.id}", **kwargs)
        self.actor = actor

    @classmethod
    def filled_from(cls, account, user: User, actor: User) -> "EditUserForm":
        """The form as the edit starts: the user's current values and version."""
        return cls(account, user, actor, formdata=None, data={
            "first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "email": user.email, "phone": user.phone,
            "role": user.role, "division": str(user.division_id or ""),
            "status": user.status, "version": user.version,
        })

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.role.data and self.status.data:
            problem = service.admin_change_problem(
                self.actor, self.user, Role(self.role.data), Status(self.status.data)
            )
            if problem:
                self.form_errors.append(problem)
                return False
        return valid

    def user_fields(self) -> dict:
        return super().user_fields() | {"status": Status(self.status.data)}


class ChangePasswordForm(AppForm):
    # Asked only when people change their own password (ASVS 2.1.6): a session left open
    # on a shared screen must not be enough to take over the account.
    current_password = PasswordField(_l("Current password"), validators=[Required()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[Required()],
                                 description=passwords.RULES,
                                 render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(_l("Confirm password"), validators=[Required()],
                                     render_kw={"autocomplete": "new-password"})

    def __init__(self, user: User, actor: User, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        if user.id != actor.id:
            del self.current_password

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid = check_new_password(self.new_password, self.confirm_password,
                                   self.user.username, self.user.email) and valid
        return self._current_password_is_right() and valid

    def _current_password_is_right(self) -> bool:
        field = getattr(self, "current_password", None)
        if field is None or getattr(field, "missing", False):
            return True
        # Counted and limited like a login (5 wrong ones lock the account), so a session
        # left open is no way to guess the password.
        check = auth_service.confirm_password(self.user.id, field.data, audit.client_address())
        if check is auth_service.PasswordCheck.RIGHT:
            return True
        field.errors.append(_("Current password is not right.") if check is
                            auth_service.PasswordCheck.WRONG else
                            _("Too many wrong passwords. Wait a few minutes and try again."))
        return False


def check_new_password(password, confirmation, username: str, email: str) -> bool:
    """Apply the password rules once both fields are filled. Each problem goes under the
    field it is about (the rules under the password, a mismatch under the confirmation);
    the form's problems list them all in the popup too."""
    if getattr(password, "missing", False) or getattr(confirmation, "missing", False):
        return True  # "field is required" is already shown under the empty one
    password.errors.extend(passwords.problems(password.data, username, email))
    if password.data != confirmation.data:
        confirmation.errors.append(_("Password and confirmation do not match."))
    return not (password.errors or confirmation.errors)
