"""`make bench`'s allocator section (issue 13): chat intake through the API against 200 Online
agents and 100,000 past chats, as a ratio to /healthz at the same 50 connections, then the
spread of the agents' loads and the count of over-capacity assignments (which must be 0).

The data is made in-process with the app's own models, before gunicorn starts: an account of
200 Agents, Online through the API (so their presence does not lapse during the run),
100,000 resolved chats with one decision each, and an API token. Their Workload (50) leaves
room for every chat the run sends, so each intake chooses an agent, the allocator's real
work, rather than only joining the queue once everyone is full. The rate limit is
raised for the run (API_RATE_LIMIT), so that the figure is the allocator's, not the limit's;
each request still counts itself against it, as in production.
"""

import random
import time
from datetime import timedelta
from pathlib import Path

ACCOUNT = "AllocBench"
AGENTS = 200
WORKLOAD = 50
PAST_CHATS = 100_000
CONNECTIONS = 50
RATE_LIMIT_FOR_THE_RUN = "1000000"
LUA = Path(__file__).resolve().parent / "intake.lua"


def prepare(database_url: str) -> str:
    """Make the account, its agents and past chats; the API token to use."""
    from sqlalchemy import insert

    from webapp import create_app
    from webapp.database import write_transaction
    from webapp.extensions import db
    from webapp.integrations.tokens import create_token
    from webapp.models import (
        Account,
        ActorKind,
        Chat,
        ChatDecision,
        ChatStatus,
        DecisionReason,
        Presence,
        Role,
        User,
        utcnow,
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    began = time.perf_counter()
    with app.app_context():
        with write_transaction():
            account = Account.create(ACCOUNT)
            account.default_workload = WORKLOAD
            db.session.flush()
            division = account.divisions[0]
            now = utcnow()
            db.session.execute(insert(User), [{
                "account_id": account.id, "first_name": "Agent", "last_name": str(number),
                "username": f"allocagent{number}", "email": f"allocagent{number}@bench.example",
                "role": Role.AGENT, "division_id": division.id, "password_hash": "!",
                "search_text": f"agent {number}\nallocagent{number}", "presence": Presence.ONLINE,
                "presence_by_api": True, "presence_seen_at": now}
                for number in range(AGENTS)])
            agent_ids = [user.id for user in db.session.scalars(
                db.select(User).where(User.account_id == account.id))]
        rng = random.Random(13)  # noqa: S311  (which past agent: no secret)
        for start in range(0, PAST_CHATS, 10_000):
            with write_transaction():
                db.session.execute(insert(Chat), [{
                    "account_id": account.id, "channel": "whatsapp",
                    "external_id": f"past-{number}", "customer_name": f"Customer {number}",
                    "status": ChatStatus.RESOLVED, "agent_id": rng.choice(agent_ids),
                    "queued_at": now - timedelta(minutes=PAST_CHATS - number),
                    "assigned_at": now - timedelta(minutes=PAST_CHATS - number),
                    "resolved_at": now - timedelta(minutes=PAST_CHATS - number - 5)}
                    for number in range(start, min(start + 10_000, PAST_CHATS))])
        last = 0
        while True:  # one decision per past chat, as the allocator would have written
            with write_transaction():
                chats = db.session.execute(
                    db.select(Chat.id, Chat.agent_id, Chat.assigned_at)
                    .where(Chat.account_id == account.id, Chat.id > last)
                    .order_by(Chat.id).limit(10_000)).all()
                if not chats:
                    break
                db.session.execute(insert(ChatDecision), [{
                    "chat_id": chat_id, "account_id": account.id, "reason": DecisionReason.AUTO,
                    "to_agent_id": agent_id, "actor_kind": ActorKind.ALLOCATOR,
                    "candidates": [], "created_at": given_at}
                    for chat_id, agent_id, given_at in chats])
                last = chats[-1][0]
        _row, token = create_token(account.id, "bench", None)
        db.engine.dispose()
    print(f"  {AGENTS} Online agents (Workload {WORKLOAD}) and {PAST_CHATS:,} past chats "
          f"made in {time.perf_counter() - began:.1f} s")
    return token


def server_settings() -> dict[str, str]:
    return {"API_RATE_LIMIT": RATE_LIMIT_FOR_THE_RUN}


def intake_load(port: int, token: str, seconds: int, warmup: int, wrk, cpu):
    """wrk POSTs new chats (a fresh external id per request) at CONNECTIONS connections."""
    url = f"http://127.0.0.1:{port}/api/v1/rooms"
    headers = [f"Authorization: Bearer {token}", "Content-Type: application/json"]
    wrk(url, headers, CONNECTIONS, warmup, cpu, script=LUA)
    return wrk(url, headers, CONNECTIONS, seconds, cpu, script=LUA)


def outcome(database_url: str) -> dict:
    """After the run: the agents' loads, and over-capacity assignments (from every decision
    that gave a chat, the chosen agent's load before it against their Workload)."""
    from sqlalchemy import func, select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Account, Chat, ChatDecision, ChatStatus, DecisionReason, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.name == ACCOUNT))
        loads = dict(db.session.execute(
            select(User.id, func.count(Chat.id)).outerjoin(
                Chat, (Chat.agent_id == User.id) & (Chat.status == ChatStatus.ASSIGNED))
            .where(User.account_id == account.id).group_by(User.id)).all())
        statuses = dict(db.session.execute(
            select(Chat.status, func.count(Chat.id)).where(Chat.account_id == account.id)
            .group_by(Chat.status)).all())
        over = 0
        given = 0
        for decision in db.session.scalars(select(ChatDecision).where(
                ChatDecision.account_id == account.id,
                ChatDecision.reason == DecisionReason.AUTO)):
            if not decision.candidates:
                continue  # the past chats made for the run
            given += 1
            chosen = next(c for c in decision.candidates if c["id"] == decision.to_agent_id)
            over += chosen["load"] >= chosen["capacity"]
        over += sum(load > WORKLOAD for load in loads.values())
        db.engine.dispose()
    values = sorted(loads.values())
    return {"min": values[0], "max": values[-1], "given": given, "over": over,
            "queued": statuses.get(ChatStatus.QUEUED, 0),
            "assigned": statuses.get(ChatStatus.ASSIGNED, 0)}


