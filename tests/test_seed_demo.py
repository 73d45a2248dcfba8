"""`flask seed-demo`: realistic demo users, in bulk, in any account, run after run."""

import re

from sqlalchemy import func, select

from webapp.demo import DIVISIONS
from webapp.extensions import db
from webapp.models import Account, Role, User, searchable_text
from webapp.users import listing


def seed(runner, count=60, account="Demo", *extra):
    return runner.invoke(args=["seed-demo", "--account", account, "--users", str(count),
                               *extra])


def demo_users(name="Demo") -> list[User]:
    account = db.session.scalar(select(Account).where(Account.name == name))
    return list(db.session.scalars(select(User).where(User.account_id == account.id)))


def test_seed_demo_adds_realistic_users_and_divisions(runner):
    result = seed(runner, 60, "Demo", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Added 60 demo users to account Demo" in result.output
    users = demo_users()
    assert len(users) == 60
    divisions = {division.name for division in users[0].account.divisions}
    assert divisions == {"General", *DIVISIONS}
    assert {user.role for user in users} >= {Role.AGENT, Role.SUPERVISOR}
    for user in users:
        assert user.first_name and user.last_name and re.fullmatch(r"[a-z0-9.]+", user.username)
        assert user.email == user.email.lower() and "@" in user.email
        assert user.phone == "" or re.fullmatch(r"\+\d{8,15}", user.phone)
        assert (user.division_id is None) == (user.role == Role.ADMIN)
        assert user.search_text == searchable_text(user)  # the model's own rule


def test_every_demo_user_shares_one_hash_of_an_unknown_password(runner):
    seed(runner, 5)
    users = demo_users()
    assert len({user.password_hash for user in users}) == 1
    assert not users[0].check_password("")


def test_runs_never_clash_across_accounts_and_runs(runner, account):
    for name in ("Demo", "Demo", "Acme"):
        assert seed(runner, 40, name).exit_code == 0
    names = db.session.scalars(select(func.lower(User.username))).all()
    emails = db.session.scalars(select(User.email)).all()
    assert len(names) == len(set(names)) == 120 and len(emails) == len(set(emails))


def test_demo_users_are_found_by_search(runner):
    seed(runner, 30)
    user = demo_users()[7]
    page = listing.list_users(user.account_id, user.username)
    assert [found.id for found in page.items] == [user.id]


def test_a_bad_account_name_writes_nothing(runner):
    result = seed(runner, 5, "   ")
    assert result.exit_code == 1 and "Account name must be" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0
