"""The users list: search, role filter, paging, empty state (spec §5)."""

import re

import pytest

from tests.conftest import HTMX
from webapp.models import Role


def row_usernames(html: str) -> list[str]:
    rows = re.findall(r'<tr id="user-\d+">\s*<td>.*?</td>\s*<td>(.*?)</td>', html, re.S)
    return rows


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


def test_page_has_all_role_filter_and_search_box(admin_client):
    page = admin_client.get("/users").text
    assert '<option value="">All role</option>' in page
    assert 'aria-label="Search"' in page and 'hx-push-url="true"' in page
    assert "input changed delay:250ms" in page


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
        assert "Showing 51–51 of 51 users" in last.text
        assert "Page 3 of 3" in last.text and 'rel="next"' not in last.text

    def test_pages_past_the_end_or_below_one_are_clamped(self, admin_client, many):
        assert row_usernames(search(admin_client, page=99).text) == ["boss"]
        assert row_usernames(search(admin_client, page=0).text)[0] == "agent50"
        assert row_usernames(search(admin_client, page="x").text)[0] == "agent50"

    def test_exactly_one_full_page_has_no_pager(self, admin_client, factory, account, admin):
        for n in range(24):
            factory.user(account, Role.AGENT, username=f"agent{n:02}")
        response = search(admin_client)
        assert len(row_usernames(response.text)) == 25
        assert 'aria-label="Pages"' not in response.text

    def test_links_keep_the_query(self, admin_client, many):
        first = search(admin_client, q="agent", role="Agent", page=1)
        assert 'href="/users?page=2&amp;q=agent&amp;role=Agent"' in first.text
        second = search(admin_client, q="agent", role="Agent", page=2)
        assert 'href="/users?page=1&amp;q=agent&amp;role=Agent"' in second.text
