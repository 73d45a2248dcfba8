"""The users list: search, role and status filters, sorting, paging, counts, empty state
(spec §5, issue 10 item 7), and what each row offers."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import text

from tests.conftest import HTMX, on_postgresql
from webapp import paging
from webapp.extensions import db
from webapp.models import Role, Status
from webapp.users import listing

# A display row leaves its cells' closing tags out (users/_row.html); a row being edited not.
ROW = re.compile(r'<tr id="user-(\d+)"[^>]*>\s*<td[^>]*>(.*?)(?:</td>\s*)?'
                 r'<td[^>]*>(.*?)(?:</td>\s*)?<td', re.S)


def row_usernames(html: str) -> list[str]:
    return [username for _, _, username in ROW.findall(html)]


def row_ids(html: str) -> list[int]:
    return [int(user_id) for user_id, _, _ in ROW.findall(html)]


def link_to(html: str, label: str) -> str:
    """Where the link with these words goes."""
    return re.search(rf'<a href="([^"]*)"[^>]*>{re.escape(label)}</a>', html)[1].replace(
        "&amp;", "&")


def list_links(html: str) -> list[str]:
    """Every address in the fragment that leads to the list itself (pager, headings…)."""
    return [address.replace("&amp;", "&")
            for address in re.findall(r'(?:href|hx-get)="(/users(?:\?[^"]*)?)"', html)]


@pytest.fixture
def people(factory, account, admin):
    """A few users with names, emails and phones worth searching for."""
    made = {
        "ann": factory.user(account, Role.AGENT, username="ann", first_name="Ann",
                            last_name="Lee", email="ann@sales.io", phone="+6281234567890"),
        "bob": factory.user(account, Role.SUPERVISOR, username="bob_smith", first_name="Bob",
                            last_name="Smith", email="bob@support.io", phone="0215551234"),
        "pct": factory.user(account, Role.AGENT, username="percent", first_name="Ten%",
                            last_name="Off", email="pct@x.io"),
        "eva": factory.user(account, Role.ADMIN, username="eva", first_name="Éva",
                            last_name="Ödön", email="eva@x.io"),
    }
    return made


def search(client, **params):
    return client.get("/users", query_string=params, headers=HTMX)


@pytest.mark.parametrize("query, expected", [
    ("ann", ["ann"]),
    ("ANN", ["ann"]),                      # letter case ignored
    ("lee", ["ann"]),                      # last name
    ("ann lee", ["ann"]),                  # full name
    ("smith", ["bob_smith"]),
    ("support.io", ["bob_smith"]),         # email
    ("812 3456-7890", ["ann"]),            # phone typed with spaces and dashes
    ("+62812", ["ann"]),
    ("555", ["bob_smith"]),
    ("%", ["percent"]),                    # % is literal, not "anything"
    ("_", ["bob_smith"]),                  # _ is literal, not "any one character"
    ("b_b", []),
    ("\\", []),
    ("ÉVA", ["eva"]),                      # Unicode letter case
    ("ödön", ["eva"]),
    ("nobody here", []),
])
def test_search_matches_names_username_email_and_phone(admin_client, people, query, expected):
    assert row_usernames(search(admin_client, q=query).text) == expected


def test_search_does_not_match_across_fields(admin_client, people):
    # "Lee" ends the last name and "ann" starts the username: no match spanning the two.
    assert row_usernames(search(admin_client, q="leeann").text) == []


def test_empty_result_says_so(admin_client, people):
    response = search(admin_client, q="zzz")
    assert "No users match your search." in response.text


def test_role_filter(admin_client, people):
    assert row_usernames(search(admin_client, role="Supervisor").text) == ["bob_smith"]
    assert sorted(row_usernames(search(admin_client, role="Admin").text)) == ["boss", "eva"]
    assert len(row_usernames(search(admin_client, role="").text)) == 5
    assert len(row_usernames(search(admin_client, role="Bogus").text)) == 5


def test_role_filter_and_search_combine(admin_client, people):
    assert row_usernames(search(admin_client, q="io", role="Agent").text) == ["percent", "ann"]


def test_status_filter(admin_client, factory, account, people):
    factory.user(account, Role.AGENT, username="sleepy", status=Status.DISABLED)
    assert row_usernames(search(admin_client, status="disabled").text) == ["sleepy"]
    active = row_usernames(search(admin_client, status="active").text)
    assert "sleepy" not in active and len(active) == 5
    assert len(row_usernames(search(admin_client, status="").text)) == 6
    assert len(row_usernames(search(admin_client, status="gone").text)) == 6
    assert row_usernames(search(admin_client, status="disabled", q="sle").text) == ["sleepy"]
    assert row_usernames(search(admin_client, status="disabled", role="Admin").text) == []
    assert "No users match your search." in search(admin_client, status="disabled",
                                                   role="Admin").text


def test_page_has_the_filters_and_search_box(admin_client):
    page = admin_client.get("/users").text
    assert '<option value="">All roles</option>' in page and "All role<" not in page
    assert '<option value="">All statuses</option>' in page
    assert '<option value="active">Active</option>' in page
    assert '<option value="disabled">Disabled</option>' in page
    assert 'aria-label="Search"' in page and 'hx-push-url="true"' in page
    assert "input changed delay:250ms" in page and "change from:#users-status" in page


def test_the_page_keeps_the_filters_it_shows(admin_client, people):
    page = admin_client.get("/users", query_string={"role": "Agent", "status": "active",
                                                    "sort": "-name", "q": "o"}).text
    assert '<option value="Agent" selected>' in page
    assert '<option value="active" selected>' in page
    assert '<option value="-name" selected>' in page
    assert 'name="q" value="o"' in page


def test_fragment_versus_whole_page(admin_client, people):
    fragment = search(admin_client, q="ann")
    page = admin_client.get("/users", query_string={"q": "ann"})
    assert "<html" not in fragment.text and "<html" in page.text
    assert row_usernames(fragment.text) == row_usernames(page.text) == ["ann"]
    assert 'value="ann"' in page.text  # the search box keeps the query on reload
    assert fragment.headers["Vary"].startswith("HX-Request")


def test_history_restore_gets_the_whole_page(admin_client, people):
    response = admin_client.get("/users", headers=HTMX | {"HX-History-Restore-Request": "true"})
    assert "<html" in response.text


def test_other_accounts_users_are_never_listed(admin_client, factory, people):
    other = factory.account("Other")
    factory.user(other, Role.AGENT, username="stranger", first_name="Ann")
    assert row_usernames(search(admin_client, q="ann").text) == ["ann"]


# -- sorting ---------------------------------------------------------------------------------

SORTED_BY = {
    "name": lambda user: (user.first_name.lower(), user.last_name.lower(), user.id),
    "username": lambda user: (user.username.lower(), user.id),
    "email": lambda user: (user.email, user.id),
    "role": lambda user: (str(user.role), user.id),
    "created": lambda user: (user.id,),
}


class TestSorting:
    @pytest.fixture
    def crowd(self, factory, account, admin):
        """Users whose every sort differs from the others and from creation order. Letters
        and dots only, so that any collation sorts them as Python does; names repeat, so
        that the id decides between equals."""
        rows = [("mia", "Zed", "Ng", Role.AGENT), ("Bea", "ann", "Kim", Role.SUPERVISOR),
                ("zoe", "Ann", "abe", Role.ADMIN), ("Carl", "bo", "Lund", Role.AGENT),
                ("ava", "Ann", "abe", Role.SUPERVISOR), ("Dan", "cy", "Moe", Role.AGENT),
                ("eli", "Bo", "lund", Role.ADMIN), ("Fay", "Ed", "Ode", Role.AGENT)]
        emails = ["k", "c", "x", "a", "q", "m", "b", "t"]
        return [admin] + [
            factory.user(account, role, username=f"{handle}.sorted", first_name=first,
                         last_name=last, email=f"{email}.{handle}@sorted.io")
            for (handle, first, last, role), email in zip(rows, emails, strict=True)]

    @pytest.mark.parametrize("column", list(SORTED_BY))
    @pytest.mark.parametrize("descending", [False, True])
    def test_each_column_both_ways_as_python_sorts(self, admin_client, crowd, column,
                                                   descending):
        token = ("-" if descending else "") + column
        expected = [user.id for user in sorted(crowd, key=SORTED_BY[column],
                                               reverse=descending)]
        assert row_ids(search(admin_client, sort=token).text) == expected

    @pytest.mark.parametrize("query", ["sorted", "ann", "an", "o"])  # FTS5 and plain LIKE
    @pytest.mark.parametrize("column", ["name", "username", "email", "role"])
    def test_a_search_sorts_all_its_matches(self, admin_client, crowd, query, column):
        matches = [user for user in crowd
                   if query in "\n".join([user.full_name, user.username, user.email]).lower()]
        assert matches, query
        for descending in (False, True):
            expected = [user.id for user in sorted(matches, key=SORTED_BY[column],
                                                   reverse=descending)]
            token = ("-" if descending else "") + column
            assert row_ids(search(admin_client, q=query, sort=token).text) == expected

    def test_a_sorted_search_pages_through_every_match_once(self, app, admin_client, crowd):
        app.config["USERS_PER_PAGE"] = 3
        seen = []
        for page in (1, 2, 3):
            fragment = search(admin_client, q="sorted", sort="-username", page=page).text
            seen += row_ids(fragment)
        expected = sorted(crowd[1:], key=SORTED_BY["username"], reverse=True)
        assert seen == [user.id for user in expected]
        assert "Showing 7–8 of 8 users matching your search" in fragment

    def test_the_sorted_search_path_is_the_one_that_sorts_the_matches(self, account, crowd):
        """On SQLite a long query goes through the FTS5 index; sorted, its matches are
        gathered first and then sorted, never walked in the sort's index one probe each."""
        sql = compile_sql(listing.matching_ids(account.id, "sorted",
                                               sort=listing.Sort("name", False)))
        if on_postgresql():
            assert "users_fts" not in sql
        else:
            assert "MATERIALIZED" in sql and "MATCH" in sql

    def test_filters_and_a_sort_combine(self, admin_client, crowd):
        expected = sorted((user for user in crowd if user.role == Role.AGENT),
                          key=SORTED_BY["email"], reverse=True)
        assert row_ids(search(admin_client, role="Agent", sort="-email").text) == [
            user.id for user in expected]

    def test_an_unknown_sort_is_newest_first(self, admin_client, crowd):
        newest_first = [user.id for user in reversed(crowd)]
        for token in ("", "password_hash", "--name", "-"):
            assert row_ids(search(admin_client, sort=token).text) == newest_first

    def test_headings_link_to_their_sort_and_say_which_is_on(self, admin_client, crowd):
        fragment = search(admin_client, sort="name", role="Agent").text
        headings = dict(re.findall(r'<th class="col-(\w+)"([^>]*)>', fragment))
        assert headings["name"] == ' aria-sort="ascending"'
        assert all(attributes == "" for column, attributes in headings.items()
                   if column != "name")
        # The sorted column flips; another starts in its own first direction; filters stay,
        # the page goes back to 1.
        assert 'href="/users?role=Agent&amp;sort=-name"' in fragment
        assert 'href="/users?role=Agent&amp;sort=username"' in fragment
        assert 'href="/users?role=Agent"' in fragment  # Created: newest first, the default
        # Where they load is said once, on the head.
        assert re.search(r'<thead hx-target="#users-list" hx-push-url="true"', fragment)
        descending = search(admin_client, sort="-created").text
        assert 'class="col-created" aria-sort="descending"' in descending
        assert 'href="/users?sort=created"' in descending
        assert 'class="col-phone">Phone</th>' in descending  # not sortable: no link

    def test_the_sort_travels_with_the_filter_form(self, admin_client, crowd):
        page = admin_client.get("/users?sort=-email").text
        form = re.search(r'<form id="users-filter".*?</form>', page, re.S)[0]
        assert re.search(r'<select id="users-sort" name="sort" aria-label="Sort by">', form)
        assert '<option value="-email" selected>' in form
        assert "change from:#users-sort" in form
        # The list says how it is sorted, for app.js to show it in "Sort by" after a
        # heading was clicked.
        assert 'data-sort="-email"' in search(admin_client, sort="-email").text
        assert 'data-sort=""' in search(admin_client).text


