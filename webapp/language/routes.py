"""The language switcher, in the header and on the login page (webapp.i18n chooses)."""

from flask import redirect, url_for
from flask_login import current_user
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from ..forms import AppForm
from ..i18n import LANGUAGES, remember_for_session
from ..profile.service import choose_language
from ..security import is_safe_next
from . import bp


class LanguageForm(AppForm):
    """The switcher in the header and on the login page: a language, and the page to go
    back to."""

    language = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])
    next = HiddenField()


@bp.post("/language")
def choose():
    """Read the app in the chosen language from now on: saved on a logged-in user (it
    follows them to other browsers), kept in the session for a visitor.

    Nothing to show on a bad choice or an expired form: back to the page, unchanged.
    """
    form = LanguageForm()
    if form.validate_on_submit():
        language = form.language.data
        remember_for_session(language)
        if current_user.is_authenticated and current_user.language != language:
            choose_language(current_user, language)
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("auth.home"))
