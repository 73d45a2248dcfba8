"""English and Bahasa Indonesia (SPEC section 9): which language a page is read in, the
switcher, and that nothing a person reads is left untranslated."""

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.conftest import HTMX, PASSWORD
from tests.test_users_edit import edit_data
from webapp.extensions import db
from webapp.models import ApiToken, Role, Status, User

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "webapp" / "translations"
INDONESIAN = {"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def page_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# --- Which language ---------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "expected"), [
    ("id-ID,id;q=0.9,en;q=0.5", "id"),
    ("en-GB,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9,id;q=0.4", "id"),  # the best one we have
    ("fr-FR,de;q=0.9", "en"),
    ("", "en"),
    ("!!;q=x,,", "en"),  # nonsense is no choice
])
def test_the_browser_chooses_when_nobody_has(client, accept, expected):
    page = client.get("/login", headers={"Accept-Language": accept})
    assert page.status_code == 200
    assert page_language(page.text) == expected


def test_pages_vary_on_accept_language_for_caches(client):
    page = client.get("/login", headers=INDONESIAN)
    assert "Accept-Language" in page.headers["Vary"]
    assert "Cookie" in page.headers["Vary"]  # the session may hold the choice
    assert page.headers["Content-Language"] == "id"
    assert client.get("/login", headers=ENGLISH).headers["Content-Language"] == "en"
    assert client.get("/no-such-page", headers=INDONESIAN).headers["Content-Language"] == "id"


def test_a_visitor_chooses_on_the_login_page_for_the_session(client):
    page = client.post("/language", data={"language": "id", "next": "/login"}, headers=ENGLISH)
    assert page.status_code == 302 and page.headers["Location"] == "/login"
    assert page_language(client.get("/login", headers=ENGLISH).text) == "id"
    client.post("/language", data={"language": "en", "next": "/login"}, headers=INDONESIAN)
    assert page_language(client.get("/login", headers=INDONESIAN).text) == "en"


def test_the_login_page_offers_the_other_language_in_its_own_words(client):
    html = client.get("/login", headers=ENGLISH).text
    assert 'action="/language"' in html
    assert re.search(r'<button[^>]*name="language" value="id" lang="id"[^>]*>Bahasa Indonesia<',
                     html)
    html = client.get("/login", headers=INDONESIAN).text
    assert re.search(r'<button[^>]*name="language" value="en" lang="en"[^>]*>English<', html)


def test_a_users_saved_choice_beats_the_browser_and_follows_them(app, client, auth, admin):
    auth.login()
    client.post("/language", data={"language": "id", "next": "/users?q=a"}, headers=ENGLISH)
    assert db.session.get(User, admin.id).language == "id"
    assert page_language(client.get("/profile", headers=ENGLISH).text) == "id"
    auth.logout()
    # The login page stays in the language it was read in.
    assert page_language(client.get("/login", headers=ENGLISH).text) == "id"

    other_browser = app.test_client()
    assert page_language(other_browser.get("/login", headers=ENGLISH).text) == "en"
    other_browser.post("/login", data={"username": "boss", "password": PASSWORD})
    assert page_language(other_browser.get("/profile", headers=ENGLISH).text) == "id"


def test_a_choice_made_before_login_holds_for_a_user_without_one(client, auth, admin):
    client.post("/language", data={"language": "id", "next": "/login"}, headers=ENGLISH)
    auth.login()
    assert page_language(client.get("/settings", headers=ENGLISH).text) == "id"
    assert db.session.get(User, admin.id).language == ""  # chosen for the session only


def test_the_switch_goes_back_to_the_page_it_was_made_on(admin_client):
    page = admin_client.post("/language", data={"language": "id", "next": "/users?q=bu&page=2"})
    assert page.headers["Location"] == "/users?q=bu&page=2"


@pytest.mark.parametrize("data", [
    {"language": "fr", "next": "/profile"},
    {"language": "", "next": "/profile"},
    {"next": "/profile"},
    {"language": ["fr", "id"], "next": "/profile"},
    {"language": "id\x00", "next": "/profile"},
])
def test_a_choice_that_is_no_language_changes_nothing(admin_client, admin, data):
    page = admin_client.post("/language", data=data, headers=ENGLISH)
    assert page.status_code == 302 and page.headers["Location"] == "/profile"
    assert db.session.get(User, admin.id).language == ""
    assert page_language(admin_client.get("/profile", headers=ENGLISH).text) == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", ""])
