"""My chats (Agents and Supervisors) and Monitoring (Supervisors and Admins), SPEC §7.

Each URL renders the whole page for a plain request and the piece htmx swaps for an htmx
request (webapp.htmx); the lists poll themselves. Every move calls webapp.chats.allocator,
whose rules decide: a refusal (`Refused`) answers 409 (or 422) with its message in a popup,
or above the form on a page without JavaScript.
"""

from datetime import datetime, timedelta

from babel.dates import format_timedelta
from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import htmx
from ..channels import CHANNEL_LABELS
from ..i18n import current_language
from ..labels import PRESENCE_LABELS, channel_label
from ..models import ActorKind, Chat, ChatStatus, DecisionReason, Role, User, utcnow
from ..views import finished, get_or_404
from . import allocator, bp, screens
from .allocator import Actor, Refused
from .forms import ActionForm, HandOnForm

CHATS_CHANGED = "chats-changed"
CLOSE_DIALOG = "close-dialog"
# The lists refresh themselves this often (SPEC §7: at least every 5 seconds).
POLL_SECONDS = 5

REASON_LABELS = {
    DecisionReason.ARRIVED: _l("Arrived"),
    DecisionReason.AUTO: _l("Auto"),
    DecisionReason.TAKEOVER: _l("Get New Chat"),
    DecisionReason.TRANSFER: _l("Transfer"),
    DecisionReason.SUPERVISOR: _l("Supervisor"),
    DecisionReason.IDLE_RULE: _l("Idle rule"),
    DecisionReason.IDLE_FLAGGED: _l("Flagged"),
    DecisionReason.AGENT_LEFT: _l("Agent left"),
    DecisionReason.CUSTOM: _l("Custom"),
    DecisionReason.RESOLVED: _l("Resolved"),
}


@bp.before_request
@login_required
def require_login() -> None:
    """Every screen here is for a logged-in person; each view checks the role."""


@bp.app_context_processor
def chat_screens() -> dict:
    """The header shows My chats and Monitoring to the roles that have them."""
    return {"has_my_chats": screens.may_hold_chats, "has_monitoring": screens.may_monitor,
            "chat_words": chat_words,
            "chats_poll_seconds": lambda: current_app.config.get("CHATS_POLL_SECONDS",
                                                                 POLL_SECONDS)}


def chat_words() -> dict:
    """The words every row of a chat list repeats, translated once per list: a polled list
    renders hundreds of rows every few seconds. The "…(%(customer)s)" ones are patterns,
    filled per row (`|format(customer=…)`)."""
    return {"customer": _("Customer"), "channel": _("Channel"), "agent": _("Agent"),
            "division": _("Division"), "place": _("Place"), "waiting": _("Waiting"),
            "waiting_since": _("Waiting since arrival"),
            "customer_waiting": _("Customer waiting"), "answered": _("Answered"),
            "flagged": _("Flagged by the idle rule"), "presence": _("Presence"),
            "load": _("Load"), "why": _("Why?"), "why_of": _("Why? (%(customer)s)"),
            "assign": _("Assign"), "assign_of": _("Assign (%(customer)s)"),
            "transfer": _("Transfer"), "transfer_of": _("Transfer (%(customer)s)"),
            "resolve": _("Resolve"), "resolve_of": _("Resolve (%(customer)s)"),
            "presences": {code: str(label) for code, label in PRESENCE_LABELS.items()},
            "channels": {code: str(label) for code, label in CHANNEL_LABELS.items()}}


@bp.app_template_filter("waited")
def waited(since: datetime | None) -> str:
    """How long ago `since` was, in words: "3 min", "3 mnt" ("" for None)."""
    if since is None:
        return ""
    return format_timedelta(max(utcnow() - since, timedelta(0)), threshold=1,
                            format="short", locale=current_language())


@bp.app_template_filter("reason_label")
def reason_label(reason: DecisionReason) -> str:
    """Why a chat moved, in words: "Auto", "Get New Chat", "Idle rule"…"""
    return str(REASON_LABELS.get(reason, reason))


def me() -> User:
    """The logged-in user itself (the allocator and the queries take a User, not a proxy)."""
    return current_user._get_current_object()


# -- My chats -------------------------------------------------------------------------------

def require_my_chats() -> None:
    """My chats is for Agents and Supervisors; an Admin holds no chats (403)."""
    if not screens.may_hold_chats(current_user):
        abort(403)


