"""`flask --app wsgi simulate-chats --account NAME --rate 5/s --for 60s`: customers write in,
agents answer and conversations end, so that Monitoring fills and drains in front of you.

Everything goes through the allocator's service functions that the integration API calls
(`receive_chat`, `note_message`, `resolve_chat`, and `assign_chat` for Custom allocation), so
the simulated platform is held to every rule a real one is. New chats arrive at `--rate`
for `--for`, on the channels the account's divisions serve, each with a customer's first
message. Once an agent holds a chat, they answer within seconds and the customer writes
back now and then, until the conversation ends (about `--chat-length`) and is resolved. One
chat in ten is never answered by its agent, for the idle rule to find. With Custom agent
allocation on, the simulator plays the platform too: it picks one of the candidates the
allocator names for a new chat.

After `--for` no new chats come; the open ones carry on until they are resolved, and
customers still waiting three conversation lengths later give up (Ctrl-C, or `--leave-open`,
leaves them open). A line every few seconds counts what this run sent and
resolved and what the account holds now. A database that is busy or restarting (a change
or a read failing) is counted and reported, and the run goes on.
"""

import heapq
import itertools
import random
import re
import secrets
import signal
import time
from dataclasses import dataclass, field

import click
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from .channels import CHANNELS, in_order
from .chats import allocator
from .chats.allocator import AGENT, CUSTOMER, Actor, Refused
from .commands import checked_account_name, fail, find_account
from .demo import FIRST_NAMES, LAST_NAMES
from .extensions import db
from .models import (
    Account,
    ActorKind,
    Chat,
    ChatStatus,
    DecisionReason,
    Division,
    Presence,
    Role,
    User,
)

ACTOR = Actor(ActorKind.COMMAND_LINE, None, "simulate-chats")
MAX_RATE = 200.0  # chats a second: beyond this the simulator measures itself, not the app
MAX_DURATION = 24 * 3600.0
REPORT_EVERY = 5.0  # seconds between status lines
SYNC_EVERY = 1.0  # seconds between reads of who holds the open chats
SILENT_SHARE = 0.1  # chats whose agent never answers (the idle rule's business)
ANSWER_WITHIN = (2.0, 8.0)  # seconds an agent takes to answer
WRITE_BACK_WITHIN = (3.0, 12.0)  # seconds the customer takes to write again
# Winding down, customers wait this many conversation lengths after the last chat came, then
# give up: without it nobody Online would keep the run going for ever.
PATIENCE = 3

UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
         "hour": 3600}


class Rate(click.ParamType):
    """Chats per second from "5/s", "120/m", "2.5" (a second is the unit)."""

    name = "rate"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*([a-z]+))?\s*", str(value).lower())
        unit = found and (found.group(2) or "s")
        if not found or unit not in UNITS:
            self.fail(f"{value!r} is not a rate: write it like 5/s or 120/m.", param, ctx)
        per_second = float(found.group(1)) / UNITS[unit]
        if not 0 < per_second <= MAX_RATE:
            self.fail(f"{value!r} is out of range: more than 0 and at most "
                      f"{MAX_RATE:.0f} chats a second.", param, ctx)
        return per_second


