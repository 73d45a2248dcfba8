"""`flask seed-demo`: realistic demo users, in bulk, in any account, run after run."""

import re
from datetime import timedelta

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from webapp.chats import allocator
from webapp.database import write_transaction
from webapp.demo import AWAY_PER_DIVISION, DIVISIONS, HISTORY_BATCH, ONLINE_PER_DIVISION
from webapp.extensions import db
from webapp.models import (
    Account,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Division,
    Presence,
    Role,
    Status,
    User,
    searchable_text,
    utcnow,
)
from webapp.presence.service import shown_presence
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


# -- ready for chats: channels, presence, a history -----------------------------------------------

def test_demo_divisions_serve_channels_and_an_admins_choice_stays(runner, factory, account):
    support = factory.division(account, "support")
    with write_transaction():
        db.session.get(Division, support.id).channels = ["line"]
    assert seed(runner, 20, "Acme", "--chats", "0").exit_code == 0
    channels = {division.name: division.channels for division in
                db.session.scalars(select(Division).where(Division.account_id == account.id))}
    assert channels["support"] == ["line"]  # chosen by an Admin: kept
    assert channels["Sales"] == ["whatsapp", "instagram"]
    assert channels["General"] == []
    assert all(channels[name] for name in DIVISIONS if name != "Support")


def test_some_agents_are_online_and_away_as_the_api_sets_it(runner):
    result = seed(runner, 400, "Demo", "--seed", "4", "--chats", "0")
    assert result.exit_code == 0, result.output
    assert "15 more Agents Online and 5 Away" in result.output
    later = utcnow() + timedelta(hours=3)  # nobody has a page open: API presence holds
    users = demo_users()
    shown = dict(db.session.execute(select(User.id, shown_presence(later))).all())
    for name in DIVISIONS:
        members = [user for user in users if user.division and user.division.name == name]
        online = [user for user in members if shown[user.id] == Presence.ONLINE]
        away = [user for user in members if shown[user.id] == Presence.AWAY]
        assert len(online) == ONLINE_PER_DIVISION and len(away) == AWAY_PER_DIVISION
        assert all(user.role == Role.AGENT and user.status == Status.ACTIVE
                   and user.presence_by_api for user in online + away)
    # Seeding again tops up to the same numbers: nobody more.
    again = seed(runner, 10, "Demo", "--chats", "0")
    assert "0 more Agents Online and 0 Away" in again.output


def test_the_history_is_resolved_chats_given_by_the_allocators_rules(runner):
    result = seed(runner, 300, "Demo", "--seed", "5", "--chats", "120")
    assert result.exit_code == 0, result.output
    assert "120 past chats" in result.output
    account = db.session.scalar(select(Account).where(Account.name == "Demo"))
    chats = db.session.scalars(select(Chat).where(Chat.account_id == account.id)).all()
    assert len(chats) == 120 and {chat.status for chat in chats} == {ChatStatus.RESOLVED}
    served = {channel for division in account.divisions for channel in division.channels}
    assert {chat.channel for chat in chats} <= served
    online = set(db.session.scalars(select(User.id).where(
        User.account_id == account.id, User.presence == Presence.ONLINE)))
    decisions = db.session.scalars(select(ChatDecision).where(
        ChatDecision.account_id == account.id)
        .order_by(ChatDecision.created_at, ChatDecision.id)).all()
    held: dict[int, int] = {}
    for decision in decisions:
        assert decision.created_at <= utcnow()
        if decision.reason == DecisionReason.AUTO:
            assert decision.to_agent_id in online and decision.candidates
            assert decision.candidates[0]["id"] == decision.to_agent_id  # the best one
            held[decision.to_agent_id] = held.get(decision.to_agent_id, 0) + 1
            assert held[decision.to_agent_id] <= account.default_workload  # never over
        elif decision.reason == DecisionReason.RESOLVED and decision.from_agent_id:
            held[decision.from_agent_id] -= 1
    for chat in chats:
        reasons = [decision.reason for decision in allocator.decisions_of(chat)]
        assert reasons in ([DecisionReason.AUTO, DecisionReason.RESOLVED],
                           [DecisionReason.ARRIVED, DecisionReason.AUTO,
                            DecisionReason.RESOLVED])
        assert chat.customer_name and chat.resolved_at >= chat.queued_at


def test_no_history_while_chats_wait_in_the_queue(runner, account, factory):
    # Nobody online yet: the chat waits; a history would hand it out at a past moment.
    allocator.receive_chat(account.id, channel="whatsapp", external_id="wa-1",
                           customer_name="Ani", division_id=None, actor=allocator.COMMAND_LINE)
    with write_transaction():
        db.session.execute(update(Account).where(Account.id == account.id)
                           .values(auto_allocation=False))
    result = seed(runner, 50, "Acme", "--chats", "30")
    assert result.exit_code == 0 and "0 past chats" in result.output
    assert db.session.scalar(select(func.count(Chat.id))) == 1


def test_the_history_is_written_in_short_transactions(runner):
    """seed-demo runs beside a serving app: the history must not be one long transaction
    under the allocation lock (on SQLite the only write lock), or every write waits."""
    commits = []

    def counted(session):
        commits.append(session)

    event.listen(Session, "after_commit", counted)
    try:
        assert seed(runner, 60, "Quiet", "--seed", "5", "--chats", "0").exit_code == 0
        without_history = len(commits)
        commits.clear()
        result = seed(runner, 60, "Busy", "--seed", "5", "--chats", "200")
        assert result.exit_code == 0, result.output
        assert "200 past chats" in result.output
    finally:
        event.remove(Session, "after_commit", counted)
    # 200 arrivals and 200 ends, at most HISTORY_BATCH of them per transaction.
    assert len(commits) - without_history >= 2 * 200 // HISTORY_BATCH
