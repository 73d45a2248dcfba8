"""`flask --app wsgi worker`: the time-based rules of chat allocation (SPEC §7), run without
anyone clicking.

Each step, about once a second (`--interval`), goes over every account and
- applies the idle rule (`allocator.apply_idle_rule`) where it is on and some customer has
  waited the idle period for an answer, and
- drains the queue (`allocator.drain_queue`) where Auto agent allocation is on and a chat is
  waiting: every change that makes room drains in its own transaction already, so this only
  catches what nothing else would (an agent whose Workload a migration raised, a drain that
  failed because the database was busy).

Presence expiry needs no writes and so nothing here: presence set in the browser counts as
Offline two minutes after its last page stopped polling, and that lapse is applied whenever
presence is read (`webapp.presence.service.shown_presence`), by the allocator too, so a drain
never gives a chat to an agent whose laptop closed.

Which accounts need a step is read first, without the write lock, so an idle worker costs
two small reads a second. The steps themselves are the allocator's service functions, each
in its own write transaction that takes the account's allocation lock: two workers at once
(or a worker beside gunicorn) are serialized by it, and the second finds nothing left to do.

A database that is busy or down is logged, waited for (a back-off up to MAX_BACKOFF) and
tried again; with `--once` it is logged and the command exits with status 1. An account whose
change fails is logged with its id and tried again on the next step, and the accounts after
it are served meanwhile. SIGTERM or SIGINT stops the loop after the step under way. The log
has one line per chat the worker moved, none per idle loop.
"""

import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

import click
from flask import Flask
from sqlalchemy import and_, exists, select
from sqlalchemy.exc import DBAPIError, OperationalError

from .chats import allocator
from .extensions import db
from .models import Account, ActorKind, Chat, ChatDecision, ChatStatus, utcnow

log = logging.getLogger("webapp.worker")

MAX_BACKOFF = 30.0  # seconds between tries while the database stays away
# At most this many chats are named one per line for one step; more are summed up.
LINES_PER_STEP = 20


class Stop:
    """Set by SIGTERM or SIGINT: the loop ends after the step under way. A second signal
    while it finishes ends the process at once."""

    def __init__(self):
        self.event = threading.Event()

    def request(self, signum, frame) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        log.info("Stopping after the current step (%s).", signal.Signals(signum).name)
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def sleep(self, seconds: float) -> None:
        self.event.wait(seconds)


def accounts_with_idle_chats(now: datetime) -> list[int]:
    """Accounts whose idle rule is on with a chat whose customer has waited its period."""
    idle = exists().where(
        Chat.account_id == Account.id, Chat.status == ChatStatus.ASSIGNED,
        Chat.idle_flagged.is_(False), Chat.customer_waiting_since.is_not(None))
    candidates = db.session.execute(
        select(Account.id, Account.idle_minutes)
        .where(Account.idle_rule_on.is_(True), idle).order_by(Account.id)).all()
    due = []
    for account_id, minutes in candidates:
        cutoff = now - timedelta(minutes=minutes)
        if db.session.scalar(select(exists().where(and_(
                Chat.account_id == account_id, Chat.status == ChatStatus.ASSIGNED,
                Chat.idle_flagged.is_(False), Chat.customer_waiting_since <= cutoff)))):
            due.append(account_id)
    return due


def accounts_with_a_queue() -> list[int]:
    """Accounts with Auto agent allocation on and a chat waiting."""
    waiting = exists().where(Chat.account_id == Account.id, Chat.status == ChatStatus.QUEUED)
    return list(db.session.scalars(select(Account.id).where(
        Account.auto_allocation.is_(True), waiting).order_by(Account.id)))


def describe(decisions: Iterable[ChatDecision]) -> list[str]:
    """One line per chat moved: "chat 12: idle rule, budi -> sari" ("queue" for no one)."""
    lines = []
    for decision in decisions:
        chat = decision.chat_id
        moved = f"{decision.from_name or 'queue'} -> {decision.to_name or 'flagged'}"
        lines.append(f"chat {chat}: {decision.reason.value.replace('_', ' ')}, {moved}")
    return lines


def decisions_at(account_id: int, now: datetime) -> list[ChatDecision]:
    """The decisions the allocator made in this worker's step (the idle rule's, and the
    drain's that may follow it): they carry the `now` the step passed, which no other step
    shares (a clock read to the microsecond)."""
    return list(db.session.scalars(select(ChatDecision).where(
        ChatDecision.account_id == account_id, ChatDecision.created_at == now,
        ChatDecision.actor_kind == ActorKind.ALLOCATOR).order_by(ChatDecision.id)))