def compile_sql(statement) -> str:
    return str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))


def query_plan(statement) -> list[str]:
    return [row[-1] for row in db.session.execute(text("EXPLAIN QUERY PLAN "
                                                       + compile_sql(statement)))]


SORT_INDEXES = {
    "name": "ix_users_account_name",
    "username": "ix_users_account_username",
    "email": "ix_users_account_email",
    "role": "ix_users_account_role_newest",
    "created": "ix_users_account_newest",
}


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
@pytest.mark.parametrize("column", list(SORT_INDEXES))
@pytest.mark.parametrize("descending", [False, True])
def test_a_sorted_page_walks_its_index_without_sorting(account, column, descending):
    ids = listing.matching_ids(account.id, sort=listing.Sort(column, descending))
    plan = query_plan(ids.limit(25).offset(25 * 40))
    assert plan == [f"SEARCH users USING {'COVERING ' if 'COVERING' in plan[0] else ''}"
                    f"INDEX {SORT_INDEXES[column]} (account_id=?)"], plan


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
def test_a_sorted_search_reads_the_fts_index_first(account):
    ids = listing.matching_ids(account.id, "santoso", sort=listing.Sort("username", False))
    plan = query_plan(ids.limit(25))
    # The matches are gathered from the FTS5 index (a list of ids, then one lookup each),
    # then sorted: no walk through the account's users.
    assert plan[:2] == ["MATERIALIZE matches",
                        "SEARCH users USING INDEX ix_users_account_newest "
                        "(account_id=? AND id=? AND rowid=?)"], plan
    assert "SCAN users_fts VIRTUAL TABLE INDEX 192:M0" in plan, plan


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
@pytest.mark.parametrize("query", ["o", "ab", "1-2"])  # grams alone, grams and FTS5 together
def test_a_sorted_short_search_reads_the_grams_first(account, query):
    ids = listing.matching_ids(account.id, query, sort=listing.Sort("email", True))
    plan = query_plan(ids.limit(25))
    assert plan[0] == "MATERIALIZE matches", plan
    assert any(step.startswith("SCAN users_grams VIRTUAL TABLE INDEX") for step in plan), plan
    assert not any(step == "SCAN users" or step.startswith(("SCAN users USING",
                                                            "SEARCH users USING INDEX"))
                   and step.endswith("(account_id=?)") for step in plan), plan