def test_the_switch_never_sends_anyone_off_site(client, target):
    page = client.post("/language", data={"language": "id", "next": target})
    assert page.status_code == 302 and page.headers["Location"] == "/"


def test_switching_is_no_edit_an_admin_could_conflict_with(admin_client, admin):
    version = admin.version
    admin_client.post("/language", data={"language": "id", "next": "/profile"})
    assert db.session.get(User, admin.id).version == version


def test_error_pages_follow_the_language_without_the_database(app, client, auth, admin):
    auth.login()
    client.post("/language", data={"language": "id", "next": "/profile"})
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page_language(page.text) == "id"


def test_dates_and_numbers_are_written_for_the_locale(app, factory, account):
    from datetime import datetime

    from flask import render_template_string
    for headers, date, number in [(ENGLISH, "Feb 1, 2026", "12,345"),
                                  (INDONESIAN, "1 Feb 2026", "12.345")]:
        # A request of its own, as a server gives each (Flask-Babel keeps the locale on `g`).
        with app.app_context(), app.test_request_context(headers=headers):
            html = render_template_string("{{ when|local_time }} | {{ 12345|number }}",
                                          when=datetime(2026, 2, 1, 9, 30))
        assert html.startswith(date) and html.endswith(number)


# --- Nothing left untranslated -------------------------------------------------------------

def extracted_msgids(tmp_path) -> set[str]:
    """Every msgid the code holds, extracted as `make translations` extracts them."""
    template = tmp_path / "messages.pot"
    makefile = (ROOT / "Makefile").read_text()
    keywords = re.search(r"^BABEL_KEYWORDS := (.*)$", makefile, re.M).group(1).split()
    subprocess.run([Path(sys.executable).parent / "pybabel", "-q", "extract", "-F", "babel.cfg",
                    *keywords, "-o", str(template), "."], cwd=ROOT, check=True)
    with template.open("rb") as file:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(file) if message.id}


def indonesian_catalogue():
    with (CATALOGUES / "id" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file)


def test_every_string_in_the_code_has_an_indonesian_translation(tmp_path):
    catalogue = indonesian_catalogue()
    missing = sorted(msgid for msgid in extracted_msgids(tmp_path)
                     if msgid not in catalogue or not _translated(catalogue[msgid]))
    assert not missing, ("Untranslated (run `make translations`, then translate these in "
                         "webapp/translations/id/LC_MESSAGES/messages.po):\n" + "\n".join(missing))
    assert len(catalogue) > 150  # the screens' strings are really extracted


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return "fuzzy" not in message.flags and all(strings)


def test_the_catalogues_are_consistent():
    """Placeholders as in the msgid (a missing %(name)s would break the page), no fuzzy
    guesses, and nothing more in the catalogue than the code asks for."""
    for language in ("en", "id"):
        with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
            catalogue = read_po(file)
        problems = [(message.id, errors) for message, errors in catalogue.check()]
        assert not problems, (language, problems)
        assert not [m.id for m in catalogue if m.id and "fuzzy" in m.flags], language


def test_the_compiled_catalogue_is_up_to_date():
    """`make install` compiles the .po files; an older .mo would show old words."""
    for language in ("en", "id"):
        folder = CATALOGUES / language / "LC_MESSAGES"
        compiled = folder / "messages.mo"
        assert compiled.exists(), f"{compiled} is missing: run `make install`"
        assert compiled.stat().st_mtime >= (folder / "messages.po").stat().st_mtime


# English words that no Indonesian screen should show. Words both languages use (Admin,
# Supervisor, Status, Email, Filter, Chat) are not here, nor any data (names, the "General"
# division).
ENGLISH_WORDS = re.compile(r"\b(?:" + "|".join([
    "the", "and", "your", "you", "is", "are", "of", "to", "with", "for", "this", "has", "was",
    "not", "or", "at", "in", "on", "by", "no", "all", "any",
    "Save", "Cancel", "Delete", "Edit", "Users?", "Settings", "Search", "Password",
    "Username", "required", "Logout", "Login", "Log in", "Profile", "Create", "Role", "Roles",
    "Active", "Disabled", "Activity", "Previous", "Next", "First", "Last", "Name", "Phone",
    "Division", "Time zone", "Change", "Close", "More", "Skip", "page", "Page", "Showing",
    "Created", "Actions?", "Failed", "edited", "deleted", "created", "changed", "Agent",
    "Choose", "Confirm", "New", "Current", "Details", "When", "Who", "What", "Address",
    "Nothing", "Not", "Busy", "Sorry", "Please", "Try", "again", "Back", "Home", "Account",
    "Management", "Everyone", "None", "none", "Yes", "Wrong", "Unknown", "Locked",
    "Workload", "Channels", "Members?", "members?", "Allocation", "Default", "Tries", "Idle",
    "idle", "Off", "Move", "Divisions",
]) + r")\b")


