"""`flask worker` as a real process beside the test, on the test database (SQLite or
PostgreSQL): the idle rule without anyone clicking, presence that lapsed, two workers at once,
a worker killed mid-run, a database that goes away, and stopping on a signal.

Time is driven through the database (a customer's wait or a page's last poll moved back),
never by sleeping through it; the test waits for the worker's effect with a generous
deadline and asserts what happened, never how long it took."""

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, make_url, select, text, update

from tests.conftest import PASSWORD, on_postgresql
from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.chats.allocator import Actor
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import (
    Account,
    ActorKind,
    AgentWorkload,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Presence,
    Role,
    User,
    utcnow,
)
from webapp.presence import service as presence

ROOT = Path(__file__).resolve().parent.parent
API = Actor(ActorKind.API, 1, "platform")
DEADLINE = 60  # seconds to wait for a worker's effect: a loaded machine is slow, never wrong


class Worker:
    def __init__(self, process: subprocess.Popen, log):
        self.process, self.log = process, log
        self.kept = ""  # the output, once the log file is closed

    def output(self) -> str:
        if self.log.closed:
            return self.kept
        self.log.seek(0)
        return self.log.read()

    def stop(self, signum=signal.SIGTERM) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)
        return self.process.wait(timeout=DEADLINE)


def worker_env(database_url: str) -> dict:
    return os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "worker-test",
                         "PYTHONUNBUFFERED": "1"}


@contextmanager
def worker(database_url: str, *arguments: str):
    """`flask worker --interval 0.1` running until the block ends (SIGTERM, then waited)."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.1",
             *arguments],
            cwd=ROOT, env=worker_env(database_url), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        running = Worker(process, log)
        try:
            wait_for(lambda: "Started" in running.output() or process.poll() is not None)
            assert process.poll() is None, running.output()
            yield running
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=DEADLINE)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            running.kept = running.output()


def run_once(database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"],
        cwd=ROOT, env=worker_env(database_url), capture_output=True, text=True,
        timeout=DEADLINE, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stderr


def wait_for(condition, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there")
        time.sleep(0.05)


def fresh(statement):
    """Read what the other processes committed: end this session's snapshot first."""
    db.session.rollback()
    return db.session.execute(statement)


def holder(chat_id: int) -> str | None:
    return fresh(select(User.username).join(Chat, Chat.agent_id == User.id)
                 .where(Chat.id == chat_id)).scalar()


def queued(account_id: int) -> int:
    return fresh(select(func.count(Chat.id)).where(
        Chat.account_id == account_id, Chat.status == ChatStatus.QUEUED)).scalar()


def set_account(account_id: int, **values) -> None:
    """Change the account's switches behind the allocator's back (no drain), so that only
    the worker can act on it."""
    with write_transaction():
        db.session.execute(update(Account).where(Account.id == account_id).values(**values))


def make_agent(factory, account, username, workload=None, **fields) -> User:
    """An Agent Online through the API: it holds however long a test runs."""
    agent = factory.user(account, Role.AGENT, username=username, **fields)
    if workload is not None:
        with write_transaction():
            db.session.add(AgentWorkload(user_id=agent.id, max_chats=workload))
    presence.set_presence_by_api(agent, Presence.ONLINE)
    return agent


def intake(account_id: int, external_id: str, channel="whatsapp") -> Chat:
    chat, _created = allocator.receive_chat(account_id, channel=channel,
                                            external_id=external_id, customer_name="Ani",
                                            division_id=None, actor=API)
    return chat


def queue_chats(account_id: int, count: int, prefix: str) -> None:
    """Waiting chats written in bulk, as intake leaves them when nothing assigns them."""
    now = utcnow()
    with write_transaction():
        db.session.execute(insert(Chat), [
            {"account_id": account_id, "channel": "whatsapp", "external_id": f"{prefix}-{n}",
             "customer_name": f"Customer {n}", "status": ChatStatus.QUEUED, "queued_at": now}
            for n in range(count)])


def customer_waited(chat_ids, minutes: float) -> None:
    """The customers of these chats wrote `minutes` ago and nobody answered."""
    with write_transaction():
        db.session.execute(update(Chat).where(Chat.id.in_(chat_ids)).values(
            customer_waiting_since=utcnow() - timedelta(minutes=minutes)))


def decision_counts(account_id: int) -> Counter:
    """How many decisions of each reason every chat has: (chat id, reason) -> count."""
    rows = fresh(select(ChatDecision.chat_id, ChatDecision.reason).where(
        ChatDecision.account_id == account_id)).all()
    return Counter(rows)


