"""`flask --app wsgi seed-demo`: fill an account with realistic demo users, fast, and make it
ready for chats: divisions serving channels, some agents Online or Away, a history of chats.

Meant for trying the app and for bench/: 100,000 users go in within seconds, so the rows are
written with one bulk INSERT per batch instead of one ORM object each. The chats of the
history go through the allocator itself (`receive_chat`, `resolve_chat`, at past moments),
all in one transaction, so each was given by its rules and its decisions are recorded as
they would have been.
"""

import heapq
import random
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import Flask
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .channels import in_order
from .chats import allocator
from .chats.allocator import Actor
from .commands import checked_account_name, fail, find_account
from .database import write_transaction
from .extensions import db
from .models import (
    Account,
    ActorKind,
    Chat,
    ChatStatus,
    Division,
    Presence,
    Role,
    Status,
    User,
    searchable_text,
    utcnow,
)
from .presence.service import shown_as
from .users.service import hash_new_password

# The demo divisions and the channels each serves (a channel may have two: an email goes to
# Support or Billing, whoever has room).
DIVISION_CHANNELS = {
    "Sales": ("whatsapp", "instagram"),
    "Support": ("livechat", "email", "telegram"),
    "Billing": ("email",),
    "Onboarding": ("livechat", "whatsapp"),
    "Retention": ("facebook", "line"),
}
DIVISIONS = tuple(DIVISION_CHANNELS)
# In each demo division this many Agents are Online and Away, set as the API sets presence:
# it holds while nobody has a page open. With the default Workload of 5, the 15 Online take
# 75 chats at once, a little less than `simulate-chats` sends at its default rate.
ONLINE_PER_DIVISION = 3
AWAY_PER_DIVISION = 1
# The history: chats that arrived over these last hours and lasted a few minutes each.
HISTORY_CHATS = 300
HISTORY_HOURS = 8
CHAT_MINUTES = (2, 25)
HISTORY_BATCH = 20  # events of the history (arrivals and ends) written per transaction
SEEDER = Actor(ActorKind.COMMAND_LINE, None, "seed-demo")
BATCH = 5_000
# Most people answer chats; a few lead a team; a handful run the account.
ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
ROLE_WEIGHTS = (85, 12, 3)
DISABLED_SHARE = 0.04
PHONE_SHARE = 0.8
HISTORY = timedelta(days=730)  # creation dates spread over two years, oldest first

FIRST_NAMES = """
Adi Agus Ahmad Aisyah Andi Anita Arif Ayu Bambang Budi Citra Dewi Dian Dimas Eka Fajar Fitri
Gita Hadi Hendra Indah Intan Joko Kartika Lestari Maya Nur Putri Rina Rizky Sari Siti Taufik
Teguh Wahyu Wulan Yanti Yusuf Ann Amelia Ben Charlotte Chloe Daniel David Ella Emily Emma
Ethan George Grace Hannah Harry Isabella Jack James Jessica Liam Lily Lucas Mason Mia Noah
Oliver Olivia Sophie Thomas William Zoe Ana Carlos Diego Elena Javier José Lucía María Mateo
Sofía Valentina Ahmet Ayşe Emre Zeynep Björn Jürgen Lena Søren Åsa Łukasz Zofia Chen Hui Jun
Li Mei Wei Yan Hiroshi Yuki Sakura Minh Linh Anh Priya Rahul Arjun Deepa Kwame Amara Chidi
Fatima Omar Layla Hamza Noor Sven Ingrid François Chloé Amélie Raphaël Noémie
""".split()

LAST_NAMES = """
Santoso Wijaya Saputra Hidayat Kusuma Pratama Nugroho Setiawan Halim Gunawan Susanto Hartono
Wibowo Purnomo Siregar Nasution Lubis Harahap Simanjuntak Sinaga Tanjung Smith Johnson Brown
Taylor Wilson Davies Evans Thomas Roberts Walker Wright Robinson Thompson White Hughes Edwards
Green Hall Wood Harris Lewis Martin Jackson Clarke Clark Turner Hill Scott Cooper Morris Ward
King Baker Harrison Morgan Patel Anderson Nielsen Hansen Jensen García Fernández González
Rodríguez López Martínez Sánchez Pérez Gómez Díaz Müller Schmidt Schneider Fischer Weber
Öztürk Yılmaz Kaya Demir Nowak Kowalski Wiśniewski Wójcik Tan Lim Lee Ng Wong Chan Nguyen
Tran Pham Le Sato Suzuki Takahashi Tanaka Kim Park Choi Singh Sharma Gupta Khan Ali Okafor
Mensah Dubois Lefèvre Moreau Rossi Russo Ferrari Esposito Bianchi Silva Santos Oliveira
""".split()

