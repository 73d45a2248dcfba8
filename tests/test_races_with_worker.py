"""The allocator's races with everything that moves chats running at once, as in production:
the app under gunicorn (several workers and threads, tests/live.py) and a real `flask worker`
process (tests/test_worker.py's, a step every 0.1 s) on the same database, while chats pour
in through the API, an Admin disables an agent through the users page, and twenty Agents
click Get New Chat at the same moment. Customers are made to have waited past the idle
period at the very moment the race is let go, so the worker's next step (its idle rule, and
the drain that follows it) takes the account's allocation lock among the race's own
transactions: handing chats to the agent being disabled, or to the Agents clicking, while
they click. (Where exactly it lands is up to the machine and never asserted; the decision
log of most runs shows it in the thick of the race.)

Whatever interleaving the database lets happen, replayed from the decision log afterwards:
never over a Workload, first come first served, every chat in one state and held as its
last decision says, one giving decision where one chat was raced for, no 5xx, no deadlock
or traceback in gunicorn's or the worker's log, and the worker still running (it exits 0 on
SIGTERM when the file is done)."""

import http.client
import itertools
import json
import time
import urllib.parse
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests import live
from tests.conftest import FAST_HASH, PASSWORD, POSTGRESQL_URL, reset_postgresql
from tests.test_allocator_races import GIVING, Scene
from tests.test_worker import API, assert_consistent, wait_for, worker
from webapp import create_app
from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.integrations.tokens import create_token
from webapp.models import (
    Account,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Presence,
    Role,
    Status,
    User,
    utcnow,
)
from webapp.presence import service as presence

INTAKES = 30
TAKERS = 20
IDLE_CHATS = 30  # held by two agents whose customers all wait past the idle period at once
# Half the worker's step (--interval 0.1, tests/test_worker.py): Auto switched on this long
# before the clicks is seen by the worker's next step about when the clicks land, so either
# may get to the waiting chat first (both happen; neither is asserted).
AUTO_LEAD = 0.05


# -- what runs in the other processes (top level, so that process pools can run it) ------------

def customers_waited_at(database_url: str, chat_ids: list[int], start_at: float) -> str:
    """At `start_at`, make the customers of these chats have waited two idle periods (one
    minute each) for an answer: the worker's next step hands the chats on."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        db.session.execute(select(1))  # connected before the start
        db.session.rollback()
        while time.time() < start_at:
            time.sleep(0.001)
        with write_transaction():
            db.session.execute(update(Chat).where(Chat.id.in_(chat_ids)).values(
                customer_waiting_since=utcnow() - timedelta(minutes=2)))
        db.session.remove()
        db.engine.dispose()
    return "waited"


def auto_allocation_on_at(database_url: str, account_id: int, lead: float,
                          start_at: float) -> str:
    """`lead` seconds before `start_at`, switch Auto agent allocation on behind the
    allocator's back (nothing drains: only the worker's next step can act on it)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        db.session.execute(select(1))  # connected before the start
        db.session.rollback()
        while time.time() < start_at - lead:
            time.sleep(0.001)
        with write_transaction():
            db.session.execute(update(Account).where(Account.id == account_id)
                               .values(auto_allocation=True))
        db.session.remove()
        db.engine.dispose()
    return "switched"


def click_at(url: str, path: str, cookie: str, token: str, start_at: float):
    """Click a button of a page at `start_at`: POST its form (just the CSRF token) as htmx
    does. (status, the toast's message or "", body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.connect()  # connected before the start, so the clicks land together
    body = urllib.parse.urlencode({"csrf_token": token})
    while time.time() < start_at:
        time.sleep(0.001)
    connection.request("POST", path, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
        "X-CSRFToken": token, "HX-Request": "true", "Accept-Language": "en"})
    response = connection.getresponse()
    events = json.loads(response.getheader("HX-Trigger") or "{}")
    result = (response.status, (events.get("toast") or {}).get("message", ""),
              response.read().decode())
    connection.close()
    return result


# -- the test's side ----------------------------------------------------------------------------

class Together:
    """The two processes the file runs beside the test: gunicorn and the worker."""

    def __init__(self, server: live.Server, worker_process):
        self.server, self.worker = server, worker_process


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One gunicorn and one worker for the whole file, on one database; each test has an
    account of its own on it. The worker must still be running at the end, and stop cleanly
    (exit status 0) on SIGTERM."""
    if POSTGRESQL_URL:
        reset_postgresql(POSTGRESQL_URL)
        url = POSTGRESQL_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('worker-races') / 'races.sqlite3'}"
    with live.gunicorn(url) as server, worker(url) as running:
        yield Together(server, running)
        assert running.process.poll() is None, running.output()[-3000:]
        assert running.stop() == 0, running.output()[-3000:]
    assert "Stopped after" in running.kept and "Traceback" not in running.kept