def assert_consistent(account_id: int) -> None:
    """Every chat in exactly one state and held as its last decision says; nobody over
    their Workload."""
    chats = fresh(select(Chat).where(Chat.account_id == account_id)).scalars().all()
    account = db.session.get(Account, account_id)
    loads = Counter(chat.agent_id for chat in chats if chat.status == ChatStatus.ASSIGNED)
    workloads = dict(db.session.execute(
        select(AgentWorkload.user_id, AgentWorkload.max_chats)).all())
    for agent_id, load in loads.items():
        assert load <= workloads.get(agent_id, account.default_workload)
    for chat in chats:
        assert (chat.status == ChatStatus.QUEUED) == (chat.agent_id is None)
        history = allocator.decisions_of(chat)
        moves = [d for d in history if d.reason not in (DecisionReason.ARRIVED,
                                                        DecisionReason.IDLE_FLAGGED)]
        if chat.status == ChatStatus.ASSIGNED:
            assert moves and moves[-1].to_agent_id == chat.agent_id
        elif moves:
            assert moves[-1].to_agent_id is None


# -- the idle rule --------------------------------------------------------------------------------

def test_the_worker_hands_an_idle_chat_on_then_flags_it_after_the_set_tries(
        account, factory, admin, database_url):
    agents.save_workload_settings(account.id, {"default_workload": 5, "idle_rule_on": True,
                                               "idle_minutes": 1, "idle_tries": 2}, admin)
    make_agent(factory, account, "budi")
    chat = intake(account.id, "wa-1")
    make_agent(factory, account, "sari"), make_agent(factory, account, "tono")
    allocator.note_message(account.id, chat.id, allocator.CUSTOMER, API)
    assert holder(chat.id) == "budi"
    with worker(database_url) as running:
        customer_waited([chat.id], 0.5)  # half the idle period: not yet
        customer_waited([chat.id], 1.01)
        wait_for(lambda: holder(chat.id) != "budi")
        assert holder(chat.id) == "sari"  # never tried, least loaded, lower id than tono
        customer_waited([chat.id], 1.01)
        wait_for(lambda: holder(chat.id) != "sari")
        assert holder(chat.id) == "tono"  # budi and sari were tried
        customer_waited([chat.id], 1.01)  # the two tries are used: it stays, flagged
        wait_for(lambda: fresh(select(Chat.idle_flagged).where(Chat.id == chat.id)).scalar())
        assert running.stop() == 0
    reasons = [(d.reason, d.from_name, d.to_name) for d in allocator.decisions_of(
        fresh(select(Chat).where(Chat.id == chat.id)).scalar())]
    assert reasons == [(DecisionReason.AUTO, "", "budi"),
                       (DecisionReason.IDLE_RULE, "budi", "sari"),
                       (DecisionReason.IDLE_RULE, "sari", "tono"),
                       (DecisionReason.IDLE_FLAGGED, "tono", "")]
    log = running.output()
    assert f"chat {chat.id}: idle rule, budi -> sari" in log
    assert f"chat {chat.id}: idle flagged, tono -> flagged" in log
    assert "Stopped" in log


# -- presence that lapsed -----------------------------------------------------------------------

def test_presence_set_in_the_browser_lapses_and_the_worker_gives_that_agent_nothing(
        account, factory, client, database_url):
    lapsed = factory.user(account, Role.AGENT, username="lapsed")
    client.post("/login", data={"username": "lapsed", "password": PASSWORD})
    assert client.post("/presence", data={"presence": "online"}).status_code == 302
    assert presence.presence_of(lapsed.id) == Presence.ONLINE
    set_account(account.id, auto_allocation=False)
    for number in range(3):
        intake(account.id, f"wa-{number}")
    # The laptop closed: no page has polled for two minutes and a second.
    with write_transaction():
        db.session.execute(update(User).where(User.id == lapsed.id).values(
            presence_seen_at=utcnow() - timedelta(minutes=2, seconds=1)))
    assert presence.presence_of(lapsed.id) == Presence.OFFLINE
    set_account(account.id, auto_allocation=True)
    run_once(database_url)
    assert queued(account.id) == 3  # nothing given to the lapsed agent
    # An agent whose presence holds (come Online while Auto was off) gets them on the next
    # step, and the lapsed one still nothing.
    set_account(account.id, auto_allocation=False)
    make_agent(factory, account, "fresh", workload=2)
    set_account(account.id, auto_allocation=True)
    log = run_once(database_url)
    assert queued(account.id) == 1
    holders = fresh(select(User.username).join(Chat, Chat.agent_id == User.id)).scalars()
    assert list(holders) == ["fresh", "fresh"]
    assert log.count("auto, queue -> fresh") == 2 and "lapsed" not in log