@pytest.mark.skipif(on_postgresql(), reason="SQLite's query plans")
def test_a_sorted_search_with_many_matches_walks_the_sorts_index(app, account, factory,
                                                                 monkeypatch):
    monkeypatch.setattr(listing, "FEW", 3)
    for number in range(5):
        factory.user(account, username=f"many{number}")
    ids = listing.matching_ids(account.id, "y", sort=listing.Sort("username", False))
    assert query_plan(ids.limit(25)) == [
        "SEARCH users USING INDEX ix_users_account_username (account_id=?)"]


# -- the list's URLs -------------------------------------------------------------------------

class TestListUrls:
    @pytest.fixture
    def many(self, factory, account, admin):
        return [factory.user(account, Role.AGENT, username=f"agent{n:02}") for n in range(1, 51)]

    def test_no_link_repeats_a_parameter_or_carries_an_empty_one(self, admin_client, many):
        for params in ({}, {"page": 2}, {"q": "agent", "role": "Agent", "page": 2},
                       {"status": "active", "sort": "-username", "page": 3},
                       {"q": "", "role": "", "status": "", "sort": "", "page": "1"}):
            links = list_links(search(admin_client, **params).text)
            assert links, params
            for link in links:
                pairs = parse_qsl(urlsplit(link).query, keep_blank_values=True)
                names = [name for name, _ in pairs]
                assert len(names) == len(set(names)), link
                assert all(value for _, value in pairs), link
                assert ("page", "1") not in pairs and ("sort", "-created") not in pairs, link

    def test_pager_links_keep_the_filters_and_sort(self, admin_client, many):
        first = search(admin_client, q="agent", role="Agent", sort="username").text
        assert 'href="/users?q=agent&amp;role=Agent&amp;sort=username&amp;page=2"' in first
        second = search(admin_client, q="agent", role="Agent", sort="username", page=2).text
        assert 'href="/users?q=agent&amp;role=Agent&amp;sort=username" rel="prev"' in second

    def test_the_address_bar_gets_the_one_spelling(self, admin_client, many):
        # What the filter form sends, empty fields included: the list answers with the URL
        # of what it shows, which htmx pushes instead.
        response = admin_client.get("/users?q=agent&role=&status=&sort=", headers=HTMX)
        assert response.headers["HX-Push-Url"] == "/users?q=agent"
        response = admin_client.get("/users?page=last", headers=HTMX)
        assert response.headers["HX-Push-Url"] == "/users?page=3"
        # A URL already in that spelling (a link, or the refresh after a delete): no header,
        # so no second history entry.
        assert "HX-Push-Url" not in admin_client.get("/users?q=agent&page=2",
                                                     headers=HTMX).headers
        # A whole page never gets one.
        assert "HX-Push-Url" not in admin_client.get("/users?q=agent&role=").headers

    def test_refreshes_ask_for_the_list_as_it_is(self, admin_client, many):
        fragment = search(admin_client, q="agent", sort="name", page=2).text
        assert re.search(r'hx-get="/users\?q=agent&amp;sort=name&amp;page=2" '
                         r'hx-trigger="users-changed from:body"', fragment)
        # After a create: the first page, pushed as the address (it changes).
        assert re.search(r'hx-get="/users\?q=agent&amp;sort=name"\s+'
                         r'hx-trigger="user-created from:body"[^>]*hx-push-url="true"', fragment)
        # On the first page both are this same page: one element listens for both.
        first = search(admin_client, q="agent", sort="name").text
        assert len(re.findall(r'hx-trigger="users-changed from:body, user-created from:body"',
                              first)) == 1
        assert 'hx-trigger="user-created' not in first


