"""The app's screens, each reached the way an admin reaches it: the accessibility test checks
every one with axe-core, and `make screenshots` photographs every one."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from flask import Flask
from playwright.sync_api import Locator, Page, expect

from webapp.agents import service as agents
from webapp.chats import allocator
from webapp.chats.allocator import Actor
from webapp.extensions import db
from webapp.models import ActorKind, DecisionReason, Presence, User, utcnow
from webapp.presence import service as presence

from .live import Demo, Person, login

# The sizes issue 10 asks the users screens to work at (and be photographed at).
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def users_page(page: Page, demo: Demo) -> None:
    login(page, demo.admin)
    page.get_by_role("region", name=demo.t("Account Management")).get_by_role(
        "link", name=demo.t("Users"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/users$"))
    page.wait_for_load_state()  # htmx is set up: clicks now make htmx requests
    expect(page.locator("#user-rows").get_by_role("row")).to_have_count(len(demo.users))


def create_dialog(page: Page, demo: Demo) -> Locator:
    users_page(page, demo)
    page.get_by_role("button", name=demo.t("+ Create User")).click()
    dialog = page.get_by_role("dialog", name=demo.t("Create User"))
    expect(dialog.get_by_label(demo.t("First name"), exact=True)).to_be_focused()
    return dialog


def required(demo: Demo, label: str) -> str:
    """The message under a missing field, in the demo team's language."""
    return demo.t("%(label)s field is required", label=demo.t(label))


def row_of(page: Page, username: str) -> Locator:
    return page.locator("#user-rows").get_by_role("row").filter(
        has=page.get_by_role("cell", name=username, exact=True))


def login_screen(page: Page, demo: Demo) -> None:
    page.goto("/login")
    if demo.language != "en":  # a visitor's browser speaks English: they switch
        page.locator(f'button[name="language"][value="{demo.language}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", demo.language)
    expect(page.get_by_role("button", name=demo.t("Login"))).to_be_visible()


def settings_screen(page: Page, demo: Demo) -> None:
    login(page, demo.admin)
    expect(page.get_by_role("region", name=demo.t("Account Management"))).to_be_visible()


def users_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)  # the README's picture: a laptop's screen
    users_page(page, demo)


