from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField

from ..forms import Required, strip


class LoginForm(FlaskForm):
    username = StringField("Username", filters=[strip], validators=[Required()],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[Required()],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Login")