# -- paging ----------------------------------------------------------------------------------

class TestPaging:
    @pytest.fixture
    def many(self, factory, account, admin):
        return [factory.user(account, Role.AGENT, username=f"agent{n:02}") for n in range(1, 51)]

    def test_25_rows_a_page_newest_first(self, admin_client, many):
        first = row_usernames(search(admin_client).text)
        assert len(first) == 25
        assert first[0] == "agent50" and first[-1] == "agent26"
        assert "Showing 1–25 of 51 users" in search(admin_client).text

    def test_last_page_holds_the_rest(self, admin_client, many):
        last = search(admin_client, page=3)
        assert row_usernames(last.text) == ["boss"]
        assert "Showing user 51 of 51" in last.text and "51–51" not in last.text
        assert "Page 3 of 3" in last.text and 'rel="next"' not in last.text

    def test_a_full_last_page_reads_well(self, app, admin_client, many):
        app.config["USERS_PER_PAGE"] = 17
        last = search(admin_client, page=3)
        assert "Showing 35–51 of 51 users" in last.text
        assert '<span aria-disabled="true">Next ›</span>' in last.text
        assert '<span aria-disabled="true">Last »</span>' in last.text

    def test_pages_past_the_end_or_below_one_are_clamped(self, admin_client, many):
        assert row_usernames(search(admin_client, page=99).text) == ["boss"]
        assert row_usernames(search(admin_client, page=0).text)[0] == "agent50"
        assert row_usernames(search(admin_client, page="x").text)[0] == "agent50"

    def test_page_last_is_the_last_page(self, admin_client, many):
        last = search(admin_client, page="last")
        assert row_usernames(last.text) == ["boss"] and "Page 3 of 3" in last.text

    def test_exactly_one_full_page_has_no_pager(self, admin_client, factory, account, admin):
        for n in range(24):
            factory.user(account, Role.AGENT, username=f"agent{n:02}")
        response = search(admin_client)
        assert len(row_usernames(response.text)) == 25
        assert 'aria-label="Pages"' not in response.text

    def test_first_last_and_numbered_pages(self, app, admin_client, many):
        app.config["USERS_PER_PAGE"] = 5  # 51 users: 11 pages
        fragment = search(admin_client, page=6).text
        pager = fragment[fragment.index('<nav class="pager"'):]
        assert "Page 6 of 11" in pager
        numbers = re.findall(r'aria-label="Page (\d+)"', pager)
        assert numbers == ["1", "4", "5", "7", "8", "11"]
        assert ('<span aria-current="page"><span class="visually-hidden">Page 6</span>'
                '<span aria-hidden="true">6</span></span>') in pager
        assert pager.count('aria-hidden="true">…</li>') == 2
        assert link_to(pager, "« First") == "/users"
        assert link_to(pager, "‹ Previous") == "/users?page=5"
        assert link_to(pager, "Next ›") == "/users?page=7"
        assert link_to(pager, "Last »") == "/users?page=11"
        first = search(admin_client).text
        assert '<span aria-disabled="true">« First</span>' in first
        assert re.findall(r'aria-label="Page (\d+)"', first) == ["2", "3", "11"]


