"""Settings → Integrations: API tokens listed, created (shown once, stored as a hash) and
revoked by Admins only; `flask create-api-token`; their Activity entries (SPEC §8)."""

import json
import re

import pytest
from sqlalchemy import func, select, text

from tests import live
from tests.conftest import HTMX
from tests.test_activity import cells
from tests.test_data_safety import all_at_once, query_live
from tests.test_users_create import invalid_fields, popup_problems
from webapp.extensions import db
from webapp.integrations.tokens import (
    TOKEN_PREFIX,
    create_token,
    find_token,
    revoke_token,
    token_hash,
)
from webapp.models import ApiToken, AuditAction, AuditEntry, Role

INTEGRATIONS = "/settings/integrations"
TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}")
INDONESIAN = {"Accept-Language": "id-ID,id;q=0.9"}


def create(client, name, htmx=True, **headers):
    return client.post(f"{INTEGRATIONS}/tokens", data={"name": name},
                       headers=(HTMX if htmx else {}) | headers)


def shown_token(html: str) -> str:
    """The one full token a response shows, in its read-only field."""
    [token] = set(TOKEN.findall(html))
    assert f'value="{token}" readonly' in html
    return token


def stored_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def entries(action) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def row_of(html: str, token: ApiToken) -> str:
    return html.split(f'id="api-token-{token.id}"')[1].split("</tr>")[0]


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def integration_routes(app):
    """Every route of this area with each of its methods, ids filled in with `token_id`."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("integrations."):
            for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
                yield method, rule.rule.replace("<id:token_id>", "{token_id}")


@pytest.fixture
def made_token(app, account, admin):
    """A token of the account, made as the Admin makes one: (row, token)."""
    with app.test_request_context():
        row, token = create_token(account.id, "Qiscus", admin)
    return db.session.get(ApiToken, row.id), token


# -- who may ----------------------------------------------------------------------------------

def test_settings_lists_integrations_for_admins_only(admin_client, client, auth, factory,
                                                     account):
    page = admin_client.get("/settings").text
    assert "Integrations" in page and f'<a href="{INTEGRATIONS}">API tokens</a>' in page
    auth.logout()
    for role in (Role.SUPERVISOR, Role.AGENT):
        member = factory.user(account, role)
        auth.login(username=member.username)
        assert "API tokens" not in client.get("/settings").text
        assert "API tokens" not in client.get("/profile").text
        auth.logout()


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_every_route_is_403_for_supervisors_and_agents(app, client, auth, factory, account,
                                                      made_token, role):
    row, token = made_token
    factory.user(account, role, username="member")
    auth.login(username="member")
    checked = 0
    for method, path in integration_routes(app):
        for headers in ({}, HTMX):
            response = client.open(path.format(token_id=row.id), method=method,
                                   data={"name": "Mine"}, headers=headers)
            assert response.status_code == 403, (method, path)
            assert token not in response.text
        checked += 1
    assert checked == 5
    assert len(stored_tokens()) == 1 and find_token(token) is not None


def test_every_route_sends_anonymous_visitors_to_login(app, client, made_token):
    row, _token = made_token
    for method, path in integration_routes(app):
        page = client.open(path.format(token_id=row.id), method=method)
        assert page.status_code == 302 and "/login" in page.headers["Location"], (method, path)
        fragment = client.open(path.format(token_id=row.id), method=method, headers=HTMX)
        assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith(
            "/login")
    assert stored_tokens()[0].revoked_at is None


def test_another_accounts_token_is_404_and_stays_live(app, admin_client, factory):
    other = factory.account("Other")
    with app.test_request_context():
        theirs, token = create_token(other.id, "Theirs", None)
    for method, path in integration_routes(app):
        if "{token_id}" in path:
            for headers in ({}, HTMX):
                response = admin_client.open(path.format(token_id=theirs.id), method=method,
                                             headers=headers)
                assert response.status_code == 404, (method, path)
    for missing in ("999999", "0", "99999999999999999999", "abc"):
        assert admin_client.post(f"{INTEGRATIONS}/tokens/{missing}/revoke").status_code == 404
    assert find_token(token).id == theirs.id
    assert "Theirs" not in admin_client.get(INTEGRATIONS).text
    assert not entries(AuditAction.API_TOKEN_REVOKED)


# -- the list ---------------------------------------------------------------------------------

def test_the_list_newest_first_with_prefix_creator_use_and_state(app, admin_client, account,
                                                                 admin, factory):
    with app.test_request_context():
        first, _ = create_token(account.id, "Old platform", admin)
        second, _ = create_token(account.id, "From the shell", None)
        third, _ = create_token(account.id, "Live platform", admin)
        revoke_token(db.session.get(ApiToken, first.id), admin)
    with app.test_request_context():
        create_token(factory.account("Other").id, "Not ours", None)
    used = db.session.get(ApiToken, third.id)
    used.last_used_at = used.created_at
    db.session.commit()

    page = admin_client.get(INTEGRATIONS)
    assert page.status_code == 200 and "<html" in page.text
    assert "<h1>Integrations</h1>" in page.text and "API tokens" in page.text
    names = re.findall(r'<tr id="api-token-\d+">\s*<td[^>]*>([^<]*)</td>', page.text)
    assert names == ["Live platform", "From the shell", "Old platform"]
    rows = {row.id: plain(row_of(page.text, row)) for row in (first, second, third)}
    third = db.session.get(ApiToken, third.id)
    assert f"{third.prefix}…" in rows[third.id] and len(third.prefix) == 10
    assert "by boss" in rows[third.id] and "Active" in rows[third.id]
    assert "Never" not in rows[third.id] and "Revoke Live platform" in row_of(page.text, third)
    assert "by the command line" in rows[second.id] and "Never" in rows[second.id]
    assert "Revoked" in rows[first.id] and "Active" not in rows[first.id]
    assert 'aria-label="Revoke' not in row_of(page.text, first)  # nothing left to revoke
    assert "Not ours" not in page.text

    fragment = admin_client.get(INTEGRATIONS, headers=HTMX)
    assert "<html" not in fragment.text and 'id="api-token-rows"' in fragment.text
    assert 'hx-trigger="api-tokens-changed from:body"' in fragment.text


def test_an_empty_list_says_how_to_begin(admin_client):
    page = admin_client.get(INTEGRATIONS).text
    assert 'No API tokens yet. Use "+ Create token" to make the first one.' in page


def test_the_list_is_paged(app, admin_client, account, admin):
    with app.test_request_context():
        for number in range(52):
            create_token(account.id, f"Token {number}", admin)
    first = admin_client.get(INTEGRATIONS).text
    assert first.count('<tr id="api-token-') == 50 and "Token 51<" in first
    assert "Page 1 of 2" in first
    second = admin_client.get(f"{INTEGRATIONS}?page=2", headers=HTMX).text
    assert re.findall(r">(Token \d+)<", second) == ["Token 1", "Token 0"]
    assert admin_client.get(f"{INTEGRATIONS}?page=abc").status_code == 200


# -- create -----------------------------------------------------------------------------------

def test_the_create_form_is_a_dialog_for_htmx_and_a_page_otherwise(admin_client):
    dialog = admin_client.get(f"{INTEGRATIONS}/tokens/new", headers=HTMX)
    assert dialog.text.lstrip().startswith('<dialog data-modal id="create-token-dialog"')
    assert 'hx-target="closest article"' in dialog.text and "<html" not in dialog.text
    page = admin_client.get(f"{INTEGRATIONS}/tokens/new")
    assert "<html" in page.text and "<dialog" not in page.text
    # On its own page the form posts as a plain form: the answer is a whole page.
    assert 'action="/settings/integrations/tokens"' in page.text and "hx-post" not in page.text


def test_create_shows_the_token_once_and_stores_only_its_hash(admin_client, account, admin):
    response = create(admin_client, "  Qiscus Omnichannel ")
    assert response.status_code == 201 and "<html" not in response.text
    assert json.loads(response.headers["HX-Trigger"]) == {"api-tokens-changed": None}
    assert response.headers["Cache-Control"] == "no-store"
    assert 'id="create-token-dialog-title">Token Qiscus Omnichannel created' in response.text
    assert "It will not be shown again." in response.text
    token = shown_token(response.text)
    assert "data-copy-from" in response.text and "data-close-dialog" in response.text

    [row] = stored_tokens()
    assert (row.account_id, row.name, row.created_by_name) == (account.id, "Qiscus Omnichannel",
                                                               admin.username)
    assert row.token_hash == token_hash(token) and token.startswith(row.prefix)
    assert row.revoked_at is None and row.last_used_at is None
    assert find_token(token).id == row.id
    assert token not in response.headers.get("Set-Cookie", "")
    # Only the hash and the first characters are anywhere in the database.
    dump = " ".join(str(value) for table in ("api_tokens", "audit_entries")
                    for found in db.session.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
                    for value in found)
    assert token not in dump and token[len(row.prefix):] not in dump
    assert token[len(row.prefix):len(row.prefix) + 8] not in dump

    [entry] = entries(AuditAction.API_TOKEN_CREATED)
    assert (entry.account_id, entry.actor_id, entry.target_name) == (
        account.id, admin.id, "Qiscus Omnichannel")
    assert entry.details == f"{row.prefix}…"


def test_the_token_is_never_in_a_later_response(admin_client, admin):
    created = create(admin_client, "Once")
    token = shown_token(created.text)
    [row] = stored_tokens()
    later = [
        admin_client.get(INTEGRATIONS),
        admin_client.get(INTEGRATIONS, headers=HTMX),
        admin_client.get(f"{INTEGRATIONS}/tokens/new", headers=HTMX),
        admin_client.get(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX),
        admin_client.get(f"{INTEGRATIONS}/tokens/{row.id}/revoke"),
        admin_client.get("/activity"),
        admin_client.get("/settings"),
        admin_client.post(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX),
        admin_client.get(INTEGRATIONS),
    ]
    for response in later:
        assert token not in response.text and token not in str(response.headers)
    assert f"{row.prefix}…" in later[0].text  # only ever its first characters
    # Nor in the session: the cookie holds nothing of it.
    with admin_client.session_transaction() as session:
        assert token not in json.dumps(dict(session), default=str)


def test_without_javascript_create_answers_the_page_with_the_token_and_the_list(admin_client):
    response = create(admin_client, "Shell scripts", htmx=False)
    assert response.status_code == 201 and "<html" in response.text
    assert "HX-Trigger" not in response.headers or "api-tokens-changed" in response.headers[
        "HX-Trigger"]
    token = shown_token(response.text)
    [row] = stored_tokens()
    assert f'id="api-token-{row.id}"' in response.text  # the list below it has the new row
    assert 'href="/settings/integrations" role="button">Done<' in response.text
    assert "Location" not in response.headers and token not in str(response.headers)
    assert token not in admin_client.get(INTEGRATIONS).text


def test_two_tokens_of_one_name_are_two_tokens(admin_client):
    one = shown_token(create(admin_client, "Platform").text)
    two = shown_token(create(admin_client, "Platform").text)
    assert one != two
    assert {find_token(one).id, find_token(two).id} == {row.id for row in stored_tokens()}


@pytest.mark.parametrize("name", ["x", "A" * 64, "Qiscus — WhatsApp 🇮🇩", "日本語の名前",
                                  "<script>alert(1)</script>"])
def test_names_of_1_to_64_characters_of_any_script(admin_client, name):
    response = create(admin_client, name)
    assert response.status_code == 201, popup_problems(response.text)
    assert stored_tokens()[0].name == name
    assert "<script>alert" not in response.text  # shown as text


@pytest.mark.parametrize(("name", "message"), [
    ("", "Name field is required"),
    ("   ", "Name field is required"),
    ("A" * 65, "Field cannot be longer than 64 characters."),
    ("line\nbreak", "Name must not contain control characters"),
    ("tab\there", "Name must not contain control characters"),
    ("nul\x00byte", "Name must not contain control characters"),
    ("delete\x7f", "Name must not contain control characters"),
    ("c1\x85control", "Name must not contain control characters"),
    ("para\u2029graph", "Name must not contain control characters"),
])
def test_a_refused_name_is_422_with_the_form_as_typed(admin_client, name, message):
    response = create(admin_client, name)
    assert response.status_code == 422
    assert "<dialog" not in response.text.split("<form")[0]  # inside the dialog's article
    assert 'id="create-token-dialog-title">Create token<' in response.text
    assert invalid_fields(response.text) == ["name"]
    assert message in response.text
    if name.strip() and "\x00" not in name:
        assert f'value="{name.strip()}"' in response.text  # what was typed stays
    assert not TOKEN.search(response.text)
    assert not stored_tokens() and not entries(AuditAction.API_TOKEN_CREATED)


def test_a_refused_name_without_javascript_is_the_form_page(admin_client):
    response = create(admin_client, "bad\tname", htmx=False)
    assert response.status_code == 422 and "<html" in response.text
    assert 'class="alert" role="alert"' in response.text  # the problems above the form
    assert 'value="bad\tname"' in response.text and not stored_tokens()


@pytest.mark.parametrize("data", [{"name": ["one", "two"]}, {"nome": "x"}, {}])
def test_odd_forms_are_never_a_500(admin_client, data):
    response = admin_client.post(f"{INTEGRATIONS}/tokens", data=data, headers=HTMX)
    assert response.status_code in {201, 422}
    assert admin_client.post(f"{INTEGRATIONS}/tokens", json={"name": "x"}).status_code == 415


# -- revoke -----------------------------------------------------------------------------------

def test_revoke_asks_in_a_popup_then_revokes(admin_client, made_token, admin):
    row, token = made_token
    confirm = admin_client.get(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX)
    assert confirm.text.lstrip().startswith('<dialog data-modal id="revoke-token-dialog"')
    assert "Revoke the token Qiscus?" in confirm.text
    assert f"{row.prefix}…" in confirm.text and "cannot be undone" in confirm.text
    assert find_token(token) is not None  # asking changes nothing

    done = admin_client.post(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX)
    assert done.status_code == 204
    events = json.loads(done.headers["HX-Trigger"])
    assert set(events) == {"close-dialog", "api-tokens-changed", "toast"}
    assert events["toast"]["message"] == "Token Qiscus revoked"
    assert find_token(token) is None
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    row_html = row_of(admin_client.get(INTEGRATIONS).text, row)
    assert "Revoked" in row_html and "/revoke" not in row_html

    [entry] = entries(AuditAction.API_TOKEN_REVOKED)
    assert (entry.actor_id, entry.target_name, entry.details) == (admin.id, "Qiscus",
                                                                  f"{row.prefix}…")


def test_revoking_twice_is_once(admin_client, made_token):
    row, _token = made_token
    first = admin_client.post(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX)
    revoked_at = db.session.get(ApiToken, row.id).revoked_at
    again = admin_client.post(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX)
    assert (first.status_code, again.status_code) == (204, 204)
    assert db.session.get(ApiToken, row.id).revoked_at == revoked_at
    assert len(entries(AuditAction.API_TOKEN_REVOKED)) == 1
    # Asked again (an old page), the popup says it is done and offers nothing to press.
    confirm = admin_client.get(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX).text
    assert "This token is already revoked" in confirm and "<form" not in confirm


def test_revoke_without_javascript(admin_client, made_token):
    row, token = made_token
    page = admin_client.get(f"{INTEGRATIONS}/tokens/{row.id}/revoke")
    assert "<html" in page.text and "Revoke the token Qiscus?" in page.text
    assert "hx-post" not in page.text  # a plain form on a page of its own
    done = admin_client.post(f"{INTEGRATIONS}/tokens/{row.id}/revoke")
    assert done.status_code == 302 and done.headers["Location"] == INTEGRATIONS
    assert "Token Qiscus revoked" in admin_client.get(INTEGRATIONS).text  # flashed
    assert find_token(token) is None


def test_a_revoked_token_is_not_found_and_a_live_one_is(app, account, admin):
    with app.test_request_context():
        kept, kept_token = create_token(account.id, "Kept", admin)
        gone, gone_token = create_token(account.id, "Gone", admin)
        revoke_token(db.session.get(ApiToken, gone.id), admin)
    assert find_token(gone_token) is None and find_token(kept_token).id == kept.id
    for wrong in ("", kept_token[:-1], kept_token + "x", kept_token.upper(), "Bearer " +
                  kept_token, kept_token[len(TOKEN_PREFIX):], "oam_" + "a" * 200):
        assert find_token(wrong) is None


# -- the Activity log ---------------------------------------------------------------------------

def test_created_and_revoked_read_well_in_the_activity_log(admin_client, runner, admin):
    create(admin_client, "Qiscus")
    [row] = stored_tokens()
    admin_client.post(f"{INTEGRATIONS}/tokens/{row.id}/revoke", headers=HTMX)
    assert runner.invoke(args=["create-api-token", "--account", "Acme",
                               "--name", "Cron"]).exit_code == 0
    cron = stored_tokens()[-1]

    def newest_three(headers):
        html = admin_client.get("/activity", headers=headers).text
        return [column[:3] for column in (cells(html, n) for n in range(1, 6))]

    who, what, whom, details, address = newest_three({})
    assert what == ["API token created", "API token revoked", "API token created"]
    assert who == ["command line", "boss", "boss"]
    assert whom == ["Cron", "Qiscus", "Qiscus"]
    assert details == [f"{cron.prefix}…", f"{row.prefix}…", f"{row.prefix}…"]
    assert address[0] == "command line"

    admin_client.post("/language", data={"language": "id", "next": "/activity"})
    who, what, whom, details, _address = newest_three({})
    assert what == ["Token API dibuat", "Token API dicabut", "Token API dibuat"]
    assert who[0] == "baris perintah" and whom == ["Cron", "Qiscus", "Qiscus"]


def test_the_action_filter_offers_and_applies_the_token_actions(admin_client, made_token):
    page = admin_client.get("/activity").text
    assert '<option value="api token created" >API token created</option>' in page
    assert '<option value="api token revoked" >API token revoked</option>' in page
    filtered = admin_client.get("/activity?action=api+token+created").text
    assert cells(filtered, 2) == ["API token created"]


# -- the command line ---------------------------------------------------------------------------

def test_create_api_token_prints_the_token_alone_on_its_last_line(runner, account):
    result = runner.invoke(args=["create-api-token", "--account", "acme", "--name",
                                 " Qiscus "])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    token = lines[-1]
    assert TOKEN.fullmatch(token) and len(lines) >= 2
    assert 'Created the API token "Qiscus" for account Acme.' in lines[0]
    assert token not in "\n".join(lines[:-1]) and not result.stderr
    row = find_token(token)
    assert (row.account_id, row.name, row.created_by_name) == (account.id, "Qiscus", "")
    [entry] = entries(AuditAction.API_TOKEN_CREATED)
    assert entry.facts == {"actor": "command_line", "address": "command_line"}


@pytest.mark.parametrize(("args", "message"), [
    (["--account", "Nobody", "--name", "x"], 'There is no account named "Nobody".'),
    (["--account", "Acme", "--name", ""], "Name field is required"),
    (["--account", "Acme", "--name", "A" * 65], "Field cannot be longer than 64 characters."),
    (["--account", "Acme", "--name", "two\nlines"], "Name must not contain control characters"),
    (["--account", "", "--name", "x"], "Account name must be 1–64 characters."),
    (["--account", "Acme"], "Missing option '--name'"),
])
def test_create_api_token_refuses_bad_input_and_writes_nothing(runner, account, args,
                                                               message):
    result = runner.invoke(args=["create-api-token", *args])
    assert result.exit_code in {1, 2}, result.output
    assert message in result.stderr and not result.stdout.strip()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert not entries(AuditAction.API_TOKEN_CREATED)


# -- real HTTP and processes --------------------------------------------------------------------

def test_over_http_the_token_is_shown_once_and_the_real_command_makes_one(server, root):
    """Under gunicorn, with CSRF on: create in the dialog, then revoke twice at once (one
    entry, no 5xx); the real `flask create-api-token` prints a token the database knows."""
    created = root.request("POST", f"{INTEGRATIONS}/tokens",
                           {"name": "Live platform", "csrf_token": root.csrf_token},
                           headers={"HX-Request": "true"})
    assert created.status == 201, created.text
    token = shown_token(created.text)
    [(token_id, stored_hash)] = query_live(server, "SELECT id, token_hash FROM api_tokens")
    assert stored_hash == token_hash(token)
    for path in (INTEGRATIONS, f"{INTEGRATIONS}/tokens/{token_id}/revoke", "/activity"):
        assert token not in root.request("GET", path).text

    results = all_at_once(server, f"{INTEGRATIONS}/tokens/{token_id}/revoke", [{}] * 5, root)
    assert [status for status, _body in results] == [204] * 5
    assert query_live(server, "SELECT count(*) FROM audit_entries WHERE action = :action",
                      action="api token revoked") == [(1,)]

    printed = live.flask_command(server.env, "create-api-token", "--account", "Live",
                                 "--name", "Shell")
    command_token = printed.splitlines()[-1]
    assert query_live(server, "SELECT name, revoked_at FROM api_tokens WHERE token_hash = :h",
                      h=token_hash(command_token)) == [("Shell", None)]
    assert token not in server.output() and command_token not in server.output()

