"""The forms of My chats and Monitoring: taking, resolving and handing on a chat."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import AppForm, Required
from .screens import Target

# The choice that sends a chat back to the queue, at its original place.
QUEUE = "queue"


class ActionForm(AppForm):
    """A button that changes a chat (Get New Chat, Resolve): the CSRF token alone."""


def target_label(target: Target) -> str:
    """An agent as the select shows them: "Budi Santoso (budi.s), 1/5"."""
    name = f"{target.name} ({target.username})" if target.name else target.username
    return f"{name}, {target.load}/{target.capacity}"


class HandOnForm(AppForm):
    """Where a chat goes: one of the Online Agents offered, or back to the queue. `confirm`
    is a Supervisor's or Admin's yes to going past the agent's Workload."""

    # The choices are checked by validate_to: an agent no longer offered is the allocator's
    # to refuse, in its own words ("budi is not Online."), not "Not a valid choice.".
    to = SelectField(_l("Transfer to"), validators=[Required()], validate_choice=False)
    confirm = BooleanField(_l("Assign anyway"))

    def __init__(self, targets: list[Target], queue_allowed: bool = True,
                 others: frozenset[int] = frozenset(), **kwargs):
        """`targets` are offered; `others` are agents one may name though they are not
        offered now (the allocator says why not)."""
        super().__init__(**kwargs)
        self.queue_allowed = queue_allowed
        self.others = {str(agent_id) for agent_id in others}
        self.targets = {str(target.id): target for target in targets}
        choices = [SelectChoice("", _l("Choose…"))]
        if queue_allowed:
            choices.append(SelectChoice(QUEUE, _l("Back to the queue")))
        choices += [SelectChoice(key, target_label(target))
                    for key, target in self.targets.items()]
        self.to.choices = choices

    def validate_to(self, field) -> None:
        if (field.data == QUEUE and self.queue_allowed) or field.data in self.targets \
                or field.data in self.others:
            return
        raise ValidationError(field.gettext("Not a valid choice."))

    @property
    def to_queue(self) -> bool:
        """Whether the choice is the queue."""
        return self.to.data == QUEUE

    @property
    def agent_id(self) -> int | None:
        """The chosen agent's id (None for the queue)."""
        return None if self.to_queue else int(self.to.data)


class AssignForm(HandOnForm):
    """A Supervisor's or Admin's Assign/Transfer: `holder` is the agent the chat was with
    when the dialog was drawn (empty while it waited), so a dialog left open while the chat
    moved is refused rather than taking the chat from whoever got it meanwhile."""

    holder = IntegerField(widget=HiddenInput(), validators=[Optional()])