class TestCountsThatStopEarly:
    """webapp/paging.py counts at most COUNT_AHEAD rows past the page: "more than N"."""

    @pytest.fixture
    def many(self, app, factory, account, admin, monkeypatch):
        monkeypatch.setattr(paging, "COUNT_AHEAD", 12)
        app.config["USERS_PER_PAGE"] = 5
        return [factory.user(account, username=f"agent{n:02}") for n in range(40)]

    def test_the_pager_numbers_what_it_knows_and_can_still_go_last(self, admin_client, many):
        fragment = search(admin_client, q="agent").text
        assert "Showing 1–5 of more than 12 users matching your search" in fragment
        assert "Page 1 of more than 2" in fragment
        pager = fragment[fragment.index('<nav class="pager"'):]
        assert re.findall(r'aria-label="Page (\d+)"', pager) == ["2", "3"]
        assert pager.count('aria-hidden="true">…</li>') == 1  # beyond: not counted yet
        assert link_to(pager, "Last »") == "/users?q=agent&page=last"

    def test_the_last_page_counts_to_the_end(self, admin_client, many):
        response = search(admin_client, q="agent", page="last")
        assert "Showing 36–40 of 40 users matching your search" in response.text
        assert "Page 8 of 8" in response.text
        assert response.headers["HX-Push-Url"] == "/users?q=agent&page=8"