def test_the_worker_drains_what_nothing_else_would(account, factory, database_url):
    make_agent(factory, account, "budi", workload=2)
    set_account(account.id, auto_allocation=False)
    chats = [intake(account.id, f"wa-{number}") for number in range(3)]
    set_account(account.id, auto_allocation=True)  # behind the allocator's back: no drain
    assert queued(account.id) == 3
    log = run_once(database_url)
    assert queued(account.id) == 1 and holder(chats[0].id) == holder(chats[1].id) == "budi"
    assert f"chat {chats[0].id}: auto, queue -> budi" in log
    assert f"chat {chats[1].id}: auto, queue -> budi" in log
    assert f"chat {chats[2].id}:" not in log
    assert run_once(database_url).count("->") == 0  # nobody has room: nothing to say


# -- two workers, a killed worker -----------------------------------------------------------------

def test_two_workers_at_once_change_nothing_twice(account, factory, admin, database_url):
    agents.save_workload_settings(account.id, {"default_workload": 3, "idle_rule_on": True,
                                               "idle_minutes": 1, "idle_tries": 3}, admin)
    for number in range(10):
        make_agent(factory, account, f"agent{number}")
    held = [intake(account.id, f"held-{number}").id for number in range(10)]
    for chat_id in held:
        allocator.note_message(account.id, chat_id, allocator.CUSTOMER, API)
    set_account(account.id, auto_allocation=False)
    queue_chats(account.id, 60, "queued")
    customer_waited(held, 2)
    with worker(database_url) as first, worker(database_url) as second:
        set_account(account.id, auto_allocation=True)
        # 30 places, 10 taken: 20 chats given, 40 wait; each held chat handed on once.
        wait_for(lambda: queued(account.id) == 40 and fresh(select(func.count(Chat.id)).where(
            Chat.id.in_(held), Chat.idle_handovers == 1)).scalar() == 10)
        assert first.stop() == 0 and second.stop() == 0
    counts = decision_counts(account.id)
    assert all(count == 1 for count in counts.values()), counts
    by_reason = Counter(reason for (_chat, reason) in counts.elements())
    assert by_reason[DecisionReason.IDLE_RULE] == 10
    assert by_reason[DecisionReason.AUTO] == 10 + 20
    assert_consistent(account.id)
    # Both logs together name each move once.
    lines = [line for line in (first.output() + second.output()).splitlines() if "->" in line]
    moved = [line.split("chat ", 1)[1].split(":", 1)[0] for line in lines]
    assert len(moved) == len(set(moved)) == 10 + 20


def test_a_worker_killed_mid_run_and_restarted_loses_nothing(factory, database_url):
    accounts = [factory.account(f"Shop {number}") for number in range(5)]
    for account in accounts:
        for number in range(4):
            make_agent(factory, account, f"{account.id}-agent{number}", workload=40)
        set_account(account.id, auto_allocation=False)
        queue_chats(account.id, 200, "wa")
    with worker(database_url) as running:
        for account in accounts:
            set_account(account.id, auto_allocation=True)
        # The worker drains the accounts in turn: kill it once the first is done, while
        # it works on the others.
        wait_for(lambda: queued(accounts[0].id) < 200)
        running.process.kill()
        running.process.wait()
    for account in accounts:
        assert_consistent(account.id)  # a step either committed whole or not at all
    with worker(database_url) as restarted:
        wait_for(lambda: all(queued(account.id) == 40 for account in accounts))
        assert restarted.stop() == 0
    for account in accounts:
        assert_consistent(account.id)
        counts = decision_counts(account.id)
        assert set(counts.values()) == {1}  # no chat given twice
        assert sum(1 for (_chat, reason) in counts if reason == DecisionReason.AUTO) == 160


# -- the database away, signals -------------------------------------------------------------------

def test_an_unreachable_postgresql_is_logged_and_tried_again_without_crashing():
    from tests.live import free_port

    url = f"postgresql+psycopg://oam_test:oam_test@127.0.0.1:{free_port()}/nowhere"
    with worker(url) as running:
        wait_for(lambda: running.output().count("trying again") >= 2)
        assert running.process.poll() is None
        assert running.stop() == 0
    assert "busy or unreachable" in running.output() and "Traceback" not in running.output()


def test_once_with_the_database_away_exits_1_instead_of_trying_for_ever(tmp_path):
    """`--once` is for cron or a check: a step that failed is a failure to report at once."""
    url = f"sqlite:///{tmp_path / 'not-there' / 'app.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"],
        cwd=ROOT, env=worker_env(url), capture_output=True, text=True, timeout=DEADLINE,
        check=False)
    assert result.returncode == 1, result.stderr
    assert "busy or unreachable" in result.stderr and "trying again" not in result.stderr


