from dataclasses import dataclass

from flask import render_template, url_for
from flask_login import current_user, login_required

from . import bp


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    description: str


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]


def sections_for(user) -> list[Section]:
    """The setting features this user may open; roles see nothing they would be refused."""
    sections = []
    if user.is_admin:
        sections.append(Section("Account Management", (
            Entry("Users", url_for("users.index"),
                  "Create, edit and remove the people who log in to this account."),
            Entry("Activity", url_for("activity.index"),
                  "Who did what, and when: logins, and changes to users."),
        )))
    return sections


@bp.get("")
@login_required
def index():
    """List the settings available to the current user's role."""
    return render_template("settings/index.html", sections=sections_for(current_user))
