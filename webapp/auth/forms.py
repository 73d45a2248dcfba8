from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField

from ..forms import Required, strip


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), filters=[strip], validators=[Required()],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[Required()],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Login"))