EMAIL_DOMAINS = ("mail.example", "inbox.example", "post.example")
# Country code and the first digits of a mobile number there, and how many digits follow.
PHONE_PLANS = (("+62", "81", 9), ("+62", "85", 9), ("+1", "415", 7), ("+44", "7", 9),
               ("+65", "9", 7), ("+61", "4", 8), ("+49", "15", 9), ("+34", "6", 8))


def ascii_slug(name: str) -> str:
    """Letters of a name as plain lower-case ASCII, for usernames and emails: José → jose."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    return "".join(char for char in decomposed if char.isascii() and char.isalnum()).lower()


def divisions_for(account: Account) -> list[Division]:
    """The account's divisions, after adding any of the demo ones it lacks; a demo division
    that serves no channel yet gets its demo channels (channels chosen by an Admin stay)."""
    have = {division.name.lower(): division for division in account.divisions}
    for name, channels in DIVISION_CHANNELS.items():
        division = have.get(name.lower())
        if division is None:
            account.divisions.append(Division(name=name, channels=in_order(channels)))
        elif not division.channels:
            division.channels = in_order(channels)
    db.session.flush()
    return list(account.divisions)


def first_free_number() -> int:
    """Where this run's username numbers start, so runs never collide.

    Each demo user's number is at most its own id (both count up from here), and ids only
    grow: a number above every existing id was never given to a user who still exists.
    """
    return (db.session.scalar(select(func.max(User.id))) or 0) + 1


def demo_row(rng: random.Random, number: int, account_id: int, division_ids: list[int],
             password_hash: str, created_at) -> dict:
    """One user's column values, search_text computed by the model's own rule."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    handle = f"{ascii_slug(first)[:12]}.{ascii_slug(last)[:12]}{number}"
    role = rng.choices(ROLES, ROLE_WEIGHTS)[0]
    fields = {
        "first_name": first, "last_name": last, "username": handle,
        "email": f"{handle}@{rng.choice(EMAIL_DOMAINS)}", "phone": demo_phone(rng),
    }
    return fields | {
        "account_id": account_id,
        "role": role.value,
        "division_id": None if role is Role.ADMIN else rng.choice(division_ids),
        "status": (Status.DISABLED if rng.random() < DISABLED_SHARE else Status.ACTIVE).value,
        "password_hash": password_hash,
        "search_text": searchable_text(User(**fields)),
        "created_at": created_at,
    }


def demo_phone(rng: random.Random) -> str:
    if rng.random() > PHONE_SHARE:
        return ""
    country, prefix, digits = rng.choice(PHONE_PLANS)
    return country + prefix + "".join(rng.choices("0123456789", k=digits))


def insert_users(connection: Connection, rows: list[dict]) -> None:
    # A Core executemany: no ORM objects, no per-row events; the FTS5 triggers still fire.
    connection.execute(insert(User.__table__), rows)


def seed(account_name: str, count: int, rng: random.Random) -> Account:
    """Add `count` demo users (and the demo divisions) to the account, in one transaction."""
    # Hashing 100,000 passwords with scrypt would take hours: every demo user shares one hash
    # of a random password that is thrown away, so nobody can log in as a demo user.
    password_hash = hash_new_password(secrets.token_urlsafe(24))
    with write_transaction():
        account = find_account(account_name) or Account.create(account_name)
        division_ids = [division.id for division in divisions_for(account)]
        start, now = first_free_number(), utcnow()
        connection = db.session.connection()
        for batch_start in range(0, count, BATCH):
            insert_users(connection, [
                demo_row(rng, start + index, account.id, division_ids, password_hash,
                         now - HISTORY * (count - index) / count)
                for index in range(batch_start, min(batch_start + BATCH, count))
            ])
        return account


@dataclass
class Staffing:
    online: int = 0
    away: int = 0
    chats: int = 0


def staff(account_id: int, chats: int, rng: random.Random) -> Staffing:
    """Put demo agents Online and Away (one transaction that takes the allocation lock
    first, as every change around chats does), then play the history of chats in short
    transactions of their own (play_history)."""
    now = utcnow()
    with write_transaction():
        allocator.lock_allocation(account_id)
        staffing = Staffing()
        for division in db.session.scalars(select(Division).where(
                Division.account_id == account_id,
                func.lower(Division.name).in_([name.lower() for name in DIVISIONS]))):
            online, away = top_up_presence(account_id, division.id, now, rng)
            staffing.online += online
            staffing.away += away
        queued = db.session.scalar(select(func.count(Chat.id)).where(
            Chat.account_id == account_id, Chat.status == ChatStatus.QUEUED))
    if chats and not queued:  # a waiting chat would be given at a past moment
        staffing.chats = play_history(account_id, chats, now, rng)
    return staffing