def test_counts_read_as_numbers():
    assert paging.count_label(100_000) == "100,000"
    assert paging.count_label(paging.AtLeast(1_001)) == "more than 1,000"
    page = paging.Page(items=[], total=100_000, page=4000, per_page=25)
    assert (page.first_index, page.last_index, page.is_last) == (99_976, 100_000, True)


@pytest.mark.parametrize("value, page", [
    ("3", 3), ("last", paging.LAST_PAGE), ("", 1), (None, 1), ("x", 1), ("-2", 1),
    ("0", 1), (str(10**9), paging.LAST_PAGE),
])
def test_requested_page(value, page):
    assert paging.requested_page(value) == page


# -- what each row offers ----------------------------------------------------------------

def test_a_row_offers_edit_and_the_trash_button_as_plain_links(admin_client, people):
    """SPEC §3: "Edit" and a trash button named "Delete" on every row; links that open pages
    of their own without JavaScript, which app.js sends through htmx (data-row-links) into
    the row, or for the popup where its answer says (HX-Retarget)."""
    ann = people["ann"]
    fragment = search(admin_client).text
    row = re.search(rf'<tr id="user-{ann.id}">.*?</tr>', fragment, re.S)[0]
    assert row.endswith(f'<td><a href="/users/{ann.id}/edit">Edit</a> '
                        f'<a href="/users/{ann.id}/delete" role="button">Delete</a></tr>')
    assert re.search(r'<tbody id="user-rows" data-row-links hx-target="closest tr" '
                     r'hx-swap="outerHTML"', fragment)
    popup = admin_client.get(f"/users/{ann.id}/delete", headers=HTMX)
    assert popup.headers["HX-Retarget"] == "#dialog-slot"
    assert popup.headers["HX-Reswap"] == "innerHTML"
    assert "HX-Retarget" not in admin_client.get(f"/users/{ann.id}/delete").headers


