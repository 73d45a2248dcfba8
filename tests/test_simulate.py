"""`flask simulate-chats`: its options refused with clear words, and real runs (a separate
process, the test database) that leave every chat in a consistent state, decided by the
allocator's rules."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from tests.conftest import on_postgresql
from webapp.chats import allocator
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import (
    Account,
    AgentWorkload,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Division,
    Presence,
    Role,
)
from webapp.presence import service as presence

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--rate", "fast", "'fast' is not a rate: write it like 5/s or 120/m."),
    ("--rate", "0/s", "'0/s' is out of range"),
    ("--rate", "5/d", "'5/d' is not a rate"),
    ("--rate", "1000/s", "at most 200 chats a second"),
    ("--rate", "-5/s", "'-5/s' is not a rate"),
    ("--for", "forever", "'forever' is not a duration: write it like 60s, 5m or 1h."),
    ("--for", "0s", "'0s' is out of range"),
    ("--for", "2d", "'2d' is not a duration"),
    ("--for", "25h", "at most 24h"),
    ("--chat-length", "soon", "'soon' is not a duration"),
])
def test_bad_options_are_refused_with_clear_words(runner, account, option, value, says):
    result = runner.invoke(args=["simulate-chats", "--account", "Acme", option, value])
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("name", "says"), [
    ("Nowhere", 'There is no account named "Nowhere".'),
    ("   ", "Account name must be 1–64 characters."),
])
def test_an_unknown_account_is_refused(runner, account, name, says):
    result = runner.invoke(args=["simulate-chats", "--account", name, "--for", "1s"])
    assert result.exit_code == 1 and says in result.output
    assert db.session.scalar(select(Chat.id)) is None


def test_rates_and_durations_in_their_units(runner, account):
    from webapp.simulate import Duration, Rate

    assert Rate().convert("120/m", None, None) == 2
    assert Rate().convert("2.5", None, None) == 2.5
    assert Rate().convert("3600/h", None, None) == 1
    assert Duration().convert("2m", None, None) == 120
    assert Duration().convert("90", None, None) == 90
    assert Duration().convert("1h", None, None) == 3600


# -- real runs ------------------------------------------------------------------------------------

def staffed(factory, account, agents=4, workload=3) -> list:
    """Two divisions serving channels, and Agents Online through the API in each."""
    sales = factory.division(account, "Sales")
    support = factory.division(account, "Support")
    with write_transaction():
        db.session.get(Division, sales.id).channels = ["whatsapp", "instagram"]
        db.session.get(Division, support.id).channels = ["livechat", "email"]
    made = []
    for number in range(agents):
        agent = factory.user(account, Role.AGENT, username=f"agent{number}",
                             division=sales if number % 2 else support)
        with write_transaction():
            db.session.add(AgentWorkload(user_id=agent.id, max_chats=workload))
        presence.set_presence_by_api(agent, Presence.ONLINE)
        made.append(agent)
    return made


def simulate(database_url: str, *arguments: str) -> tuple[int, str]:
    """Run it to its end: the exit status and what it printed."""
    with start(database_url, *arguments) as process:
        output = process.communicate(timeout=DEADLINE)[0]
    return process.returncode, output


def start(database_url: str, *arguments: str) -> subprocess.Popen:
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "simulate-test",
                        "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "simulate-chats", "--account", "Acme",
         "--seed", "7", *arguments],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process


def chats_and_decisions(account_id: int):
    db.session.rollback()
    chats = db.session.scalars(select(Chat).where(Chat.account_id == account_id)).all()
    decisions = db.session.scalars(select(ChatDecision).where(
        ChatDecision.account_id == account_id).order_by(ChatDecision.id)).all()
    return chats, decisions


def assert_consistent(account_id: int, workload: int) -> None:
    """Each chat in one state, as its last move says; nobody ever over their Workload (the
    decisions replayed in order); each chat's history starts with its arrival."""
    chats, decisions = chats_and_decisions(account_id)
    held: Counter = Counter()
    for decision in decisions:
        if decision.from_agent_id and decision.reason not in (DecisionReason.IDLE_FLAGGED,):
            held[decision.from_agent_id] -= 1
        if decision.to_agent_id:
            held[decision.to_agent_id] += 1
            assert held[decision.to_agent_id] <= workload
    for chat in chats:
        if chat.status != ChatStatus.RESOLVED:  # a resolved one may never have had an agent
            assert (chat.status == ChatStatus.QUEUED) == (chat.agent_id is None)
        history = [d for d in decisions if d.chat_id == chat.id]
        assert history[0].reason in (DecisionReason.ARRIVED, DecisionReason.AUTO,
                                     DecisionReason.CUSTOM)
        if chat.status == ChatStatus.RESOLVED:
            assert history[-1].reason == DecisionReason.RESOLVED
            assert [d.reason for d in history].count(DecisionReason.RESOLVED) == 1
        elif chat.status == ChatStatus.ASSIGNED:
            assert history[-1].to_agent_id == chat.agent_id
    assert held == Counter({agent: count for agent, count in Counter(
        chat.agent_id for chat in chats if chat.status == ChatStatus.ASSIGNED).items()})