class Duration(click.ParamType):
    """Seconds from "60s", "2m", "1h", "90" (seconds)."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", str(value).lower())
        unit = found and (found.group(2) or "s")
        if not found or unit not in UNITS:
            self.fail(f"{value!r} is not a duration: write it like 60s, 5m or 1h.", param, ctx)
        seconds = float(found.group(1)) * UNITS[unit]
        if not 0 < seconds <= MAX_DURATION:
            self.fail(f"{value!r} is out of range: more than 0 and at most 24h.", param, ctx)
        return seconds


@dataclass
class Conversation:
    """A chat this run sent, as the simulated people see it."""

    chat_id: int
    silent: bool  # its agents never answer
    length: float
    agent_id: int | None = None
    ends_at: float | None = None  # set when an agent first holds it
    turn: int = 0  # bumped when the chat changes hands: the old agent's answers are void


@dataclass(order=True)
class Event:
    at: float
    order: int
    kind: str = field(compare=False)
    chat_id: int = field(compare=False)
    turn: int = field(compare=False, default=0)


@dataclass
class Tally:
    sent: int = 0
    resolved: int = 0
    messages: int = 0
    problems: int = 0


class Simulation:
    def __init__(self, account: Account, rate: float, duration: float, chat_length: float,
                 leave_open: bool, rng: random.Random):
        self.account_id = account.id
        self.custom = account.custom_allocation and not account.auto_allocation
        self.rate, self.duration, self.chat_length = rate, duration, chat_length
        self.leave_open, self.rng = leave_open, rng
        self.run_id = secrets.token_hex(3)
        self.channels = served_channels(account.id) or list(CHANNELS)
        self.open: dict[int, Conversation] = {}
        self.events: list[Event] = []
        self.order = itertools.count()
        self.tally = Tally()

    # -- the clock ---------------------------------------------------------------------------

    def run(self) -> None:
        start = time.monotonic()
        next_chat, next_sync, next_report = start, start + SYNC_EVERY, start + REPORT_EVERY
        sending = True
        while True:
            now = time.monotonic()
            if sending and now - start >= self.duration:
                sending = False
                self.read(self.say, now - start, "no more new chats"
                         + ("" if self.leave_open or not self.open
                            else f"; {len(self.open)} open ones carry on until resolved"))
            if not sending and (self.leave_open or not self.open):
                break
            if sending and now >= next_chat:
                self.intake()
                # Behind by more than a second (a busy database): skip, do not burst.
                next_chat = max(next_chat + 1 / self.rate, now - 1)
                continue
            if now >= next_sync:
                self.read(self.sync, now)
                next_sync = now + SYNC_EVERY
                if not sending and now - start >= self.duration + PATIENCE * self.chat_length:
                    self.give_up_waiting(now)
            if now >= next_report:
                self.read(self.say, now - start)
                next_report += REPORT_EVERY
            while self.events and self.events[0].at <= now:
                self.handle(heapq.heappop(self.events), now)
            upcoming = [next_sync, next_report] + ([next_chat] if sending else [])
            if self.events:
                upcoming.append(self.events[0].at)
            time.sleep(max(0.0, min(upcoming) - time.monotonic()))
        self.read(self.say, time.monotonic() - start, "done")

    def later(self, at: float, kind: str, conversation: Conversation) -> None:
        heapq.heappush(self.events, Event(at, next(self.order), kind, conversation.chat_id,
                                          conversation.turn))

    # -- what the people do --------------------------------------------------------------------

    def intake(self) -> None:
        """A customer writes in on one of the account's channels."""
        number = self.tally.sent + self.tally.problems + 1
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        chat = self.attempt(
            allocator.receive_chat, self.account_id, channel=self.rng.choice(self.channels),
            external_id=f"sim-{self.run_id}-{number}", customer_name=name, division_id=None,
            actor=ACTOR)
        if chat is None:
            return
        chat, _created = chat
        self.tally.sent += 1
        conversation = Conversation(chat.id, silent=self.rng.random() < SILENT_SHARE,
                                    length=self.chat_length * self.rng.uniform(0.5, 1.5))
        self.open[chat.id] = conversation
        self.message(conversation, CUSTOMER)
        if self.custom and chat.status == ChatStatus.QUEUED:
            self.read(self.choose_agent, chat)

    def choose_agent(self, chat: Chat) -> None:
        """Custom allocation: the platform picks one of the candidates the allocator named."""
        arrived = allocator.decisions_of(chat)[-1]
        if arrived.reason != DecisionReason.ARRIVED or not arrived.candidates:
            return
        agent = db.session.get(User, self.rng.choice(arrived.candidates)["id"])
        self.attempt(allocator.assign_chat, self.account_id, chat.id, agent, ACTOR,
                     DecisionReason.CUSTOM)

    def sync(self, now: float) -> None:
        """Read who holds the open chats: a chat given to an agent (by the allocator, a
        person, the idle rule) starts being answered, and ends in time."""
        ids = list(self.open)
        for start in range(0, len(ids), 500):
            rows = db.session.execute(select(Chat.id, Chat.status, Chat.agent_id).where(
                Chat.id.in_(ids[start:start + 500]))).all()
            for chat_id, status, agent_id in rows:
                conversation = self.open[chat_id]
                if status == ChatStatus.RESOLVED:  # a person resolved it
                    del self.open[chat_id]
                elif agent_id != conversation.agent_id:
                    conversation.agent_id = agent_id
                    conversation.turn += 1
                    if agent_id is None:
                        continue
                    if conversation.ends_at is None:
                        conversation.ends_at = now + conversation.length
                        self.later(conversation.ends_at, "resolve", conversation)
                    if not conversation.silent:
                        self.later(now + self.rng.uniform(*ANSWER_WITHIN), AGENT, conversation)
        db.session.rollback()  # end the read

    def give_up_waiting(self, now: float) -> None:
        """Winding down, customers still waiting PATIENCE conversation lengths after the
        last chat came give up: their chats are resolved from the queue."""
        for conversation in self.open.values():
            if conversation.ends_at is None:
                conversation.ends_at = now
                self.later(now, "resolve", conversation)

    def handle(self, event: Event, now: float) -> None:
        conversation = self.open.get(event.chat_id)
        if conversation is None:
            return
        if event.kind == "resolve":
            if self.attempt(allocator.resolve_chat, self.account_id, event.chat_id, ACTOR):
                self.tally.resolved += 1
            self.open.pop(event.chat_id, None)
            return
        if event.turn != conversation.turn or conversation.agent_id is None:
            return  # the chat changed hands since: its new agent answers instead
        self.message(conversation, event.kind)
        if event.kind == AGENT and conversation.ends_at \
                and now + WRITE_BACK_WITHIN[1] < conversation.ends_at:
            self.later(now + self.rng.uniform(*WRITE_BACK_WITHIN), CUSTOMER, conversation)
        elif event.kind == CUSTOMER:
            self.later(now + self.rng.uniform(*ANSWER_WITHIN), AGENT, conversation)

    def message(self, conversation: Conversation, sender: str) -> None:
        if self.attempt(allocator.note_message, self.account_id, conversation.chat_id, sender,
                        ACTOR) is not None:
            self.tally.messages += 1

    def attempt(self, change, *args, **kwargs):
        """Make the change; a refusal (a person resolved the chat meanwhile) or a busy
        database is counted and reported, and the run goes on."""
        try:
            return change(*args, **kwargs)
        except Refused as refused:
            if len(args) > 1 and isinstance(args[1], int) and refused.code == "chat_resolved":
                self.open.pop(args[1], None)
            self.tally.problems += 1
        except DBAPIError as error:
            forget_the_failure()
            self.tally.problems += 1
            click.echo(f"  the database refused a change ({first_line(error)}); going on",
                       err=True)
        return None

    def read(self, reading, *args):
        """Do what reads the database (who holds the open chats, the status line, the
        candidates of a chat): a database that is busy or restarting is counted and reported
        as a change's failure is, and the run goes on (the next read tries again)."""
        try:
            return reading(*args)
        except DBAPIError as error:
            forget_the_failure()
            self.tally.problems += 1
            click.echo(f"  the database failed a read ({first_line(error)}); going on",
                       err=True)
        return None

    # -- the report ------------------------------------------------------------------------------

    def say(self, elapsed: float, note: str = "") -> None:
        counts = dict(db.session.execute(
            select(Chat.status, func.count(Chat.id))
            .where(Chat.account_id == self.account_id,
                   Chat.status.in_((ChatStatus.QUEUED, ChatStatus.ASSIGNED)))
            .group_by(Chat.status)).all())
        db.session.rollback()
        tally = self.tally
        assigned, waiting = counts.get(ChatStatus.ASSIGNED, 0), counts.get(ChatStatus.QUEUED, 0)
        line = (f"{elapsed:5.0f} s  sent {tally.sent}, assigned {assigned}, waiting {waiting}, "
                f"resolved {tally.resolved}")
        click.echo(line + (f"  ({note})" if note else ""))


