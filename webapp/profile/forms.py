"""The forms of one's own profile. The name, email and phone fields, and their rules, are
the users form's own (webapp/users/forms.py): one set of rules for every path."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput

from ..forms import AppForm
from ..identity import normalize_phone
from ..models import User
from ..timezones import is_known_time_zone, offered_time_zones
from ..users.forms import UserFieldsForm

NOT_SET = SelectChoice("", _l("Not set: times show in UTC"))


class ProfileForm(AppForm):
    """What people may change about themselves; username, role and division are the
    Admin's to change."""

    UNIQUE_INDEXES = {"uq_users_email": UserFieldsForm.UNIQUE_INDEXES["uq_users_email"]}

    first_name = UserFieldsForm.first_name
    last_name = UserFieldsForm.last_name
    email = UserFieldsForm.email
    phone = UserFieldsForm.phone
    time_zone = SelectField(_l("Time zone"), choices=[],
                            description=_l("Times in the app, such as the Activity log's, "
                                           "are shown in this time zone."))
    # The version the form was filled from: an Admin's edit since then is a conflict.
    version = IntegerField(widget=HiddenInput())

    validate_email = UserFieldsForm.validate_email
    validate_phone = UserFieldsForm.validate_phone

    def __init__(self, user: User, **kwargs):
        super().__init__(**kwargs)
        self.user = user  # whose email is not "already taken" by themselves
        self.time_zone.choices = time_zone_choices(user.time_zone)

    @classmethod
    def filled_from(cls, user: User) -> "ProfileForm":
        """The form as the page shows it: the user's current values and version."""
        return cls(user, formdata=None, data={
            "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "phone": user.phone, "time_zone": user.time_zone,
            "version": user.version,
        })

    def user_fields(self) -> dict:
        """The validated name, email and phone, ready to set on the User."""
        return {
            "first_name": self.first_name.data,
            "last_name": self.last_name.data or "",
            "email": self.email.data,
            "phone": normalize_phone(self.phone.data),
        }


def time_zone_choices(current: str) -> list[SelectChoice]:
    """Every offered zone; the user's own even when it is a legacy name, and "not set"
    while none is known (choosing it leaves the zone to the browser to report)."""
    zones = offered_time_zones()
    if current and current not in zones and is_known_time_zone(current):
        zones = sorted([*zones, current])
    return ([] if current else [NOT_SET]) + [SelectChoice(zone) for zone in zones]


class TimeZoneReport(AppForm):
    """The zone a browser reports for its user (Intl's resolvedOptions().timeZone)."""

    time_zone = StringField()

    def validate_time_zone(self, field):
        # Only the zones a person could pick: "localtime" (the server's own clock) and
        # "Factory" are known to the database but are no place a browser is in.
        if (field.data or "") not in offered_time_zones():
            # Only app.js sends this form, and it ignores the answer: nobody reads this.
            raise ValidationError(_l("Unknown time zone."))