def test_a_run_sends_chats_answers_and_resolves_them_all(factory, account, database_url):
    agents = staffed(factory, account)
    status, output = simulate(database_url, "--rate", "20/s", "--for", "2s",
                              "--chat-length", "1s")
    assert status == 0, output
    assert "Sending 20 chats a second to Acme for 2 s on whatsapp, instagram, email, livechat" \
        in output and "4 agents are Online" in output
    assert "open ones carry on until resolved" in output and "(done)" in output
    sent = int(output.split("Sent ")[1].split(" chats")[0])
    chats, decisions = chats_and_decisions(account.id)
    assert sent == len(chats) > 10
    assert {chat.status for chat in chats} == {ChatStatus.RESOLVED}  # wound down
    assert {chat.channel for chat in chats} <= {"whatsapp", "instagram", "livechat", "email"}
    assert all(chat.external_id.startswith("sim-") and " " in chat.customer_name
               for chat in chats)
    # More came than 12 places: some waited, and every agent took part.
    assert any(d.reason == DecisionReason.ARRIVED for d in decisions)
    assert {d.to_agent_id for d in decisions if d.to_agent_id} == {a.id for a in agents}
    assert all(d.actor_name == "simulate-chats" for d in decisions
               if d.reason in (DecisionReason.ARRIVED, DecisionReason.RESOLVED))
    assert_consistent(account.id, workload=3)


def test_leave_open_stops_on_time_and_leaves_a_consistent_state(factory, account, database_url):
    staffed(factory, account, agents=2, workload=2)
    status, output = simulate(database_url, "--rate", "10/s", "--for", "2s", "--leave-open")
    assert status == 0, output
    chats, _decisions = chats_and_decisions(account.id)
    statuses = Counter(chat.status for chat in chats)
    assert statuses[ChatStatus.ASSIGNED] == 4 and statuses[ChatStatus.QUEUED] > 0
    assert_consistent(account.id, workload=2)


def test_with_custom_allocation_it_plays_the_platform_choosing_an_agent(
        factory, account, database_url):
    staffed(factory, account, agents=2, workload=5)
    with write_transaction():
        db.session.execute(update(Account).where(Account.id == account.id).values(
            auto_allocation=False, custom_allocation=True))
    status, output = simulate(database_url, "--rate", "5/s", "--for", "1s", "--leave-open")
    assert status == 0, output
    chats, decisions = chats_and_decisions(account.id)
    assert chats and {d.reason for d in decisions} >= {DecisionReason.ARRIVED,
                                                       DecisionReason.CUSTOM}
    assert DecisionReason.AUTO not in {d.reason for d in decisions}
    assert_consistent(account.id, workload=5)


def test_sigterm_stops_a_run_and_says_what_is_left(factory, account, database_url):
    staffed(factory, account, agents=1, workload=1)
    with start(database_url, "--rate", "5/s", "--for", "10m") as process:
        deadline = time.monotonic() + DEADLINE
        while not chats_and_decisions(account.id)[0]:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=DEADLINE)[0]
    assert process.returncode == 0, output
    assert "Stopped;" in output and "Traceback" not in output
    assert_consistent(account.id, workload=1)
    assert allocator.roster(account.id)[0].load == 1


def test_with_nobody_online_it_says_so_and_the_waiting_customers_give_up_in_the_end(
        factory, account, database_url):
    status, output = simulate(database_url, "--rate", "10/s", "--for", "1s",
                              "--chat-length", "1s")
    assert status == 0, output
    assert "0 agents are Online" in output and "Nobody is Online" in output
    chats, decisions = chats_and_decisions(account.id)
    assert chats and {chat.status for chat in chats} == {ChatStatus.RESOLVED}
    assert {d.reason for d in decisions} == {DecisionReason.ARRIVED, DecisionReason.RESOLVED}
    assert_consistent(account.id, workload=5)


@contextmanager
def reads_blocked(database_url: str):
    """A database hiccup that even reads run into, until the block ends: the chats table
    locked by another transaction, so that reads fail after the app's lock_timeout."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        connection.execute(text("LOCK TABLE chats IN ACCESS EXCLUSIVE MODE"))
        yield
        connection.rollback()
    engine.dispose()


@pytest.mark.skipif(not on_postgresql(), reason="SQLite's readers never wait (WAL): a read "
                    "that fails needs PostgreSQL's table lock")
def test_a_database_hiccup_during_its_reads_is_reported_and_the_run_goes_on(
        factory, account, database_url):
    staffed(factory, account, agents=2, workload=5)
    db.session.rollback()
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "simulate-test",
                        "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as log:
        def output() -> str:
            log.seek(0)
            return log.read()

        def wait_for(condition) -> None:
            deadline = time.monotonic() + DEADLINE
            while not condition():
                assert time.monotonic() < deadline, output()
                time.sleep(0.1)

        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "simulate-chats", "--account",
             "Acme", "--seed", "7", "--rate", "1/m", "--for", "10m", "--chat-length", "2s"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for(lambda: "Ctrl-C stops" in output())
            with reads_blocked(database_url):
                wait_for(lambda: "failed a read" in output() or process.poll() is not None)
            assert process.poll() is None, output()
            reported = output().count(" s  sent ")
            wait_for(lambda: output().count(" s  sent ") > reported)  # it went on
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=DEADLINE)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        said = output()
    assert process.returncode == 0, said
    assert "Traceback" not in said and "Stopped;" in said
    assert_consistent(account.id, workload=5)
