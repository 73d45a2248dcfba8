"""Settings: the page listing the setting features a role may open, and the way-finding
every settings page shares (the side navigation and the breadcrumbs of
templates/settings/layout.html), both from one list: sections_for()."""

from dataclasses import dataclass

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from . import bp


@dataclass(frozen=True)
class Entry:
    label: str
    endpoint: str  # the entry's own page; its blueprint is the entry's area (a nested
    # blueprint for an entry that shares a package: "agents.divisions.index")
    description: str

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def is_shown(self) -> bool:
        """This entry's own page is the one shown (its list, whatever the filters)."""
        return request.endpoint == self.endpoint

    @property
    def is_current(self) -> bool:
        """The page shown belongs to this entry's area: its own page, or one under it (a
        user's edit form under Users)."""
        return request.blueprint == self.endpoint.rpartition(".")[0]


@dataclass(frozen=True)
class Section:
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str | None  # None: a heading, not a page of its own


def sections_for(user) -> list[Section]:
    """The setting features this user may open; roles see nothing they would be refused.
    The one place to add an area: the Settings page, the side navigation and the
    breadcrumbs all follow it."""
    sections = []
    if user.is_authenticated and user.is_admin:
        sections.append(Section(_l("Account Management"), (
            Entry(_l("Users"), "users.index",
                  _l("Create, edit and remove the people who log in to this account.")),
            Entry(_l("Activity"), "activity.index",
                  _l("Who did what, and when: logins, and changes to users.")),
        )))
        sections.append(Section(_l("Agent Management"), (
            Entry(_l("Division"), "agents.divisions.index",
                  _l("Teams of agents, the channels each one serves, and who belongs to "
                     "them.")),
            Entry(_l("Agent Allocation"), "agents.allocation.index",
                  _l("How new customer chats reach agents.")),
            Entry(_l("Workload"), "agents.workload.index",
                  _l("How many chats an agent holds at once, and the idle rule.")),
        )))
        sections.append(Section(_l("Integrations"), (
            Entry(_l("API tokens"), "integrations.index",
                  _l("Tokens your chat platform uses to send chats to this account.")),
        )))
    return sections


def breadcrumb_trail(user, page_title: str) -> list[Crumb]:
    """Settings › section › entry, and then the page itself when it is not the entry's own
    (a user's edit form): the last crumb is always the page shown."""
    trail = [Crumb(_l("Settings"), url_for("settings.index"))]
    for section in sections_for(user):
        for entry in section.entries:
            if entry.is_current:
                trail += [Crumb(section.title, None), Crumb(entry.label, entry.url)]
                if not entry.is_shown:
                    trail.append(Crumb(page_title, request.path))
                return trail
    return trail


def side_navigation(user) -> list[Section]:
    """What the side navigation lists: the sections, on every settings page but Settings
    itself, which lists the same entries with their descriptions."""
    return [] if request.blueprint == bp.name else sections_for(user)


def is_settings_page(user) -> bool:
    """The page shown is Settings or one of its entries' (the header marks "Settings")."""
    return request.blueprint == bp.name or any(
        entry.is_current for section in sections_for(user) for entry in section.entries)


@bp.app_context_processor
def settings_navigation() -> dict:
    """For base.html and settings/layout.html; computed only where a template asks."""
    return {
        "settings_sections": lambda: sections_for(current_user),
        "settings_side_navigation": lambda: side_navigation(current_user),
        "settings_breadcrumbs": lambda page_title: breadcrumb_trail(current_user, page_title),
        "is_settings_page": lambda: is_settings_page(current_user),
    }


@bp.get("")
@login_required
def index():
    """List the settings available to the current user's role; a role with none is shown
    the way to its Profile instead."""
    return render_template("settings/index.html", sections=sections_for(current_user))
