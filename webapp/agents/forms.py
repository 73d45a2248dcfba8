"""The Agent Management forms: a division, the allocation switches, the Workloads."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..channels import CHANNEL_LABELS
from ..extensions import db
from ..forms import AppForm, Required, required_message, strip
from ..i18n import format_number
from ..models import Account, Division
from . import service

WORKLOAD_RANGE = (1, 100)
IDLE_MINUTES_RANGE = (1, 1440)
IDLE_TRIES_RANGE = (1, 10)


class WholeNumber:
    """A whole number from `low` to `high`; empty is "… field is required" (unless
    `optional`), anything else outside the range is `message`. Text that is no number
    ("abc", "2.5") gets the same message: it says what is asked."""

    def __init__(self, low: int, high: int, message, optional: bool = False):
        self.low, self.high, self.message, self.optional = low, high, message, optional
        self.field_flags = {"required": not optional}

    def __call__(self, form, field):
        typed = field.raw_data[0].strip() if field.raw_data else ""
        field.errors[:] = []  # WTForms' own "Not a valid integer value." is replaced here
        if field.data is None and not typed:
            if self.optional:
                raise StopValidation()
            field.missing = True
            raise StopValidation(required_message(field))
        # ASCII digits only: int() would also take "1_0", "٣" and "５".
        if (field.data is None or not typed.isascii() or not typed.isdigit()
                or not self.low <= field.data <= self.high):
            raise StopValidation(str(self.message) % {"low": format_number(self.low),
                                                      "high": format_number(self.high)})


def number_input(low: int, high: int) -> dict:
    return {"min": low, "max": high, "inputmode": "numeric", "autocomplete": "off"}


class DivisionForm(AppForm):
    """A division's name and channels, to create one or to edit one in its row."""

    UNIQUE_INDEXES = {
        "uq_divisions_account_name": ("name", _l("A division with this name already exists.")),
    }
    name = StringField(_l("Name"), filters=[strip], validators=[Required(), Length(max=64)],
                       render_kw={"autocomplete": "off"})
    channels = SelectMultipleField(
        _l("Channels"), validate_choice=False,
        choices=[SelectChoice(code, label) for code, label in CHANNEL_LABELS.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def __init__(self, account_id: int, division: Division | None = None, **kwargs):
        if division is not None:
            kwargs.setdefault("prefix", f"division-{division.id}")
        super().__init__(**kwargs)
        self.account_id = account_id
        self.division = division  # None while creating

    @classmethod
    def filled_from(cls, division: Division) -> "DivisionForm":
        return cls(division.account_id, division, formdata=None,
                   data={"name": division.name, "channels": list(division.channels)})

    def validate_name(self, field):
        if len(field.data) > 64:
            return  # Length says so
        taken = select(Division.id).where(Division.account_id == self.account_id,
                                          func.lower(Division.name) == field.data.lower())
        if self.division is not None:
            taken = taken.where(Division.id != self.division.id)
        if db.session.scalar(taken) is not None:
            raise ValidationError(_("A division with this name already exists."))

    def validate_channels(self, field):
        field.data = field.data or []
        if any(code not in CHANNEL_LABELS for code in field.data):
            raise ValidationError(_("Choose channels from the list."))


class DeleteDivisionForm(AppForm):
    """Deleting a division: where its members go, when it has any."""

    move_to = SelectField(_l("Move the members to"), choices=[], validate_choice=False)

    def __init__(self, others: list[Division], members: int, **kwargs):
        super().__init__(**kwargs)
        self.members = members
        self.move_to.choices = [SelectChoice("", _l("Choose a division"))] + [
            SelectChoice(str(other.id), other.name) for other in others]

    def validate_move_to(self, field):
        known = {choice.value for choice in field.choices if choice.value}
        if field.data and field.data not in known:
            raise ValidationError(_("Division is not one of this account's divisions."))
        if not field.data and self.members:
            # Missing, but its label is no noun for "… field is required": its own words.
            field.missing = True
            field.errors.append(_("Choose the division to move the members to."))

    @property
    def move_to_id(self) -> int | None:
        return int(self.move_to.data) if self.move_to.data else None


class AllocationForm(AppForm):
    """The four Agent Allocation switches, in the source platform's words."""

    agent_can_take_over = BooleanField(
        _l("Agent can takeover unassigned chat"),
        description=_l('Agents get a "Get New Chat" button that gives them the chat that '
                       "has waited longest among those they may take."))
    agent_can_transfer = BooleanField(
        _l("Agent can assign room to another agent"),
        description=_l("Agents may hand a chat of theirs over to another agent."))
    auto_allocation = BooleanField(
        _l("Auto agent allocation"),
        description=_l("New chats go by themselves to online agents with room for them."))
    custom_allocation = BooleanField(
        _l("Custom agent allocation"),
        description=_l("Your own system picks the agent through the API; we tell it who "
                       "can take the chat."))

    # Which switch was flipped: htmx sends it with each change, and only that one is saved.
    # Without it ("Save" without JavaScript) all four are.
    changed = HiddenField()

    def __init__(self, account: Account, **kwargs):
        super().__init__(**kwargs)
        self.account = account

    @property
    def flipped(self) -> str | None:
        return self.changed.data if self.changed.data in service.SWITCHES else None

    @classmethod
    def filled_from(cls, account: Account) -> "AllocationForm":
        return cls(account, formdata=None,
                   data={name: getattr(account, name) for name in service.SWITCHES})

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        problem = service.allocation_problem(
            self.account, service.requested_switches(self.account, self.data, self.flipped))
        if problem:
            self.form_errors.append(problem)
            return False
        return valid


class WorkloadSettingsForm(AppForm):
    """The account's default Workload and its idle rule."""

    default_workload = IntegerField(
        _l("Default Workload"),
        description=_l("The most chats an agent holds at once, unless they have their own."),
        validators=[WholeNumber(*WORKLOAD_RANGE,
                                _l("Workload must be a whole number from %(low)s to "
                                   "%(high)s."))],
        render_kw=number_input(*WORKLOAD_RANGE))
    idle_rule_on = BooleanField(
        _l("Idle rule"),
        description=_l("When an agent has not answered a waiting customer for the idle "
                       "period, the chat goes to another agent."))
    idle_minutes = IntegerField(
        _l("Idle period (minutes)"),
        validators=[WholeNumber(*IDLE_MINUTES_RANGE,
                                _l("Idle period must be a whole number of minutes from "
                                   "%(low)s to %(high)s."))],
        render_kw=number_input(*IDLE_MINUTES_RANGE))
    idle_tries = IntegerField(
        _l("Tries"),
        description=_l("How many agents a chat may go to before it stays and is flagged "
                       "for Supervisors."),
        validators=[WholeNumber(*IDLE_TRIES_RANGE,
                                _l("Tries must be a whole number from %(low)s to %(high)s."))],
        render_kw=number_input(*IDLE_TRIES_RANGE))

    @classmethod
    def filled_from(cls, account: Account) -> "WorkloadSettingsForm":
        return cls(formdata=None,
                   data={name: getattr(account, name) for name in service.WORKLOAD_SETTINGS})


class AgentWorkloadForm(AppForm):
    """One agent's own Workload, in their row; empty follows the account's default."""

    max_chats = IntegerField(
        _l("Workload"),
        validators=[WholeNumber(*WORKLOAD_RANGE,
                                _l("Workload must be a whole number from %(low)s to "
                                   "%(high)s."), optional=True)],
        render_kw=number_input(*WORKLOAD_RANGE))

    def __init__(self, user_id: int, **kwargs):
        super().__init__(prefix=f"workload-{user_id}", **kwargs)

    @classmethod
    def filled_from(cls, user_id: int, max_chats: int | None) -> "AgentWorkloadForm":
        return cls(user_id, formdata=None, data={"max_chats": max_chats})