def report(account_id: int, now: datetime, count: int) -> None:
    """One log line per chat the step moved (or flagged)."""
    if not count:
        return
    lines = describe(decisions_at(account_id, now))
    db.session.rollback()  # end the read
    for line in lines[:LINES_PER_STEP]:
        log.info("account %s: %s", account_id, line)
    if len(lines) > LINES_PER_STEP:
        log.info("account %s: and %d more chats moved", account_id,
                 len(lines) - LINES_PER_STEP)


class Step:
    """What one pass over the accounts did: how many chats moved, and which accounts failed."""

    def __init__(self):
        self.moved = 0
        self.failed: list[int] = []


def step(stop: Stop) -> Step:
    """One pass over the accounts: the idle rule, then the queue.

    Each account's change is guarded on its own: a bug or bad data that makes one account's
    change fail is logged with the account's id and that account is tried again on the next
    pass, while the accounts after it are still served. A database that is away
    (`OperationalError`) fails every account alike, so it ends the pass for `run` to wait."""
    done = Step()
    now = utcnow()
    idle = accounts_with_idle_chats(now)
    queued = accounts_with_a_queue()
    db.session.rollback()  # the reads are done; each change opens its own transaction
    for change, accounts in ((allocator.apply_idle_rule, idle),
                             (allocator.drain_queue, queued)):
        for account_id in accounts:
            if stop.requested:
                return done
            now = utcnow()
            try:
                count = change(account_id, now)
                report(account_id, now, count)
            except OperationalError:
                raise
            except Exception:
                forget_the_session()
                done.failed.append(account_id)
                log.exception("account %s: %s failed; it is tried again on the next step.",
                              account_id, change.__name__)
                continue
            done.moved += count
    return done


def run(interval: float, stop: Stop, once: bool = False) -> int:
    """Step, sleep, step … until asked to stop; the database being away is waited out.

    With `once`, one step and no retry: the exit status is 0 if it went through for every
    account, 1 if it failed (the database away, or some account's change), so that cron or a
    check sees the failure instead of waiting for ever."""
    failures = 0
    while not stop.requested:
        try:
            done = step(stop)
        except (OperationalError, DBAPIError) as error:
            forget_the_session()
            failures += 1
            wait = min(interval * 2 ** failures, MAX_BACKOFF)
            if once:
                log.error("The database is busy or unreachable (%s).", first_line(error))
                return 1
            log.warning("The database is busy or unreachable (%s); trying again in %.0f s.",
                        first_line(error), wait)
            stop.sleep(wait)
            continue
        except Exception:
            # A bug outside any account's change (the reads that find the accounts): say it
            # loudly and try again.
            forget_the_session()
            failures += 1
            if once:
                log.exception("The step failed.")
                return 1
            log.exception("A step failed; trying again in %.0f s.",
                          min(interval * 2 ** failures, MAX_BACKOFF))
            stop.sleep(min(interval * 2 ** failures, MAX_BACKOFF))
            continue
        if failures:
            log.info("The database answers again.")
            failures = 0
        if once:
            return 1 if done.failed else 0
        stop.sleep(interval)
    return 0


def forget_the_session() -> None:
    """Drop the failed transaction and its connection; the next step starts afresh (a
    connection that died with the database may fail even to roll back)."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    with contextlib.suppress(Exception):
        db.session.remove()


def first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def log_to_stderr() -> None:
    """One timestamped line per message on stderr, unless logging was set up already."""
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s worker %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


@click.command("worker")
@click.option("--interval", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between steps.")
@click.option("--once", is_flag=True, help="One step, then exit (for cron or a check).")
def worker_command(interval, once):
    """Apply the idle rule and drain the queues of every account, about once a second."""
    log_to_stderr()
    stop = Stop()
    signal.signal(signal.SIGTERM, stop.request)
    signal.signal(signal.SIGINT, stop.request)
    log.info("Started (a step every %s s); SIGTERM or Ctrl-C stops it.", interval)
    began = time.monotonic()
    status = run(interval, stop, once)
    log.info("Stopped after %.0f s.", time.monotonic() - began)
    sys.exit(status)


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
