"""The header's presence control."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from ..forms import AppForm
from ..labels import PRESENCE_LABELS
from ..models import Presence


class PresenceForm(AppForm):
    """Online, Away or Offline; and, for a plain form POST (no JavaScript), the page to go
    back to. The header's poll sends it too: `presence` is then what the page shows."""

    presence = SelectField(_l("Presence"), choices=[
        SelectChoice(presence.value, PRESENCE_LABELS[presence]) for presence in Presence])
    next = HiddenField()

    @property
    def chosen(self) -> Presence:
        return Presence(self.presence.data)