class VisibleText(HTMLParser):
    """The words a person reads: text outside <script>/<style> and the attributes that are
    shown or spoken (labels, titles, placeholders, button values, data-label, data-text-*)."""

    SPOKEN = {"aria-label", "title", "placeholder", "alt", "data-label", "aria-description"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "svg"):
            self.hidden_depth += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and (name in self.SPOKEN or name.startswith("data-text-")):
                self.parts.append(value)
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "svg"):
            self.hidden_depth = max(0, self.hidden_depth - 1)

    def handle_data(self, data):
        if not self.hidden_depth and data.strip():
            self.parts.append(data.strip())


def english_left_in(response) -> list[str]:
    """The English words a response shows: its HTML (with any flashed message) and its
    toast."""
    parser = VisibleText()
    parser.feed(response.text)
    events = json.loads(response.headers.get("HX-Trigger", "{}"))
    texts = parser.parts + [(events.get("toast") or {}).get("message", "")]
    return sorted({f"{match.group(0)!r} in {text[:90]!r}"
                   for text in texts for match in ENGLISH_WORDS.finditer(text)})


@pytest.fixture
def indonesian_account(app, factory, account, admin):
    """An account whose data is Indonesian, so only our own words can be English."""
    admin.first_name, admin.last_name = "Bos", "Besar"
    db.session.commit()
    sales = factory.division(account, "Penjualan")
    agent = factory.user(account, Role.AGENT, username="budi", first_name="Budi",
                         last_name="Santoso", division=sales, phone="+6281234567")
    factory.user(account, Role.SUPERVISOR, username="sari", first_name="Sari",
                 last_name="Wulandari", division=sales, status=Status.DISABLED)
    return agent


# What each admin screen of the scan answers; the rest answer 200.
EXPECTED_STATUSES = {
    "create, all missing": 422, "create, all wrong": 422, "edit, missing": 422,
    "edit, conflict": 409, "password, wrong": 422, "delete myself": 422,
    "profile, wrong": 422, "profile password, wrong": 422, "not found": 404,
    "not found, htmx": 404, "wrong method": 405, "not a form": 415, "create, saved": 201,
    "delete, done": 204, "password, saved": 204,
    "division, taken name": 422, "allocation, both on": 422, "workload, out of range": 422,
    "token, bad name": 422, "token, created": 201, "token, created page": 201,
    "token, revoked": 204,
}


