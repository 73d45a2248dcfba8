"""My chats (Agents and Supervisors) and Monitoring (Supervisors and Admins), SPEC §7.

Each URL renders the whole page for a plain request and the piece htmx swaps for an htmx
request (webapp.htmx); the lists poll themselves. Every move calls webapp.chats.allocator,
whose rules decide: a refusal (`Refused`) answers 409 (or 422) with its message in a popup,
or above the form on a page without JavaScript.
"""

from datetime import datetime, timedelta

from babel.dates import format_timedelta
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import htmx
from ..auth.routes import landing_page
from ..channels import CHANNEL_LABELS
from ..extensions import db
from ..i18n import current_language
from ..labels import PRESENCE_LABELS, channel_label
from ..models import ActorKind, Chat, ChatDecision, ChatStatus, DecisionReason, Role, User, utcnow
from ..views import finished, get_or_404
from . import allocator, bp, screens
from .allocator import Actor, Refused
from .forms import ActionForm, AssignForm, HandOnForm

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


def is_poll() -> bool:
    """Whether this is a list polling itself (#my-chats, #monitoring), not a person's click."""
    return (request.method == "GET" and htmx.is_partial_request()
            and request.headers.get("HX-Trigger") in ("my-chats", "monitoring"))


def leave_if_polling() -> None:
    """A list left open after the person's role changed polls a screen they may no longer
    open: send the tab to the screen their role has now (one full load), rather than a
    refusal toast every few seconds for ever."""
    if is_poll():
        abort(htmx.redirect(make_response("", 200), landing_page(current_user)))


def problem_popup(status: int, message: str):
    """A refusal in a popup of its own, for htmx: into the page's dialog slot, outside the
    polled lists, so the next poll leaves it open until it is closed; the lists refresh."""
    response = make_response(render_template("chats/_problem.html", problem=message,
                                             as_page=False), status)
    return htmx.trigger(htmx.into_dialog_slot(response), CHATS_CHANGED)


class Moved(Exception):
    """The chat was resolved or moved since the page showing it was drawn (a 409 saying
    what happened, never a role error). `screen`: the page a whole-page answer shows."""

    def __init__(self, chat: Chat, screen: str):
        super().__init__(chat.id)
        self.chat, self.screen = chat, screen


def what_happened(chat: Chat) -> str:
    """What became of a chat meanwhile, in words."""
    if chat.status == ChatStatus.RESOLVED:
        return _("This chat has been resolved meanwhile.")
    if chat.status == ChatStatus.QUEUED:
        return _("This chat has gone back to the queue meanwhile.")
    return _("This chat has moved to %(agent)s meanwhile.", agent=chat.agent.username)


@bp.errorhandler(Moved)
def moved(error: Moved):
    """409 with what happened: a popup for htmx, the screen with the message otherwise."""
    message = what_happened(error.chat)
    if htmx.is_partial_request():
        return problem_popup(409, message)
    if error.screen == "monitoring":
        return render_monitoring(409, message)
    return render_my_chats(409, message)


# -- My chats -------------------------------------------------------------------------------

def require_my_chats() -> None:
    """My chats is for Agents and Supervisors; an Admin holds no chats (403)."""
    if not screens.may_hold_chats(current_user):
        leave_if_polling()
        abort(403)


def my_chats_context(problem: str | None = None) -> dict:
    """What My chats shows: one's chats, and what one may do with them."""
    account = current_user.account
    agent = current_user.role == Role.AGENT
    return {"chats": screens.my_chats(me()), "agent": agent,
            "online": agent and screens.is_online(me()), "problem": problem,
            "can_take": account.agent_can_take_over and agent,
            "can_transfer": account.agent_can_transfer, "form": ActionForm()}


def render_my_chats(status: int = 200, problem: str | None = None):
    """My chats, or its list for htmx; a problem (a refusal) shows in a popup outside the
    polled list, or on the whole page."""
    if problem is not None and htmx.is_partial_request():
        return problem_popup(status, problem)
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
        return said(_("No chat is waiting for you"))
    return said(_("New chat: %(customer)s (%(channel)s)", customer=customer_of(chat),
                  channel=channel_label(chat.channel)))


def once_held(chat: Chat) -> bool:
    """Whether the chat was ever given to the logged-in person."""
    return db.session.scalar(select(ChatDecision.id).where(
        ChatDecision.chat_id == chat.id, ChatDecision.to_agent_id == current_user.id)
        .limit(1)) is not None


def my_chat_or_404(chat_id: int) -> Chat:
    """A chat of the account that one holds now: another account's is a 404, one never
    one's own a 403, one resolved or moved since one held it a 409 saying so (Moved)."""
    chat = get_or_404(Chat, chat_id)
    if chat.agent_id == current_user.id and chat.status == ChatStatus.ASSIGNED:
        return chat
    if not once_held(chat):
        abort(403)
    raise Moved(chat, "my_chats")


@bp.post("/chats/<id:chat_id>/resolve")
def resolve(chat_id: int):
    """The conversation is over: the chat leaves one's list, and one has room again.
    Resolving a chat one held that is already resolved (a second click) changes nothing
    and says so."""
    require_my_chats()
    if not ActionForm().validate_on_submit():
        abort(400)
    chat = get_or_404(Chat, chat_id)
    if chat.status == ChatStatus.RESOLVED and once_held(chat):
        return said(_("This chat is already resolved."))
    chat = my_chat_or_404(chat_id)
    try:
        allocator.resolve_chat(current_user.account_id, chat.id, Actor.of_user(me()))
    except Refused as problem:
        return render_my_chats(problem.status, problem.message)
    return said(_("Chat with %(customer)s resolved", customer=customer_of(chat)))