def forget_the_failure() -> None:
    """End the failed transaction; a connection that died with the database may fail even
    to roll back, so it is dropped and the next statement takes a fresh one."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.remove()


def first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def served_channels(account_id: int) -> list[str]:
    """The channels the account's divisions serve, each once."""
    lists = db.session.scalars(select(Division.channels).where(
        Division.account_id == account_id)).all()
    return in_order(channel for channels in lists for channel in channels or ())


def online_agents(account_id: int) -> int:
    return sum(1 for entry in allocator.roster(account_id)
               if entry.user.role == Role.AGENT and entry.presence == Presence.ONLINE)


def stop_on_sigterm() -> None:
    """`kill` stops the run as Ctrl-C does: the change under way rolls back or commits."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@click.command("simulate-chats")
@click.option("--account", "account_name", required=True, help="An existing account's name.")
@click.option("--rate", type=Rate(), default="5/s", show_default=True,
              help="New chats per second (5/s) or minute (120/m).")
@click.option("--for", "duration", type=Duration(), default="60s", show_default=True,
              help="How long new chats keep coming (60s, 5m, 1h).")
@click.option("--chat-length", type=Duration(), default="20s", show_default=True,
              help="About how long a conversation lasts once an agent has it.")
@click.option("--leave-open", is_flag=True,
              help="Stop when the time is up, leaving the open chats open.")
@click.option("--seed", "seed_value", type=int, help="Repeatable channels, names and timings.")
def simulate_chats_command(account_name, rate, duration, chat_length, leave_open, seed_value):
    """Send chats into an account as its chat platform would, for watching Monitoring."""
    account_name = checked_account_name(account_name)
    account = find_account(account_name)
    if account is None:
        fail(f'There is no account named "{account_name}".')
    simulation = Simulation(account, rate, duration, chat_length, leave_open,
                            random.Random(seed_value))  # noqa: S311  (not secrets)
    channels = served_channels(account.id)
    online = online_agents(account.id)
    db.session.rollback()
    click.echo(f"Sending {rate:g} chats a second to {account.name} for {duration:g} s on "
               + (", ".join(channels) if channels else
                  "any channel (no division names one: every division takes every chat)")
               + f"; {online} agents are Online. Ctrl-C stops.")
    if not online:
        click.echo("Nobody is Online: chats wait in the queue until an agent comes Online "
                   "(seed-demo sets some demo agents Online).")
    stop_on_sigterm()
    try:
        simulation.run()
    except KeyboardInterrupt:
        click.echo(f"Stopped; {len(simulation.open)} chats of this run are still open.")
    tally = simulation.tally
    click.echo(f"Sent {tally.sent} chats and {tally.messages} messages, resolved "
               f"{tally.resolved}; {tally.problems} changes or reads refused or failed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(simulate_chats_command)