def test_every_admin_screen_reads_in_indonesian(admin_client, indonesian_account):
    budi = indonesian_account
    client = admin_client
    client.post("/language", data={"language": "id", "next": "/settings"})
    sales = budi.division_id  # Budi is deleted on the way
    # Some history for the Activity log: a failed login, an edit, a password change.
    client.application.test_client().post("/login", data={"username": "budi", "password": "x"})
    assert client.post(f"/users/{budi.id}", headers=HTMX,
                       data=edit_data(budi, first_name="Budiman")).status_code == 200
    screens = {
        "settings": client.get("/settings"),
        "users": client.get("/users"),
        "users, nothing found": client.get("/users?q=tidakada"),
        "users, filtered": client.get("/users?role=Agent&status=disabled&sort=-name"),
        "users fragment": client.get("/users?q=bu", headers=HTMX),
        "users, by presence": client.get("/users?presence=offline"),
        "users presence poll": client.get(f"/users/presence?ids={budi.id}", headers=HTMX),
        "new user": client.get("/users/new"),
        "new user dialog": client.get("/users/new", headers=HTMX),
        "create, all missing": client.post("/users", data={}, headers=HTMX),
        "create, all wrong": client.post("/users", headers=HTMX, data={
            "first_name": "A", "username": "b u d i", "email": "nope", "phone": "12ab",
            "role": "Agent", "password": "short", "confirm_password": "other"}),
        "create, saved": client.post("/users", headers=HTMX, data={
            "first_name": "Dewi", "last_name": "Lestari", "username": "dewi",
            "email": "dewi@contoh.co.id", "phone": "", "role": "Admin",
            "password": PASSWORD, "confirm_password": PASSWORD}),
        "user": client.get(f"/users/{budi.id}"),
        "edit row": client.get(f"/users/{budi.id}/edit", headers=HTMX),
        "edit page": client.get(f"/users/{budi.id}/edit"),
        "edit, missing": client.post(f"/users/{budi.id}", headers=HTMX, data=edit_data(
            budi, first_name="", username="", email="")),
        "edit, conflict": client.post(f"/users/{budi.id}", headers=HTMX, data=edit_data(
            budi, first_name="Budi", version="1")),
        "password dialog": client.get(f"/users/{budi.id}/password", headers=HTMX),
        "password page": client.get(f"/users/{budi.id}/password"),
        "password, wrong": client.post(f"/users/{budi.id}/password", headers=HTMX, data={
            "new_password": "short", "confirm_password": "different"}),
        "password, saved": client.post(f"/users/{budi.id}/password", headers=HTMX, data={
            "new_password": PASSWORD + "!", "confirm_password": PASSWORD + "!"}),
        "delete popup": client.get(f"/users/{budi.id}/delete", headers=HTMX),
        "delete page": client.get(f"/users/{budi.id}/delete"),
        "delete myself": client.post(f"/users/{_admin_id()}/delete", headers=HTMX),
        "delete, done": client.post(f"/users/{budi.id}/delete", headers=HTMX),
        "activity": client.get("/activity"),
        "activity, one action": client.get("/activity?action=login"),
        "activity people": client.get("/activity/people?q=s", headers=HTMX),
        "profile": client.get("/profile"),
        "profile, wrong": client.post("/profile", headers=HTMX, data={
            "first_name": "", "email": "nope", "version": 1}),
        "profile password, wrong": client.post("/profile/password", headers=HTMX, data={
            "current_password": "nope", "new_password": "short",
            "confirm_password": "other"}),
        "divisions": client.get("/agents/divisions"),
        "new division dialog": client.get("/agents/divisions/new", headers=HTMX),
        "division, taken name": client.post("/agents/divisions", headers=HTMX,
                                            data={"name": "penjualan"}),
        "division edit row": client.get(f"/agents/divisions/{sales}/edit",
                                        headers=HTMX),
        "division delete popup": client.get(f"/agents/divisions/{sales}/delete",
                                            headers=HTMX),
        "division delete page": client.get(f"/agents/divisions/{sales}/delete"),
        "allocation": client.get("/agents/allocation"),
        "allocation, both on": client.post("/agents/allocation", headers=HTMX, data={
            "auto_allocation": "y", "custom_allocation": "y", "changed": "custom_allocation"}),
        "workload": client.get("/agents/workload"),
        "workload, out of range": client.post("/agents/workload", headers=HTMX, data={
            "default_workload": "0", "idle_minutes": "0", "idle_tries": "99"}),
        "agent workload row": client.get(f"/agents/workload/{_user_id('sari')}/edit",
                                         headers=HTMX),
        "agent workload page": client.get(f"/agents/workload/{_user_id('sari')}"),
        # Settings → Integrations: a token created (shown once), listed, revoked.
        "integrations": client.get("/settings/integrations"),
        "new token dialog": client.get("/settings/integrations/tokens/new", headers=HTMX),
        "new token page": client.get("/settings/integrations/tokens/new"),
        "token, bad name": client.post("/settings/integrations/tokens", headers=HTMX,
                                       data={"name": "baris\nbaru"}),
        "token, created": client.post("/settings/integrations/tokens", headers=HTMX,
                                      data={"name": "Platform obrolan"}),
        "token, created page": client.post("/settings/integrations/tokens",
                                           data={"name": "Skrip cadangan"}),
        "integrations, tokens": client.get("/settings/integrations", headers=HTMX),
        "token revoke popup": client.get(
            f"/settings/integrations/tokens/{_newest_token_id()}/revoke", headers=HTMX),
        "token revoke page": client.get(
            f"/settings/integrations/tokens/{_newest_token_id()}/revoke"),
        "token, revoked": client.post(
            f"/settings/integrations/tokens/{_newest_token_id()}/revoke", headers=HTMX),
        "token, already revoked": client.get(
            f"/settings/integrations/tokens/{_newest_token_id()}/revoke", headers=HTMX),
        "integrations, revoked": client.get("/settings/integrations"),
        "activity, tokens": client.get("/activity"),
        "not found": client.get("/users/999999"),
        "not found, htmx": client.get("/users/999999", headers=HTMX),
        "wrong method": client.delete("/users"),
        "not a form": client.post("/users", json={"a": 1}),
    }
    problems = {name: found for name, response in screens.items()
                if (found := english_left_in(response))}
    assert not problems, _listed(problems)
    # Each screen is what its name says, not an error page that happens to be translated.
    statuses = {name: response.status_code for name, response in screens.items()}
    assert statuses == {name: EXPECTED_STATUSES.get(name, 200) for name in screens}