@contextmanager
def changes_refused(account_id: int):
    """Bad data of one account, as the database sees it: every change to one of its chats
    is refused (a trigger) until the block ends."""
    if on_postgresql():
        with write_transaction():
            db.session.execute(text(
                "CREATE FUNCTION refuse_chat_change() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'this chat cannot change'; END $$ LANGUAGE plpgsql"))
            db.session.execute(text(
                "CREATE TRIGGER refuse_chat_change BEFORE UPDATE ON chats FOR EACH ROW "
                f"WHEN (OLD.account_id = {int(account_id)}) "
                "EXECUTE FUNCTION refuse_chat_change()"))
        yield
        with write_transaction():
            db.session.execute(text("DROP TRIGGER refuse_chat_change ON chats"))
            db.session.execute(text("DROP FUNCTION refuse_chat_change()"))
    else:
        with write_transaction():
            db.session.execute(text(
                "CREATE TRIGGER refuse_chat_change BEFORE UPDATE ON chats "
                f"WHEN OLD.account_id = {int(account_id)} "
                "BEGIN SELECT RAISE(ABORT, 'this chat cannot change'); END"))
        yield
        with write_transaction():
            db.session.execute(text("DROP TRIGGER refuse_chat_change"))


def test_an_account_whose_step_keeps_failing_does_not_starve_the_ones_after_it(
        factory, database_url):
    broken, served = factory.account("Broken shop"), factory.account("Served shop")
    assert broken.id < served.id  # the broken one comes first in every step
    for account in (broken, served):
        make_agent(factory, account, f"{account.id}-budi")
        set_account(account.id, auto_allocation=False)
        intake(account.id, "wa-1")
    refusal = ExitStack()
    refusal.enter_context(changes_refused(broken.id))
    with refusal:
        set_account(broken.id, auto_allocation=True)
        set_account(served.id, auto_allocation=True)
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"],
            cwd=ROOT, env=worker_env(database_url), capture_output=True, text=True,
            timeout=DEADLINE, check=False)
        assert result.returncode == 1, result.stderr  # one account failed: cron is told
        assert f"account {broken.id}: drain_queue failed" in result.stderr
        assert queued(served.id) == 0 and queued(broken.id) == 1
        with worker(database_url) as running:  # the loop tries the broken one every step
            wait_for(lambda: running.output().count(
                f"account {broken.id}: drain_queue failed") >= 2)
            assert running.process.poll() is None
            refusal.close()
            wait_for(lambda: queued(broken.id) == 0)  # it can change: the next step serves it
            assert running.stop() == 0


def test_a_database_that_is_away_is_logged_and_waited_for(tmp_path):
    """A database that cannot be opened (here a SQLite file in a folder that is not there
    yet) is logged and tried again; once it is there the worker goes on."""
    folder = tmp_path / "later"
    url = f"sqlite:///{folder / 'app.sqlite3'}"
    with worker(url) as running:
        wait_for(lambda: "trying again" in running.output())
        folder.mkdir()
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=worker_env(url), capture_output=True, check=True,
                       timeout=DEADLINE)
        wait_for(lambda: "The database answers again" in running.output())
        assert running.process.poll() is None
        assert running.stop(signal.SIGINT) == 0
    assert "Stopped" in running.output()


@contextmanager
def allocation_lock_held(database_url: str, account_id: int):
    """Another process's long write: SQLite's write lock, or PostgreSQL's allocation lock
    of the account, held until the block ends."""
    if on_postgresql():
        engine = create_engine(database_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:space, :account)"),
                               {"space": allocator.ADVISORY_LOCK_SPACE, "account": account_id})
            yield
            connection.rollback()
        engine.dispose()
    else:
        connection = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.rollback()
        connection.close()


def test_a_busy_database_is_logged_and_the_step_tried_again(account, factory, database_url):
    make_agent(factory, account, "budi")
    set_account(account.id, auto_allocation=False)
    intake(account.id, "wa-1")
    set_account(account.id, auto_allocation=True)
    db.session.rollback()
    lock = ExitStack()
    lock.enter_context(allocation_lock_held(database_url, account.id))  # before its first step
    with lock, worker(database_url) as running:
        wait_for(lambda: "busy or unreachable" in running.output())
        assert queued(account.id) == 1
        lock.close()
        wait_for(lambda: queued(account.id) == 0)
        wait_for(lambda: "The database answers again" in running.output())
        assert running.stop() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_worker_cleanly(account, database_url, signum):
    with worker(database_url) as running:
        assert running.stop(signum) == 0
    log = running.output()
    assert f"Stopping after the current step ({signal.Signals(signum).name})" in log
    assert "Stopped after" in log and "Traceback" not in log