def test_change_password_and_activity_are_on_the_row_being_edited(admin_client, people):
    ann = people["ann"]
    row = admin_client.get(f"/users/{ann.id}/edit", headers=HTMX).text
    assert f'<a href="/users/{ann.id}/password"' in row
    assert f'<a href="/activity?person={ann.id}">View activity</a>' in row


def test_a_rows_roles_and_statuses_are_in_each_readers_language(admin_client, people):
    """The row's words are translated once a page, not once ever: Jinja works a filter with
    a constant argument out while compiling the template, in the first reader's language."""
    for language, words in (("en", "<td>Agent<td>"), ("id", "<td>Agen<td>"),
                            ("en", "<td>Agent<td>")):
        fragment = admin_client.get("/users", headers=HTMX | {"Accept-Language": language})
        assert words in fragment.text, language
    assert "<td>Aktif<td class=\"pr " in admin_client.get(
        "/users", headers=HTMX | {"Accept-Language": "id"}).text


def test_the_admins_own_row_has_a_disabled_trash_button_that_says_why(admin_client, admin,
                                                                      people):
    fragment = search(admin_client).text
    own = re.search(rf'<tr id="user-{admin.id}">.*?</tr>', fragment, re.S)[0]
    assert f"/users/{admin.id}/delete" not in own
    assert own.endswith('<button type="button" aria-disabled="true" '
                        'title="You cannot delete your own account">Delete</button></tr>')
    assert f'href="/users/{people["ann"].id}/delete"' in fragment


def test_a_page_of_25_rows_stays_under_10_kb(admin_client, factory, account, admin):
    """Issue 15: the fragment is what every search keystroke and page brings. Long values,
    in the longer language, with the pager and counts."""
    for number in range(40):
        factory.user(account, Role.AGENT, username=f"kartini.setyaningrum{number}",
                     first_name="Raden Ajeng", last_name="Kartini",
                     email=f"kartini.setyaningrum{number}@sumber-rejeki.co.id",
                     phone="+6281234567890")
    for language in ("en", "id"):
        fragment = admin_client.get("/users", headers=HTMX | {"Accept-Language": language})
        assert len(re.findall(r'<tr id="user-', fragment.text)) == 25
        assert len(fragment.data) < 10 * 1024, (language, len(fragment.data))


def test_a_listed_row_reads_as_the_row_of_one_user(admin_client, admin, factory, account):
    """The list renders its rows from plain columns (listing.ListedUser) with their words
    translated once a page; a single row (after an edit, on Cancel) from the User itself.
    Both must give the same markup, the admin's own row and a row without a division too."""
    others = [factory.user(account, Role.SUPERVISOR, username="zed", first_name="Zed",
                           last_name="<b>&amp;</b>", email="zed@x.io", phone="+628123"),
              factory.user(account, Role.ADMIN, username="ida", first_name="Ida")]
    rows_read = set()
    for language in ("en", "id"):
        headers = HTMX | {"Accept-Language": language}
        fragment = admin_client.get("/users", headers=headers).text
        rows_read.add(re.search(rf'<tr id="user-{admin.id}">.*?</tr>', fragment, re.S)[0])
        for user in [admin, *others]:
            listed = re.search(rf'<tr id="user-{user.id}">.*?</tr>', fragment, re.S)[0]
            alone = admin_client.get(f"/users/{user.id}", headers=headers).text.strip()
            assert listed == alone, (language, user.username)
    assert len(rows_read) == 2  # the words are the reader's: English, then Indonesian
    assert "<td>Zed &lt;b&gt;&amp;amp;&lt;/b&gt;<td>" in fragment