def test_every_screen_of_an_agent_and_a_visitor_reads_in_indonesian(app, client, auth,
                                                                     indonesian_account):
    visitor = app.test_client()
    visitor.post("/language", data={"language": "id", "next": "/login"})
    screens = {
        "login": visitor.get("/login"),
        "login, missing": visitor.post("/login", data={}),
        "login, wrong": visitor.post("/login", data={"username": "budi", "password": "x"}),
    }
    auth.login(username="budi")
    client.post("/language", data={"language": "id", "next": "/profile"})
    screens |= {
        "agent settings": client.get("/settings"),
        "agent profile": client.get("/profile"),
        "agent forbidden": client.get("/users"),
        "agent forbidden, htmx": client.get("/users", headers=HTMX),
        "presence, away": client.post("/presence", data={"presence": "away"}, headers=HTMX),
        "presence, wrong": client.post("/presence", data={"presence": "x"}, headers=HTMX),
        "presence, poll": client.post("/presence/seen", data={"presence": "online"},
                                      headers=HTMX),
        "agent profile, away": client.get("/profile"),
    }
    # Without JavaScript: the page it goes back to, with the flashed message.
    client.post("/presence", data={"presence": "online", "next": "/profile"})
    screens["presence, without javascript"] = client.get("/profile")
    problems = {name: found for name, response in screens.items()
                if (found := english_left_in(response))}
    assert not problems, _listed(problems)
    assert {name: response.status_code for name, response in screens.items()} == {
        "login": 200, "login, missing": 422, "login, wrong": 422, "agent settings": 200,
        "agent profile": 200, "agent forbidden": 403, "agent forbidden, htmx": 403,
        "presence, away": 200, "presence, wrong": 422, "presence, poll": 200,
        "agent profile, away": 200, "presence, without javascript": 200}


def test_the_english_screens_stay_english(admin_client, indonesian_account):
    """The scan finds English where it is: it would pass a page that shows nothing."""
    admin_client.post("/language", data={"language": "en", "next": "/users"})
    assert english_left_in(admin_client.get("/users"))


def _admin_id() -> int:
    return _user_id("boss")


def _user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def _newest_token_id() -> int:
    return db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()).limit(1))


def _listed(problems: dict) -> str:
    return "English left on Indonesian screens:\n" + "\n".join(
        f"  {name}: {word}" for name, found in problems.items() for word in found)


# -- My chats and Monitoring (appended by the screens work of issue 14) -------------------------