def top_up_presence(account_id: int, division_id: int, now, rng: random.Random):
    """Make the division's Online and Away Agents as many as the demo wants (no more, so
    seeding again adds none); set as the API sets presence, so it never lapses. How many
    were set Online and Away."""
    agents = (User.account_id == account_id, User.division_id == division_id,
              User.role == Role.AGENT, User.status == Status.ACTIVE)
    changed = []
    for presence, wanted in ((Presence.ONLINE, ONLINE_PER_DIVISION),
                             (Presence.AWAY, AWAY_PER_DIVISION)):
        have = db.session.scalar(select(func.count(User.id)).where(
            *agents, shown_as(presence, now)))
        offline = db.session.scalars(select(User.id).where(
            *agents, User.presence == Presence.OFFLINE).order_by(User.id.desc()).limit(200)).all()
        chosen = rng.sample(offline, min(max(wanted - have, 0), len(offline)))
        if chosen:
            db.session.execute(update(User).where(User.id.in_(chosen)).values(
                presence=presence, presence_seen_at=now, presence_by_api=True)
                .execution_options(synchronize_session=False))
        changed.append(len(chosen))
    return tuple(changed)


def play_history(account_id: int, count: int, now, rng: random.Random) -> int:
    """`count` chats that arrived over the last HISTORY_HOURS and were resolved after a few
    minutes each, given by the allocator at the moments they happened (with the agents
    Online now), so every decision is the one its rules made then."""
    channels = served_channels(account_id)
    if not channels:
        return 0
    run = secrets.token_hex(3)
    span = timedelta(hours=HISTORY_HOURS)
    arrivals = sorted(now - span + span * rng.random() for _ in range(count))
    # (moment, order, what, which): arrivals and ends, played in time order.
    events = [(moment, number, "arrive", number) for number, moment in enumerate(arrivals)]
    heapq.heapify(events)
    chats: dict[int, int] = {}
    order = count
    # The history is written a few events at a time, each batch in a short transaction of
    # its own under the allocation lock, never all of it in one: seed-demo is run beside a
    # serving app, and one long transaction would hold the account's allocation lock (on
    # SQLite the database's only write lock) for the whole history, so every intake, Get
    # New Chat and presence change (on SQLite every write) would wait and then fail busy.
    while events:
        with write_transaction():
            allocator.lock_allocation(account_id)
            for _event in range(HISTORY_BATCH):
                if not events:
                    break
                order = play_event(account_id, events, chats, order, channels, run, now, rng)
    return len(chats)


def play_event(account_id: int, events: list, chats: dict[int, int], order: int,
               channels: list[str], run: str, now, rng: random.Random) -> int:
    """The next event of the history: a chat arrives (and its end is scheduled), or ends.
    The order number of the last event scheduled."""
    moment, _order, what, number = heapq.heappop(events)
    if what == "arrive":
        chat, _created = allocator.receive_chat(
            account_id, channel=rng.choice(channels), external_id=f"demo-{run}-{number}",
            customer_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            division_id=None, actor=SEEDER, now=moment)
        chats[number] = chat.id
        ends = min(moment + timedelta(minutes=rng.uniform(*CHAT_MINUTES)), now)
        order += 1
        heapq.heappush(events, (ends, order, "end", number))
    else:
        allocator.resolve_chat(account_id, chats[number], SEEDER, now=moment)
    return order


def served_channels(account_id: int) -> list[str]:
    lists = db.session.scalars(select(Division.channels).where(
        Division.account_id == account_id)).all()
    return in_order(channel for channels in lists for channel in channels or ())


@click.command("seed-demo")
@click.option("--account", "account_name", required=True, help="Account name; created if missing.")
@click.option("--users", "count", type=click.IntRange(1, 1_000_000), default=1000,
              show_default=True, help="How many demo users to add.")
@click.option("--chats", type=click.IntRange(0, 100_000), default=HISTORY_CHATS,
              show_default=True, help="How many past chats to add, resolved, with decisions.")
@click.option("--seed", "seed_value", type=int, help="Repeatable names and roles.")
def seed_demo_command(account_name, count, chats, seed_value):
    """Add realistic demo users (and a few divisions) to an account, for trying things out."""
    account_name = checked_account_name(account_name)
    began = time.perf_counter()
    rng = random.Random(seed_value)  # noqa: S311  (not secrets)
    try:
        account = seed(account_name, count, rng)
    except IntegrityError:  # a hand-made user took one of the demo usernames or emails
        fail("A demo username or email is already taken; nothing was added.")
    staffing = staff(account.id, chats, rng)
    click.echo(f"Added {count:,} demo users to account {account.name} "
               f"in {time.perf_counter() - began:.1f} s: {staffing.online} more Agents "
               f"Online and {staffing.away} Away, {staffing.chats:,} past chats.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