def said(message: str):
    """My chats again with a message: a toast for htmx, flashed on the page otherwise."""
    if not htmx.is_partial_request():
        flash(message, "success")
        return redirect(url_for("chats.index"))
    return htmx.toast(render_my_chats(), message)


def customer_of(chat: Chat) -> str:
    """The customer as messages name them: their name, else the platform's id."""
    return chat.customer_name or chat.external_id


def transfer_form(chat: Chat, **kwargs) -> HandOnForm:
    """An Agent's Transfer: to an agent offered (or named though no longer offered: the
    allocator says why not), or back to the queue."""
    form = HandOnForm(screens.targets(chat, me()), others=screens.nameable(chat, me()),
                      **kwargs)
    form.to.label.text = _("Transfer to")
    return form


def render_transfer(chat: Chat, form: HandOnForm, status: int = 200):
    """The Transfer dialog (a page without JavaScript)."""
    return htmx.render("chats/transfer.html", "chats/_transfer_dialog.html", status,
                       chat=chat, form=form)


def require_transfer_allowed() -> None:
    """Agents transfer only where the account allows it (403)."""
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
    agent = None if form.to_queue else get_or_404(User, form.agent_id)
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
        if not screens.may_monitor(current_user) and once_held(chat):
            raise Moved(chat, "my_chats")
        abort(403)
    back = url_for("chats.monitoring" if screens.may_monitor(current_user) else "chats.index")
    return htmx.render("chats/history.html", "chats/_history_dialog.html", chat=chat,
                       decisions=allocator.decisions_of(chat), actor_label=actor_label,
                       back=back)


# -- Monitoring ----------------------------------------------------------------------------------

def require_monitoring() -> None:
    """Monitoring is for Supervisors and Admins (403 for Agents)."""
    if not screens.may_monitor(current_user):
        leave_if_polling()
        abort(403)


def monitoring_context() -> dict:
    """What Monitoring shows: the queue, the open and flagged chats, and the agents."""
    user = me()
    return {"queue": screens.queue(user), "open": screens.open_chats(user),
            "flagged": screens.open_chats(user, flagged_only=True), "team": screens.team(user),
            "division": None if current_user.is_admin else current_user.division}


@bp.get("/monitoring")
def monitoring():
    """The waiting chats with their places and waiting times, every open chat with its
    agent, the chats the idle rule flagged, and the agents' presence and loads. Polled."""
    require_monitoring()
    return render_monitoring()


def render_monitoring(status: int = 200, problem: str | None = None):
    """Monitoring, or its sections for htmx; a problem shows in a popup (on the page)."""
    if problem is not None and htmx.is_partial_request():
        return problem_popup(status, problem)
    return htmx.render("chats/monitoring.html", "chats/_monitoring.html", status,
                       problem=problem, **monitoring_context())


def watched_chat_or_404(chat_id: int) -> Chat:
    """A chat of the account in one's scope: another account's is a 404, one outside a
    Supervisor's division a 403."""
    chat = get_or_404(Chat, chat_id)
    if not screens.in_scope(me(), chat):
        abort(403)
    return chat


def assign_form(chat: Chat, **kwargs) -> AssignForm:
    """A Supervisor's or Admin's Assign (a waiting chat) or Transfer (an open one)."""
    form = AssignForm(screens.targets(chat, me()), others=screens.nameable(chat, me()),
                      queue_allowed=chat.status == ChatStatus.ASSIGNED, **kwargs)
    form.to.label.text = (_("Assign to") if chat.status == ChatStatus.QUEUED
                          else _("Transfer to"))
    return form


def render_assign(chat: Chat, form: AssignForm, status: int = 200, full: str | None = None):
    """The Assign dialog (a page without JavaScript); `full`: the confirm popup's words."""
    return htmx.render("chats/assign.html", "chats/_assign_dialog.html", status,
                       chat=chat, form=form, full=full)


def assignable_or_409(chat: Chat) -> None:
    """A resolved chat is no longer anyone's to move (409, saying so)."""
    if chat.status == ChatStatus.RESOLVED:
        raise Moved(chat, "monitoring")


@bp.get("/monitoring/chats/<id:chat_id>/assign")
def assign_dialog(chat_id: int):
    """Assign a waiting chat to an agent, or transfer an open one (to an agent or back to
    the queue), as a Supervisor or Admin."""
    require_monitoring()
    chat = watched_chat_or_404(chat_id)
    assignable_or_409(chat)
    return render_assign(chat, assign_form(chat, data={"holder": chat.agent_id}))


@bp.post("/monitoring/chats/<id:chat_id>/assign")
def assign(chat_id: int):
    """Give the chat to the chosen agent (past their Workload only once confirmed, and
    recorded so), or send it back to the queue."""
    require_monitoring()
    chat = watched_chat_or_404(chat_id)
    assignable_or_409(chat)
    form = assign_form(chat)
    if not form.validate_on_submit():
        return render_assign(chat, form, 422)
    if "holder" in request.form and form.holder.data != chat.agent_id:
        # Drawn for another holder (or for the queue): the dialog again, as the chat is now.
        # (A POST without the field, not from this dialog, acts on the chat as it is now.)
        form.holder.data, form.holder.raw_data = chat.agent_id, None
        form.form_errors.append(what_happened(chat))
        return render_assign(chat, form, 409)
    agent = None if form.to_queue else get_or_404(User, form.agent_id)
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