def test_my_chats_and_monitoring_read_in_indonesian(app, auth, factory, account, admin,
                                                    indonesian_account):
    """Every state of the chat screens, for an Agent, a Supervisor and an Admin who read
    Indonesian: lists, polls, dialogs, refusals, the confirm popup and the history."""
    # Imported here, so that this appended test stands on its own in a file others edit too.
    from webapp.agents import service as agents
    from webapp.chats import allocator
    from webapp.chats.allocator import Actor
    from webapp.models import ActorKind, AgentWorkload, Chat, Presence
    from webapp.presence import service as presence

    platform = Actor(ActorKind.API, 1, "platform")
    budi = indonesian_account
    sales = budi.division
    supervisor = factory.user(account, Role.SUPERVISOR, username="rina", first_name="Rina",
                              last_name="Wijaya", division=sales)
    dewi = factory.user(account, Role.AGENT, username="dewi", first_name="Dewi",
                        last_name="Lestari", division=sales)
    db.session.add(AgentWorkload(user_id=budi.id, max_chats=1))
    db.session.commit()
    values = {name: True for name in ("agent_can_take_over", "agent_can_transfer")}
    agents.save_allocation(account.id, {name: getattr(account, name)
                                        for name in agents.SWITCHES} | values, admin)
    for agent in (budi, dewi):
        presence.set_presence(agent, Presence.ONLINE)

    def arrive(external_id, name):
        chat, _ = allocator.receive_chat(account.id, channel="whatsapp",
                                         external_id=external_id, customer_name=name,
                                         division_id=None, actor=platform)
        return chat.id

    first, second, third = arrive("wa-1", "Ani"), arrive("wa-2", "Bayu"), arrive("wa-3", "Citra")
    allocator.note_message(account.id, first, allocator.CUSTOMER, platform)
    with_budi = db.session.scalar(select(Chat.id).where(Chat.agent_id == budi.id))
    arrive("wa-4", "Dodi")  # Ani went to budi (full), Bayu, Citra and Dodi to dewi
    presence.set_presence(dewi, Presence.AWAY)

    def client_for(user):
        client = app.test_client()
        client.post("/language", data={"language": "id", "next": "/login"})
        client.post("/login", data={"username": user.username, "password": PASSWORD})
        return client

    agent = client_for(budi)
    screens = {
        "my chats": agent.get("/chats"),
        "my chats, poll": agent.get("/chats", headers=HTMX),
        "get new chat, full": agent.post("/chats/next", headers=HTMX),
        "transfer dialog": agent.get(f"/chats/{with_budi}/transfer", headers=HTMX),
        "transfer page": agent.get(f"/chats/{with_budi}/transfer"),
        "transfer, missing": agent.post(f"/chats/{with_budi}/transfer", data={},
                                        headers=HTMX),
        "history, own chat": agent.get(f"/chats/{with_budi}/history", headers=HTMX),
        "history, not own": agent.get(f"/chats/{second}/history", headers=HTMX),
        "monitoring, agent": agent.get("/monitoring"),
        "resolve": agent.post(f"/chats/{with_budi}/resolve", headers=HTMX),
        "get new chat, none": agent.post("/chats/next", headers=HTMX),
    }
    arrive("wa-5", "Eka")  # to budi: full again
    watcher = client_for(supervisor)
    screens |= {
        "supervisor my chats": watcher.get("/chats"),
        "monitoring": watcher.get("/monitoring"),
        "monitoring, poll": watcher.get("/monitoring", headers=HTMX),
        "assign dialog": watcher.get(f"/monitoring/chats/{second}/assign", headers=HTMX),
        "assign page": watcher.get(f"/monitoring/chats/{second}/assign"),
        "assign, past the workload": watcher.post(f"/monitoring/chats/{second}/assign",
                                                  data={"to": str(budi.id)}, headers=HTMX),
        "assign, confirmed": watcher.post(f"/monitoring/chats/{second}/assign",
                                          data={"to": str(budi.id), "confirm": "y"},
                                          headers=HTMX),
        "assign, to queue": watcher.post(f"/monitoring/chats/{third}/assign",
                                         data={"to": "queue"}, headers=HTMX),
        "assign, bad choice": watcher.post(f"/monitoring/chats/{third}/assign",
                                           data={"to": "x"}, headers=HTMX),
        "history": watcher.get(f"/chats/{second}/history", headers=HTMX),
        "history page": watcher.get(f"/chats/{first}/history"),
    }
    boss = client_for(admin)
    screens |= {"monitoring, admin": boss.get("/monitoring"),
                "my chats, admin": boss.get("/chats")}
    problems = {name: found for name, response in screens.items()
                if (found := english_left_in(response))}
    assert not problems, _listed(problems)
    assert {name: response.status_code for name, response in screens.items()} == {
        name: {"get new chat, full": 409, "transfer, missing": 422, "history, not own": 403,
               "monitoring, agent": 403, "assign, past the workload": 409,
               "assign, confirmed": 204, "assign, to queue": 204,
               "assign, bad choice": 422, "my chats, admin": 403}.get(name, 200)
        for name in screens}