def report(load, health, result) -> list[str]:
    share = load.rps / health.rps if health.rps else 0
    lines = [
        f"\nAllocator: chat intake (POST /api/v1/rooms), {CONNECTIONS} connections, "
        f"{AGENTS} Online agents of Workload {WORKLOAD}, {PAST_CHATS:,} past chats",
        f"  /healthz at {CONNECTIONS} connections: {health.rps:8.1f} req/s, "
        f"p50 {health.p50:.2f} ms, p99 {health.p99:.2f} ms",
        f"  intake:                       {load.rps:8.1f} req/s = {share:.2f}× /healthz "
        + ("✓" if share >= 0.25 else "✗ missed") + " (goal ≥ 0.25), "
        f"p50 {load.p50:.2f} ms, p99 {load.p99:.2f} ms"
        + (f"  [{load.errors} errors]" if load.errors else ""),
        f"  after the run: {result['assigned']:,} chats assigned, {result['queued']:,} waiting;"
        f" loads from {result['min']} to {result['max']} (spread {result['max'] - result['min']})",
        f"  over-capacity assignments: {result['over']} of {result['given']:,} given "
        + ("✓" if result["over"] == 0 else "✗ must be 0"),
    ]
    print("\n".join(lines))
    return lines


def readme_rows(load, health, result) -> list[str]:
    share = load.rps / health.rps if health.rps else 0
    return [
        f"| chat intake, API, {CONNECTIONS} connections ({AGENTS} agents, "
        f"{PAST_CHATS:,} past chats) | {load.rps:,.0f} = {share:.0%} of `/healthz` at "
        f"{CONNECTIONS} | p50 {load.p50:.1f} ms, p99 {load.p99:.1f} ms | ≥ 25% "
        + ("✓" if share >= 0.25 else "✗ missed") + " |",
        f"| loads after it | {result['min']}–{result['max']} of {WORKLOAD}; "
        f"{result['over']} over capacity of {result['given']:,} given | | 0 over capacity "
        + ("✓" if result["over"] == 0 else "✗") + " |",
    ]