races = itertools.count(1)


@pytest.fixture
def scene(served):
    app = create_app({"SQLALCHEMY_DATABASE_URI": served.server.env["DATABASE_URL"],
                      "SECRET_KEY": "race", "PASSWORD_HASH_METHOD": FAST_HASH})
    with app.app_context():
        name = f"wrace{next(races)}"
        with write_transaction():
            account = Account.create(f"Worker race {name}")
        admin = make_user(account.id, Role.ADMIN, f"{name}boss")
        _row, token = create_token(account.id, "races", None)
        yield WorkerScene(served.server, app, account, admin, token, name, served.worker)
        db.session.remove()
        db.engine.dispose()


def make_user(account_id: int, role: Role, username: str, division_id: int | None = None
              ) -> User:
    """A user written straight in the database, in a write transaction: the worker writes
    beside the test, and on SQLite a plain transaction that read before writing fails at
    once when another wrote meanwhile (tests.conftest.Factory's does), where BEGIN
    IMMEDIATE waits its turn."""
    with write_transaction():
        user = User(account_id=account_id, username=username,
                    email=f"{username}@example.com", first_name=username.capitalize(),
                    last_name="Tester", role=role, division_id=division_id)
        user.set_password(PASSWORD, FAST_HASH)
        db.session.add(user)
    return user


class WorkerScene(Scene):
    """test_allocator_races's scene, with the worker running beside gunicorn."""

    def __init__(self, server, app, account, admin, token, name, worker_process):
        super().__init__(server, app, account, admin, token, name)
        self.worker = worker_process
        self.worker_log_before = len(worker_process.output())

    def agent(self, username: str, workload: int | None = None, division=None) -> User:
        """An Agent Online through the API (no lapse, however long the test takes)."""
        division_id = division.id if division else self.account.divisions[0].id
        agent = make_user(self.account_id, Role.AGENT, self.name + username, division_id)
        if workload is not None:
            agents.set_agent_workload(agent, workload, self.admin)
        presence.set_presence_by_api(agent, Presence.ONLINE)
        return agent

    def idle_rule(self, default_workload: int) -> None:
        agents.save_workload_settings(self.account_id, {
            "default_workload": default_workload, "idle_rule_on": True, "idle_minutes": 1,
            "idle_tries": 3}, self.admin)
        db.session.expire_all()

    def customer_writes(self, chat_ids: list[int]) -> None:
        for chat_id in chat_ids:
            allocator.note_message(self.account_id, chat_id, allocator.CUSTOMER, API)

    # Read afresh: end the session's read transaction first (a SQLite reader keeps its
    # snapshot until then), so what the worker committed meanwhile is seen.
    def chats(self) -> list[Chat]:
        db.session.rollback()
        return super().chats()

    def decisions(self) -> list[ChatDecision]:
        db.session.rollback()
        return list(db.session.scalars(select(ChatDecision).where(
            ChatDecision.account_id == self.account_id).order_by(ChatDecision.id)))

    def count(self, reason: DecisionReason) -> int:
        return sum(decision.reason == reason for decision in self.decisions())

    def assert_first_come_first_served(self) -> None:
        """Replayed from the decision log (one division, one channel: anyone with room may
        take any waiting chat): a chat given from the queue was the oldest waiting one, a
        new chat was given at once only when none waited, and what waits now is what the
        log leaves waiting, in arrival order."""
        waiting: set[int] = set()
        seen: set[int] = set()
        for decision in self.decisions():
            chat = decision.chat_id
            if decision.reason == DecisionReason.ARRIVED or (
                    decision.reason == DecisionReason.AGENT_LEFT
                    and decision.to_agent_id is None):
                waiting.add(chat)
            elif decision.reason in GIVING:
                if chat in waiting:
                    if decision.reason in (DecisionReason.AUTO, DecisionReason.TAKEOVER):
                        assert chat == min(waiting), (decision.id, sorted(waiting))
                    waiting.discard(chat)
                elif chat not in seen:
                    assert not waiting, (decision.id, sorted(waiting))
            seen.add(chat)
        queued = [chat for chat in self.chats() if chat.status == ChatStatus.QUEUED]
        assert sorted(waiting) == [chat.id for chat in queued]
        assert [chat.queued_at for chat in queued] == sorted(chat.queued_at for chat in queued)

    def assert_no_room_while_chats_wait(self, agent_ids: list[int]) -> None:
        """Nothing waits that one of these (Online) agents has room for."""
        chats = self.chats()
        if any(chat.status == ChatStatus.QUEUED for chat in chats):
            for agent_id in agent_ids:
                held = sum(chat.agent_id == agent_id and chat.status == ChatStatus.ASSIGNED
                           for chat in chats)
                assert held == self.workload(agent_id), agent_id

    def assert_no_errors_anywhere(self) -> None:
        self.assert_no_server_errors()
        assert self.worker.process.poll() is None, self.worker.output()[-3000:]
        log = self.worker.output()[self.worker_log_before:]
        for sign in ("Traceback", "deadlock", "failed", "busy or unreachable"):
            assert sign not in log, log[-3000:]


