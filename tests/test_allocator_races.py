"""The allocator between real concurrent processes (SPEC §7): the app under gunicorn (several
workers, tests/live.py) taking chats through the integration API, and processes of their
own calling the service functions directly, all let go at the same moment. Whatever
interleaving the database lets happen: never over a Workload, nothing lost or made twice,
no 5xx, no deadlock (on PostgreSQL the allocation lock is every such transaction's first
lock; a deadlock would answer 500 and show in the server's log)."""

import http.client
import itertools
import json
import multiprocessing
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import func, select

from tests import live
from tests.conftest import FAST_HASH, PASSWORD, POSTGRESQL_URL, Factory, reset_postgresql
from webapp import create_app
from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.chats.allocator import Refused
from webapp.extensions import db
from webapp.integrations.tokens import create_token
from webapp.models import (
    Account,
    AgentWorkload,
    Chat,
    ChatDecision,
    ChatStatus,
    DecisionReason,
    Presence,
    Role,
    Status,
    User,
)
from webapp.presence import service as presence

INTAKES = 50
TAKERS = 20
DUPLICATES = 20
GIVING = {DecisionReason.AUTO, DecisionReason.TAKEOVER, DecisionReason.TRANSFER,
          DecisionReason.SUPERVISOR, DecisionReason.IDLE_RULE, DecisionReason.CUSTOM}


# -- what runs in the other processes (top level, so that process pools can run it) ------------

def post_json_at(url: str, path: str, body: dict, token: str, start_at: float):
    """POST a JSON body with the API token at the wall-clock time `start_at`: (status,
    body). The connection is open before the start, so the requests land together."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.connect()
    payload = json.dumps(body)
    while time.time() < start_at:
        time.sleep(0.001)
    connection.request("POST", path, body=payload, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    result = (response.status, response.read().decode())
    connection.close()
    return result


def take_next_chat_together(database_url: str, agent_id: int, barrier, results) -> None:
    """Get New Chat for one agent in a process of its own, once every taker is ready: the
    chat's id, None (no chat), or what went wrong."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "race"})
    with app.app_context():
        agent = db.session.get(User, agent_id)
        db.session.execute(select(1))  # connected before the start
        db.session.rollback()
        barrier.wait()
        try:
            chat = allocator.take_next_chat(agent)
            results.put((agent_id, chat.id if chat else None))
        except Refused as refused:
            results.put((agent_id, f"refused: {refused.code}"))
        except Exception as error:  # noqa: BLE001  (reported to the test, which fails on it)
            results.put((agent_id, f"error: {error!r}"))
        finally:
            db.session.remove()
            db.engine.dispose()


# -- the test's side ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One gunicorn for the whole file (starting one and migrating costs seconds each time);
    each test has an account of its own on it, and the allocator reads and locks one
    account's rows only."""
    if POSTGRESQL_URL:
        reset_postgresql(POSTGRESQL_URL)
        url = POSTGRESQL_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('races') / 'races.sqlite3'}"
    with live.gunicorn(url) as server:
        yield server


races = itertools.count(1)