def create_dialog_errors(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    errors_beside_their_fields(page, demo)


def errors_beside_their_fields(page: Page, demo: Demo) -> None:
    """The form once its popup error is closed: every problem under its own field, next to
    the missing ones, with the password rules and the Division hint."""
    dialog = create_dialog(page, demo)
    dialog.get_by_label(demo.t("Last name"), exact=True).fill("Hartono")
    dialog.get_by_label(demo.t("Username"), exact=True).fill(demo.users[2].username)
    dialog.get_by_label(demo.t("Email"), exact=True).fill("dewi.hartono@")
    dialog.get_by_label(demo.t("Role"), exact=True).select_option("Agent")
    dialog.get_by_label(demo.t("Password"), exact=True).fill("secret")
    dialog.get_by_label(demo.t("Confirm password"), exact=True).fill("secret")
    dialog.get_by_role("button", name=demo.t("Create"), exact=True).click()
    popup = page.get_by_role("dialog", name=demo.t("Please correct the following"))
    popup.get_by_role("button", name=demo.t("Close")).click()
    expect(dialog.get_by_label(demo.t("First name"), exact=True)).to_be_focused()  # popup gone
    expect(dialog.get_by_text(required(demo, "First name"))).to_be_visible()
    expect(dialog.get_by_text(required(demo, "Division"))).to_be_visible()
    expect(dialog.get_by_label(demo.t("Username"), exact=True)).to_have_accessible_description(
        demo.t("Username is already taken."))


def popup_error(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    dialog = create_dialog(page, demo)
    dialog.get_by_label(demo.t("First name"), exact=True).fill("Dewi")
    dialog.get_by_label(demo.t("Last name"), exact=True).fill("Hartono")
    dialog.get_by_label(demo.t("Username"), exact=True).fill(demo.users[2].username)
    dialog.get_by_label(demo.t("Email"), exact=True).fill("dewi.hartono@")
    dialog.get_by_label(demo.t("Phone"), exact=True).fill("0812")
    dialog.get_by_label(demo.t("Role"), exact=True).select_option("Agent")
    dialog.get_by_label(demo.t("Division"), exact=True).select_option("Support")
    dialog.get_by_label(demo.t("Password"), exact=True).fill("secret")
    dialog.get_by_label(demo.t("Confirm password"), exact=True).fill("secret1")
    dialog.get_by_role("button", name=demo.t("Create"), exact=True).click()
    popup = page.get_by_role("dialog", name=demo.t("Please correct the following"))
    expect(popup.get_by_role("button", name=demo.t("Close"))).to_be_focused()


def edit_row(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    users_page(page, demo)
    username = demo.users[2].username
    row = row_of(page, username)
    row_id = row.get_attribute("id")
    row.get_by_role("link", name=demo.t("Edit"), exact=True).click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=demo.t("Save"))).to_be_visible()


def password_dialog(page: Page, demo: Demo) -> None:
    edit_row(page, demo)
    page.get_by_role("button", name=demo.t("Change Password")).click()
    dialog = page.get_by_role("dialog", name=demo.t("Change Password"))
    expect(dialog.get_by_label(demo.t("New password"))).to_be_focused()


def delete_popup(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    users_page(page, demo)
    row_of(page, demo.users[3].username).get_by_role("button", name=demo.t("Delete"),
                                                     exact=True).click()
    popup = page.get_by_role("dialog", name=demo.t("Are you sure want to delete this data?"))
    expect(popup.get_by_role("button", name=demo.t("Delete"))).to_be_visible()


# name (also the screenshot's file name) → how to get there
STATES: dict[str, Callable[[Page, Demo], None]] = {
    "login": login_screen,
    "settings": settings_screen,
    "users": users_screen,
    "create-dialog-errors": create_dialog_errors,
    "popup-error": popup_error,
    "edit-row": edit_row,
    "password-dialog": password_dialog,
    "delete-popup": delete_popup,
}

# The states whose request answers 422 (a form with its errors), which Chromium logs.
ANSWERS_422 = {"create-dialog-errors", "popup-error"}


# -- Profile (issue 10): every user's own page, where Agents and Supervisors land ------------

def profile_of_an_agent(page: Page, demo: Demo) -> None:
    login(page, demo.users[2])  # Dewi Lestari, an Agent: lands on My chats
    # Her browser reports its time zone on the first page; shown on the next page she
    # opens, whichever state comes first.
    page.wait_for_load_state("networkidle")
    page.goto("/profile")
    expect(page.get_by_role("heading", name=demo.t("Profile"), exact=True)).to_be_visible()


def profile_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(LAPTOP)
    profile_of_an_agent(page, demo)


def profile_phone_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    profile_of_an_agent(page, demo)


STATES["profile"] = profile_screen
STATES["profile-phone"] = profile_phone_screen


# -- Users list (issue 10): at phone width, and a row edited there ----------------------------

def users_phone_screen(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    users_page(page, demo)


def edit_row_phone(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    users_page(page, demo)
    username = demo.users[2].username
    row = page.locator("#user-rows > tr").filter(has_text=username).first
    row_id = row.get_attribute("id")
    row.get_by_role("link", name=demo.t("Edit"), exact=True).click()
    expect(page.locator(f"#{row_id}").get_by_role("button", name=demo.t("Save"))).to_be_visible()


STATES["users-phone"] = users_phone_screen
STATES["edit-row-phone"] = edit_row_phone


# -- Forms (issue 10): the create dialog's errors beside their fields on a phone -------------

def create_dialog_errors_phone(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)
    errors_beside_their_fields(page, demo)


STATES["create-dialog-errors-phone"] = create_dialog_errors_phone
ANSWERS_422.add("create-dialog-errors-phone")


# -- My chats and Monitoring (issue 14): a team at work ------------------------------------
# Not in STATES (whose every screen the accessibility test reaches with a bare demo team):
# these need the chats `team_at_work` makes, so `make screenshots` makes them first.

# The chat platform, as the API would name it in a chat's history.
PLATFORM = Actor(ActorKind.API, None, "platform")
# (customer, channel, minutes after the story starts it arrives)
DEMO_CHATS = (
    ("Ani Wijaya", "livechat", 0),
    ("Bayu Hidayat", "email", 2),
    ("Citra Kusuma", "telegram", 4),
    ("Dimas Nugroho", "whatsapp", 5),
    ("Eka Setiawan", "whatsapp", 7),
    ("Fajar Siregar", "whatsapp", 12),
    ("Gita Halim", "instagram", 14),
    ("Intan Lubis", "livechat", 20),
    ("Hendra Gunawan", "whatsapp", 22),
    ("Kartika Sari", "email", 25),
)
# (customer, who writes, minutes after the story starts): Bayu is never answered; Intan and
# Kartika wait for an answer, not yet for the idle period.
DEMO_MESSAGES = (
    ("Ani Wijaya", allocator.CUSTOMER, 1), ("Ani Wijaya", allocator.AGENT, 1.5),
    ("Bayu Hidayat", allocator.CUSTOMER, 3),
    ("Citra Kusuma", allocator.CUSTOMER, 5), ("Citra Kusuma", allocator.AGENT, 6),
    ("Dimas Nugroho", allocator.CUSTOMER, 6), ("Dimas Nugroho", allocator.AGENT, 6.5),
    ("Eka Setiawan", allocator.CUSTOMER, 8), ("Eka Setiawan", allocator.AGENT, 9),
    ("Intan Lubis", allocator.CUSTOMER, 26),
    ("Kartika Sari", allocator.CUSTOMER, 27),
)
# The chat whose history the Why? screenshot opens: the idle rule took it from Agus, gave it
# to Dewi, and flagged it when she did not answer either.
IDLE_CUSTOMER = "Bayu Hidayat"
STORY_MINUTES = 30


def team_at_work(app: Flask, demo: Demo) -> None:
    """Half an hour of the demo team's day, played through the app's own services at past
    moments, as the allocator would have lived it: Support serves Live Chat, Email and
    Telegram, Sales WhatsApp and Instagram; Dewi, Agus and Maya (Workload 2) are Online, Joko
    Away (all set as the API sets presence); chats arrive and go to them by Auto allocation,
    Sales' wait in the queue once Maya is full; the idle rule (5 minutes, 1 try) hands Bayu's
    unanswered chat from Agus to Dewi and then flags it; Budi, their Supervisor, moves
    Citra's chat to Agus. Dewi ends with 3 of 5 chats (one flagged), Agus 2 of 5, Maya 2 of 2,
    and three chats wait."""
    siti, budi, dewi, agus, rina, _eko, maya, joko = demo.users
    with app.app_context():
        def user(person: Person) -> User:
            return db.session.get(User, person.id)

        admin = user(siti)
        account_id = admin.account_id
        divisions = {division.name: division for division in agents.account_divisions(account_id)}
        serving = {"Support": ["livechat", "email", "telegram"], "Sales": ["whatsapp", "instagram"]}
        for name, channels in serving.items():
            agents.update_division(divisions[name], name, channels, admin)
        # The platform names the division of each chat it sends (the one serving its channel).
        division_of = {channel: divisions[name].id
                       for name, channels in serving.items() for channel in channels}
        agents.save_allocation(account_id, {"auto_allocation": True,
                                            "agent_can_take_over": True,
                                            "agent_can_transfer": True}, admin)
        agents.save_workload_settings(account_id, {"default_workload": 5, "idle_rule_on": True,
                                                   "idle_minutes": 5, "idle_tries": 1}, admin)
        agents.set_agent_workload(user(maya), 2, admin)
        for person, shown in ((dewi, Presence.ONLINE), (agus, Presence.ONLINE),
                              (maya, Presence.ONLINE), (joko, Presence.AWAY),
                              (budi, Presence.ONLINE), (rina, Presence.AWAY)):
            presence.set_presence_by_api(user(person), shown)

        start = utcnow() - timedelta(minutes=STORY_MINUTES)
        chats: dict[str, int] = {}

        def arrives(customer: str, channel: str, number: int, moment: datetime) -> None:
            chat, _created = allocator.receive_chat(
                account_id, channel=channel, external_id=f"{channel}-{4100 + number}",
                customer_name=customer, division_id=division_of[channel], actor=PLATFORM,
                now=moment)
            chats[customer] = chat.id

        def writes(customer: str, sender: str, moment: datetime) -> None:
            allocator.note_message(account_id, chats[customer], sender, PLATFORM, now=moment)

        def supervisor_moves(customer: str, to: Person, moment: datetime) -> None:
            allocator.assign_chat(account_id, chats[customer], user(to),
                                  Actor.of_user(user(budi)), DecisionReason.SUPERVISOR,
                                  now=moment)

        def idle_rule(moment: datetime) -> None:
            allocator.apply_idle_rule(account_id, now=moment)

        # In the order it happened: each step sees the loads of its moment.
        timeline = [(minute, partial(arrives, customer, channel, number))
                    for number, (customer, channel, minute) in enumerate(DEMO_CHATS, start=1)]
        timeline += [(minute, partial(writes, customer, sender))
                     for customer, sender, minute in DEMO_MESSAGES]
        timeline += [
            (9, idle_rule),  # Bayu waited 6 minutes: from Agus to Dewi, who does not answer
            (13, partial(supervisor_moves, "Citra Kusuma", agus)),
            (15, idle_rule),  # tried once already: flagged, and it stays with Dewi
        ]
        for minute, step in sorted(timeline, key=lambda event: event[0]):
            step(start + timedelta(minutes=minute))


def my_chats_screen(page: Page, demo: Demo) -> None:
    """Dewi's My chats: three chats, one flagged by the idle rule, and Get New Chat."""
    page.set_viewport_size(LAPTOP)
    login(page, demo.users[2])  # Dewi Lestari, an Agent: lands on My chats
    expect(page.locator("#my-chat-rows > tr")).to_have_count(3)
    expect(page.locator("#my-chat-rows").get_by_text(demo.t("Flagged by the idle rule"))
           ).to_be_visible()
    expect(page.get_by_role("button", name=demo.t("Get New Chat"))).to_be_visible()


def monitoring_page(page: Page, demo: Demo) -> None:
    login(page, demo.admin)
    page.get_by_role("link", name=demo.t("Monitoring"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/monitoring$"))
    page.wait_for_load_state()  # htmx is set up: the Why? buttons open their dialog
    expect(page.locator("#queue-rows > tr")).to_have_count(3)
    expect(page.locator("#team-rows > tr").filter(has_text="maya.p")).to_contain_text("2/2")


def monitoring_screen(page: Page, demo: Demo) -> None:
    """Siti's Monitoring, tall enough for all of it: the queue, the flagged chat, the open
    chats and the agents with their presence and loads."""
    page.set_viewport_size({"width": LAPTOP["width"], "height": 1650})
    monitoring_page(page, demo)


def monitoring_why_screen(page: Page, demo: Demo) -> None:
    """Why? on the flagged chat: Auto to Agus, the idle rule to Dewi, then flagged."""
    page.set_viewport_size(LAPTOP)
    monitoring_page(page, demo)
    page.locator("#flagged-rows").get_by_role(
        "button", name=demo.t("Why? (%(customer)s)", customer=IDLE_CUSTOMER)).click()
    dialog = page.get_by_role("dialog", name=demo.t("Why? The chat with %(customer)s",
                                                    customer=IDLE_CUSTOMER))
    expect(dialog.locator("#history-rows > tr")).to_have_count(3)


CHAT_STATES: dict[str, Callable[[Page, Demo], None]] = {
    "my-chats": my_chats_screen,
    "monitoring": monitoring_screen,
    "monitoring-why": monitoring_why_screen,
}