def my_chats_context(problem: str | None = None) -> dict:
    account = current_user.account
    agent = current_user.role == Role.AGENT
    return {"chats": screens.my_chats(me()), "agent": agent,
            "online": agent and screens.is_online(me()), "problem": problem,
            "can_take": account.agent_can_take_over and agent,
            "can_transfer": account.agent_can_transfer, "form": ActionForm()}


def render_my_chats(status: int = 200, problem: str | None = None):
    return htmx.render("chats/index.html", "chats/_my_chats.html", status,
                       **my_chats_context(problem))


@bp.get("/chats")
def index():
    """My chats: the chats one holds, with their waiting times; Get New Chat, transfer and
    resolve. Polled by htmx for the list alone."""
    require_my_chats()
    return render_my_chats()


@bp.post("/chats/next")
def take():
    """Get New Chat: the oldest waiting chat one may take, or why there is none."""
    require_my_chats()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        chat = allocator.take_next_chat(me())
    except Refused as problem:
        return render_my_chats(problem.status, problem.message)
    if chat is None:
        message, level = _("No chat is waiting for you"), "success"
    else:
        message = _("New chat: %(customer)s (%(channel)s)",
                    customer=chat.customer_name or chat.external_id,
                    channel=channel_label(chat.channel))
        level = "success"
    if not htmx.is_partial_request():
        flash(message, level)
        return redirect(url_for("chats.index"))
    return htmx.toast(render_my_chats(), message, level)


def my_chat_or_404(chat_id: int) -> Chat:
    """A chat of the account that one holds now: another account's is a 404, someone
    else's (or one no longer one's own) a 403."""
    chat = get_or_404(Chat, chat_id)
    if chat.agent_id != current_user.id or chat.status != ChatStatus.ASSIGNED:
        abort(403)
    return chat