@pytest.mark.parametrize("trial", range(2))
def test_intakes_racing_an_agent_being_disabled_while_the_worker_runs(scene, trial):
    """30 intakes through the API, the Admin disabling an agent through the users page, and
    the worker's idle rule (every held chat's customer waits past the idle period at that
    moment) and drain, all let go together. The idle rule likes to hand chats to the agent
    being disabled (the least loaded), so it races the disable for the same agent."""
    scene.idle_rule(default_workload=4)
    leaving = scene.agent("leaving", workload=10).id
    staying = [scene.agent(f"stays{n}").id for n in range(3)]
    for number in range(4):
        allocator.receive_chat(scene.account_id, channel="whatsapp",
                               external_id=f"early-{number}", customer_name="Ani",
                               division_id=None, actor=API)
    held = [chat.id for chat in scene.chats()]
    scene.customer_writes(held)
    assert {chat.agent_id for chat in scene.chats()} == {leaving, *staying}
    calls = [scene.intake(f"race-{n}") for n in range(INTAKES)]
    disabling = INTAKES // 2 if trial else 0  # the disable among the intakes, or first
    calls.insert(disabling, scene.disabling(leaving))
    calls.append((customers_waited_at, scene.server.env["DATABASE_URL"], held))

    answers = scene.all_at_once(calls)

    assert answers.pop() == "waited"
    statuses = [status for status, _ in answers]
    assert statuses.pop(disabling) == 200, answers[disabling]
    assert statuses == [201] * INTAKES, answers
    db.session.rollback()
    assert db.session.get(User, leaving).status == Status.DISABLED
    chats = scene.chats()
    assert len(chats) == 4 + INTAKES
    assert not [chat.id for chat in chats if chat.agent_id == leaving
                and chat.status == ChatStatus.ASSIGNED]
    assert {chat.agent_id for chat in chats if chat.status == ChatStatus.ASSIGNED} <= set(
        staying)
    assert_consistent(scene.account_id)  # one state each, held as its last decision says
    scene.assert_never_over_capacity()
    scene.assert_first_come_first_served()
    # The team left is full and the rest waits: the queue has drained as far as it can.
    scene.assert_no_room_while_chats_wait(staying)
    assert sum(chat.status == ChatStatus.ASSIGNED for chat in scene.chats()) == sum(
        scene.workload(agent) for agent in staying)
    scene.assert_no_errors_anywhere()