@pytest.fixture
def scene(served):
    """A new account on the server with an Admin and an API token, and an app of the
    test's own on the same database (for setting the scene and reading the outcome)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": served.env["DATABASE_URL"],
                      "SECRET_KEY": "race", "PASSWORD_HASH_METHOD": FAST_HASH})
    with app.app_context():
        factory = Factory(app)
        name = f"race{next(races)}"
        account = factory.account(f"Race {name}")
        admin = factory.user(account, Role.ADMIN, username=f"{name}boss")
        _row, token = create_token(account.id, "races", None)
        yield Scene(served, app, account, admin, token, name)
        db.session.remove()
        db.engine.dispose()


class Scene:
    def __init__(self, server, app, account, admin, token, name):
        self.server, self.app, self.token, self.name = server, app, token, name
        self.account_id, self.admin_id = account.id, admin.id
        self.factory = Factory(app)

    # Read afresh each time: the session is removed before other processes start.
    @property
    def account(self) -> Account:
        return db.session.get(Account, self.account_id)

    @property
    def admin(self) -> User:
        return db.session.get(User, self.admin_id)

    def agent(self, username: str, workload: int | None = None, division=None) -> User:
        """An Agent Online through the API (no lapse, however long the test takes)."""
        agent = self.factory.user(self.account, Role.AGENT, username=self.name + username,
                                  division=division)
        if workload is not None:
            agents.set_agent_workload(agent, workload, self.admin)
        presence.set_presence_by_api(agent, Presence.ONLINE)
        return agent

    def switches(self, **values) -> None:
        current = {name: getattr(self.account, name) for name in agents.SWITCHES}
        agents.save_allocation(self.account.id, current | values, self.admin)
        db.session.expire_all()

    def all_at_once(self, calls: list[tuple]) -> list:
        """Run each (function, *arguments) in its own process, the HTTP ones let go at the
        same moment (each takes `start_at` last)."""
        db.session.remove()
        db.engine.dispose()  # no database connection is inherited by the forked processes
        start_at = time.time() + 2.0
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(calls), mp_context=context) as pool:
            futures = [pool.submit(function, *arguments, start_at)
                       for function, *arguments in calls]
            return [future.result(timeout=120) for future in futures]

    def intake(self, external_id: str, channel: str = "whatsapp") -> tuple:
        return (post_json_at, self.server.url, "/api/v1/rooms",
                {"channel": channel, "external_id": external_id, "customer_name": "Ani"},
                self.token)

    def disabling(self, agent_id: int) -> tuple:
        """The Admin saving the agent's row as Disabled on the users page (logged in now,
        the row's form as it is now), as a call for all_at_once."""
        admin = live.Browser(self.server.url)
        admin.login(self.admin.username, PASSWORD)
        user = db.session.get(User, agent_id, populate_existing=True)
        form = {f"user-{user.id}-{name}": value for name, value in {
            "first_name": user.first_name, "last_name": user.last_name,
            "username": user.username, "email": user.email, "phone": "", "role": "Agent",
            "division": str(user.division_id), "status": "disabled",
            "version": str(user.version)}.items()}
        return (live.post_at, self.server.url, f"/users/{user.id}", form,
                admin.cookie_header(), admin.csrf_token)

    def chats(self) -> list[Chat]:
        db.session.expire_all()
        return list(db.session.scalars(select(Chat).where(Chat.account_id == self.account.id)
                                       .order_by(Chat.id)))

    def workload(self, user_id: int) -> int:
        own = db.session.get(AgentWorkload, user_id)
        return own.max_chats if own else self.account.default_workload

    def assert_never_over_capacity(self) -> None:
        """Replayed from the decision log, in the order the lock let them happen: every chat
        given went to an agent below their Workload at that moment; and no one holds more
        now."""
        load: dict[int, int] = {}
        for decision in db.session.scalars(
                select(ChatDecision).where(ChatDecision.account_id == self.account.id)
                .order_by(ChatDecision.id)):
            if decision.from_agent_id is not None and decision.reason not in (
                    DecisionReason.IDLE_FLAGGED, DecisionReason.ARRIVED):
                load[decision.from_agent_id] -= 1
            if decision.reason in GIVING:
                assert not decision.over_capacity
                receiver = decision.to_agent_id
                assert load.get(receiver, 0) < self.workload(receiver), decision.id
                load[receiver] = load.get(receiver, 0) + 1
        held: dict[int, int] = {}
        for chat in self.chats():
            if chat.status == ChatStatus.ASSIGNED:
                held[chat.agent_id] = held.get(chat.agent_id, 0) + 1
        assert held == {agent: count for agent, count in load.items() if count}
        for agent, count in held.items():
            assert count <= self.workload(agent)

    def assert_no_server_errors(self) -> None:
        log = self.server.output()
        assert "Traceback" not in log and "deadlock" not in log.lower(), log[-3000:]


def test_fifty_simultaneous_intakes_fill_the_team_and_queue_the_rest_in_order(scene):
    workloads = {"few1": 2, "few2": 3, "few3": 1}
    for username, workload in workloads.items():
        scene.agent(username, workload)
    answers = scene.all_at_once([scene.intake(f"wa-{n}") for n in range(INTAKES)])
    assert [status for status, _ in answers] == [201] * INTAKES, answers
    rooms = [json.loads(body) for _, body in answers]
    chats = scene.chats()
    # Every intake answered with its own chat, made once.
    assert sorted(room["id"] for room in rooms) == [chat.id for chat in chats]
    assert sorted(chat.external_id for chat in chats) == sorted(
        f"wa-{n}" for n in range(INTAKES))
    scene.assert_never_over_capacity()
    assigned = [chat for chat in chats if chat.status == ChatStatus.ASSIGNED]
    queued = [chat for chat in chats if chat.status == ChatStatus.QUEUED]
    assert len(assigned) == sum(workloads.values())  # the team is full, not more
    assert len(queued) == INTAKES - sum(workloads.values())
    # The queue is in arrival order: ids are handed out under the lock, with the arrival
    # time taken there too; places count 1, 2, 3… in that order.
    assert [chat.queued_at for chat in queued] == sorted(chat.queued_at for chat in queued)
    assert [allocator.queue_position(chat) for chat in queued] == list(
        range(1, len(queued) + 1))
    # The chats given were the oldest: every queued chat came after every assigned one.
    assert max(chat.id for chat in assigned) < min(chat.id for chat in queued)
    scene.assert_no_server_errors()