@bp.post("/chats/<id:chat_id>/resolve")
def resolve(chat_id: int):
    """The conversation is over: the chat leaves one's list, and one has room again."""
    require_my_chats()
    chat = my_chat_or_404(chat_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        allocator.resolve_chat(current_user.account_id, chat.id, Actor.of_user(me()))
    except Refused as problem:
        return render_my_chats(problem.status, problem.message)
    message = _("Chat with %(customer)s resolved", customer=customer_of(chat))
    if not htmx.is_partial_request():
        flash(message, "success")
        return redirect(url_for("chats.index"))
    return htmx.toast(render_my_chats(), message)


def customer_of(chat: Chat) -> str:
    """The customer as messages name them: their name, else the platform's id."""
    return chat.customer_name or chat.external_id


def transfer_form(chat: Chat, **kwargs) -> HandOnForm:
    form = HandOnForm(screens.targets(chat, me()), **kwargs)
    form.to.label.text = _("Transfer to")
    return form


def render_transfer(chat: Chat, form: HandOnForm, status: int = 200):
    return htmx.render("chats/transfer.html", "chats/_transfer_dialog.html", status,
                       chat=chat, form=form)


def require_transfer_allowed() -> None:
    if not current_user.account.agent_can_transfer:
        abort(403)


@bp.get("/chats/<id:chat_id>/transfer")
def transfer_dialog(chat_id: int):
    """Transfer one's chat: to an Online agent with room, or back to the queue."""
    require_my_chats()
    chat = my_chat_or_404(chat_id)
    require_transfer_allowed()
    return render_transfer(chat, transfer_form(chat))


@bp.post("/chats/<id:chat_id>/transfer")
def transfer(chat_id: int):
    """Hand one's chat on; the allocator's refusal answers 409 with its reason."""
    require_my_chats()
    chat = my_chat_or_404(chat_id)
    require_transfer_allowed()
    form = transfer_form(chat)
    if not form.validate_on_submit():
        return render_transfer(chat, form, 422)
    agent = None if form.to_queue else get_or_404(User, form.target.id)
    try:
        allocator.assign_chat(current_user.account_id, chat.id, agent, Actor.of_user(me()),
                              DecisionReason.TRANSFER)
    except Refused as problem:
        form.form_errors.append(problem.message)
        return render_transfer(chat, form, problem.status)
    message = (_("Chat with %(customer)s sent back to the queue", customer=customer_of(chat))
               if agent is None else
               _("Chat with %(customer)s transferred to %(agent)s",
                 customer=customer_of(chat), agent=agent.username))
    return finished(message, url_for("chats.index"), CLOSE_DIALOG, CHATS_CHANGED)


# -- a chat's history ----------------------------------------------------------------------------

def actor_label(decision) -> str:
    """Who decided, in words: the allocator, a person, the integration by its name."""
    if decision.actor_kind == ActorKind.ALLOCATOR:
        return _("The allocator")
    if decision.actor_kind == ActorKind.API:
        return _("Integration %(name)s", name=decision.actor_name)
    if decision.actor_kind == ActorKind.COMMAND_LINE:
        return _("Command line")
    return decision.actor_name


@bp.get("/chats/<id:chat_id>/history")
def history(chat_id: int):
    """Why? The chat's decisions: when, what, from whom to whom, by whom, and the
    candidates with their loads at that moment. Agents read their own chats' only."""
    chat = get_or_404(Chat, chat_id)
    if not screens.may_read_history(me(), chat):
        abort(403)
    back = url_for("chats.monitoring" if screens.may_monitor(current_user) else "chats.index")
    return htmx.render("chats/history.html", "chats/_history_dialog.html", chat=chat,
                       decisions=allocator.decisions_of(chat), actor_label=actor_label,
                       back=back)


# -- Monitoring ----------------------------------------------------------------------------------

def require_monitoring() -> None:
    """Monitoring is for Supervisors and Admins (403 for Agents)."""
    if not screens.may_monitor(current_user):
        abort(403)


def monitoring_context() -> dict:
    user = me()
    return {"queue": screens.queue(user), "open": screens.open_chats(user),
            "flagged": screens.open_chats(user, flagged_only=True), "team": screens.team(user),
            "division": None if current_user.is_admin else current_user.division}


@bp.get("/monitoring")
def monitoring():
    """The waiting chats with their places and waiting times, every open chat with its
    agent, the chats the idle rule flagged, and the agents' presence and loads. Polled."""
    require_monitoring()
    return htmx.render("chats/monitoring.html", "chats/_monitoring.html",
                       **monitoring_context())


def watched_chat_or_404(chat_id: int) -> Chat:
    """A chat of the account in one's scope: another account's is a 404, one outside a
    Supervisor's division a 403."""
    chat = get_or_404(Chat, chat_id)
    if not screens.in_scope(me(), chat):
        abort(403)
    return chat


def assign_form(chat: Chat, **kwargs) -> HandOnForm:
    form = HandOnForm(screens.targets(chat, me()),
                      queue_allowed=chat.status == ChatStatus.ASSIGNED, **kwargs)
    form.to.label.text = (_("Assign to") if chat.status == ChatStatus.QUEUED
                          else _("Transfer to"))
    return form


def render_assign(chat: Chat, form: HandOnForm, status: int = 200, full: str | None = None):
    return htmx.render("chats/assign.html", "chats/_assign_dialog.html", status,
                       chat=chat, form=form, full=full)


def assignable_or_409(chat: Chat) -> None:
    if chat.status == ChatStatus.RESOLVED:
        abort(409)


@bp.get("/monitoring/chats/<id:chat_id>/assign")
def assign_dialog(chat_id: int):
    """Assign a waiting chat to an agent, or transfer an open one (to an agent or back to
    the queue), as a Supervisor or Admin."""
    require_monitoring()
    chat = watched_chat_or_404(chat_id)
    assignable_or_409(chat)
    return render_assign(chat, assign_form(chat))


@bp.post("/monitoring/chats/<id:chat_id>/assign")
def assign(chat_id: int):
    """Give the chat to the chosen agent (past their Workload only once confirmed, and
    recorded so), or send it back to the queue."""
    require_monitoring()
    chat = watched_chat_or_404(chat_id)
    form = assign_form(chat)
    if not form.validate_on_submit():
        return render_assign(chat, form, 422)
    agent = None if form.to_queue else get_or_404(User, form.target.id)
    try:
        allocator.assign_chat(current_user.account_id, chat.id, agent, Actor.of_user(me()),
                              DecisionReason.SUPERVISOR, over_capacity=bool(form.confirm.data))
    except Refused as problem:
        if problem.code == allocator.AGENT_FULL:
            # Past the Workload only on purpose: ask, and send the same choice confirmed.
            return render_assign(chat, form, 409, full=problem.message)
        form.form_errors.append(problem.message)
        return render_assign(chat, form, problem.status)
    customer = customer_of(chat)
    message = (_("Chat with %(customer)s sent back to the queue", customer=customer)
               if agent is None else
               _("Chat with %(customer)s assigned to %(agent)s", customer=customer,
                 agent=agent.username))
    return finished(message, url_for("chats.monitoring"), CLOSE_DIALOG, CHATS_CHANGED)
