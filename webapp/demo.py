"""`flask --app wsgi seed-demo`: fill an account with realistic demo users, fast.

Meant for trying the app and for bench/: 100,000 users go in within seconds, so the rows are
written with one bulk INSERT per batch instead of one ORM object each.
"""

import random
import secrets
import time
import unicodedata
from datetime import timedelta

import click
from flask import Flask
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from .commands import checked_account_name, fail, find_account
from .database import write_transaction
from .extensions import db
from .models import Account, Division, Role, Status, User, searchable_text, utcnow
from .users.service import hash_new_password

DIVISIONS = ("Sales", "Support", "Billing", "Onboarding", "Retention")
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
    """The account's divisions, after adding any of the demo ones it lacks."""
    have = {division.name.lower() for division in account.divisions}
    for name in DIVISIONS:
        if name.lower() not in have:
            account.divisions.append(Division(name=name))
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


@click.command("seed-demo")
@click.option("--account", "account_name", required=True, help="Account name; created if missing.")
@click.option("--users", "count", type=click.IntRange(1, 1_000_000), default=1000,
              show_default=True, help="How many demo users to add.")
@click.option("--seed", "seed_value", type=int, help="Repeatable names and roles.")
def seed_demo_command(account_name, count, seed_value):
    """Add realistic demo users (and a few divisions) to an account, for trying things out."""
    account_name = checked_account_name(account_name)
    began = time.perf_counter()
    try:
        account = seed(account_name, count, random.Random(seed_value))  # noqa: S311  (not secrets)
    except IntegrityError:  # a hand-made user took one of the demo usernames or emails
        fail("A demo username or email is already taken; nothing was added.")
    click.echo(f"Added {count:,} demo users to account {account.name} "
               f"in {time.perf_counter() - began:.1f} s.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
