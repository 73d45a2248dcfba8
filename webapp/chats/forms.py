"""The forms of My chats and Monitoring: taking, resolving and handing on a chat."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

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

    to = SelectField(_l("Transfer to"), validators=[Required()])
    confirm = BooleanField(_l("Assign anyway"))

    def __init__(self, targets: list[Target], queue_allowed: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.targets = {str(target.id): target for target in targets}
        choices = [SelectChoice("", _l("Choose…"))]
        if queue_allowed:
            choices.append(SelectChoice(QUEUE, _l("Back to the queue")))
        choices += [SelectChoice(key, target_label(target))
                    for key, target in self.targets.items()]
        self.to.choices = choices

    @property
    def to_queue(self) -> bool:
        return self.to.data == QUEUE

    @property
    def target(self) -> Target | None:
        return self.targets.get(self.to.data)