@pytest.mark.parametrize("worker_may_drain", [False, True], ids=["auto-off", "auto-on"])
def test_twenty_get_new_chat_clicks_on_the_last_waiting_chat_while_the_worker_runs(
        scene, worker_may_drain):
    """Twenty Agents, each logged in through the login page with a session of their own,
    click Get New Chat at the same moment on the one waiting chat, while the worker's idle
    rule hands 30 chats on to those very Agents under the same allocation lock (their
    customers wait past the idle period at that moment).

    auto-off: Auto agent allocation is off, so the worker cannot give the waiting chat away
    first and make the race vacuous: it can only be taken. Exactly one Agent gets it, the
    nineteen others are told no chat waits (200, never an error).
    auto-on: Auto is switched on behind the allocator's back just before the clicks, so the
    worker's next step (its drain, or the drain after its idle rule) races the clicks for
    the very chat: either one click gets it and the worker finds it gone, or the worker
    gives it to one of the Agents and every click is told none waits; never both, never two.

    Without the allocation lock this fails (tried on a copy of the tree with the lock edited
    out): on PostgreSQL (READ COMMITTED) several takers' transactions read the chat as
    waiting before any of them writes; each later UPDATE waits for the earlier one's row
    lock and then overwrites it: five or six TAKEOVER decisions for the one chat, as many
    "New chat" answers. On SQLite the lock is BEGIN IMMEDIATE (webapp.database): with a
    plain BEGIN, a writer whose snapshot went stale fails at once ("database is locked")
    and the clicks are answered 503. The intake race fails as plainly without it (chats
    left with the disabled agent, an agent past their Workload)."""
    scene.idle_rule(default_workload=4)
    holders = [scene.agent(f"holder{n}", workload=IDLE_CHATS // 2).id for n in range(2)]
    for number in range(IDLE_CHATS):
        allocator.receive_chat(scene.account_id, channel="whatsapp",
                               external_id=f"held-{number}", customer_name="Budi",
                               division_id=None, actor=API)
    held = [chat.id for chat in scene.chats()]
    assert {chat.agent_id for chat in scene.chats()} == set(holders)
    scene.customer_writes(held)
    scene.switches(auto_allocation=False, agent_can_take_over=True)
    takers = [scene.agent(f"taker{n}").id for n in range(TAKERS)]
    last, _created = allocator.receive_chat(scene.account_id, channel="whatsapp",
                                            external_id="wa-last", customer_name="Ani",
                                            division_id=None, actor=API)
    last_id = last.id
    assert db.session.get(Chat, last_id).status == ChatStatus.QUEUED
    browsers = []
    for taker in takers:
        browser = live.Browser(scene.server.url)
        browser.login(db.session.get(User, taker).username, PASSWORD)
        assert browser.request("GET", "/chats").status == 200
        browsers.append(browser)
    calls = [(click_at, scene.server.url, "/chats/next", browser.cookie_header(),
              browser.csrf_token) for browser in browsers]
    calls.append((customers_waited_at, scene.server.env["DATABASE_URL"], held))
    if worker_may_drain:
        calls.append((auto_allocation_on_at, scene.server.env["DATABASE_URL"],
                      scene.account_id, AUTO_LEAD))

    answers = scene.all_at_once(calls)

    if worker_may_drain:
        assert answers.pop() == "switched"
    assert answers.pop() == "waited"
    # The worker did act in the race: each idle chat handed on once, to an Agent with room;
    # then it has nothing left to do in this account, and what is read below stays still.
    wait_for(lambda: scene.count(DecisionReason.IDLE_RULE) == IDLE_CHATS)
    assert [status for status, _, _ in answers] == [200] * TAKERS, answers
    toasts = [toast for _, toast, _ in answers]
    clicked = [takers[n] for n, toast in enumerate(toasts) if toast.startswith("New chat: ")]
    assert all(toast == "No chat is waiting for you" for toast in toasts
               if not toast.startswith("New chat: ")), toasts
    db.session.rollback()
    chat = db.session.get(Chat, last_id)
    history = [(d.reason, d.to_agent_id) for d in allocator.decisions_of(chat)]
    assert history[0] == (DecisionReason.ARRIVED, None)
    assert len(history) == 2, history  # one giving decision, by whoever won
    [(reason, receiver)] = history[1:]
    assert (chat.status, chat.agent_id) == (ChatStatus.ASSIGNED, receiver)
    if reason == DecisionReason.TAKEOVER:
        assert clicked == [receiver], toasts
    else:
        assert worker_may_drain and reason == DecisionReason.AUTO, history
        assert clicked == [] and receiver in takers, toasts
    assert_consistent(scene.account_id)
    scene.assert_never_over_capacity()
    scene.assert_first_come_first_served()
    scene.assert_no_errors_anywhere()