def test_twenty_agents_taking_the_last_waiting_chat_at_once_one_gets_it(scene):
    scene.switches(auto_allocation=False, agent_can_take_over=True)
    takers = [scene.agent(f"taker{n}").id for n in range(TAKERS)]
    answers = scene.all_at_once([scene.intake("wa-last")])
    assert [status for status, _ in answers] == [201]
    [chat] = scene.chats()
    assert chat.status == ChatStatus.QUEUED
    db.session.remove()
    db.engine.dispose()
    # Forked, not spawned: 20 spawned interpreters each importing the app take half a
    # minute on a two-core machine. Nothing database-related is shared: the engine was
    # disposed just above, and each process makes its own app and connection.
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(TAKERS), context.Queue()
    processes = [context.Process(target=take_next_chat_together,
                                 args=(scene.server.env["DATABASE_URL"], taker, barrier,
                                       results)) for taker in takers]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    winners = [agent for agent, outcome in outcomes.items() if outcome == chat.id]
    assert len(winners) == 1, outcomes
    assert [outcome for outcome in outcomes.values() if outcome != chat.id] == (
        [None] * (TAKERS - 1)), outcomes
    [chat] = scene.chats()
    assert (chat.status, chat.agent_id) == (ChatStatus.ASSIGNED, winners[0])
    reasons = [d.reason for d in db.session.scalars(
        select(ChatDecision).where(ChatDecision.chat_id == chat.id).order_by(ChatDecision.id))]
    assert reasons == [DecisionReason.ARRIVED, DecisionReason.TAKEOVER]
    scene.assert_never_over_capacity()


@pytest.mark.parametrize("trial", range(2))
def test_intakes_racing_an_agent_being_disabled(scene, trial):
    """The Admin disables an agent through the users page while chats pour in: afterwards
    the agent holds nothing, and every chat is waiting or with an eligible agent."""
    leaving = scene.agent("leaving", workload=4).id
    staying = [scene.agent(f"stays{n}", workload=2).id for n in range(2)]
    warm = [scene.intake(f"early-{n}") for n in range(4)]
    assert all(status == 201 for status, _ in scene.all_at_once(warm))
    assert db.session.scalar(select(func.count(Chat.id)).where(
        Chat.agent_id == leaving, Chat.status == ChatStatus.ASSIGNED)) > 0
    calls = [scene.intake(f"race-{n}") for n in range(30)]
    middle = len(calls) // 2 if trial else 0  # the disable among the intakes, or first
    calls.insert(middle, scene.disabling(leaving))
    answers = scene.all_at_once(calls)
    statuses = [status for status, _ in answers]
    assert statuses.pop(middle) == 200, answers[middle]
    assert statuses == [201] * 30, answers
    db.session.expire_all()
    assert db.session.get(User, leaving).status == Status.DISABLED
    chats = scene.chats()
    assert len(chats) == 34
    assert not [chat.id for chat in chats if chat.agent_id == leaving
                and chat.status == ChatStatus.ASSIGNED]
    for chat in chats:
        assert chat.status in (ChatStatus.QUEUED, ChatStatus.ASSIGNED)
        if chat.status == ChatStatus.ASSIGNED:
            assert chat.agent_id in staying
    scene.assert_never_over_capacity()
    # The team left is full: the queue has drained as far as it can.
    assert sum(chat.status == ChatStatus.ASSIGNED for chat in chats) == 2 * len(staying)
    scene.assert_no_server_errors()


def test_the_same_intake_twenty_times_at_once_is_one_chat(scene):
    scene.agent("budi")
    answers = scene.all_at_once([scene.intake("wa-same")] * DUPLICATES)
    assert sorted(status for status, _ in answers) == [200] * (DUPLICATES - 1) + [201], answers
    assert len({json.loads(body)["id"] for _, body in answers}) == 1
    [chat] = scene.chats()
    assert chat.external_id == "wa-same" and chat.status == ChatStatus.ASSIGNED
    scene.assert_never_over_capacity()
    scene.assert_no_server_errors()
