"""Agent Management: Division, Agent Allocation and Workload (Admins only).

Each URL renders the whole page for a plain request and just the piece htmx swaps for an
htmx request (webapp.htmx), as the users screens do.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import htmx
from ..auth.access import require_admin
from ..extensions import db
from ..models import Division, User
from ..paging import paginate, requested_page
from ..views import finished, get_or_404
from . import bp, service
from .forms import (
    AgentWorkloadForm,
    AllocationForm,
    DeleteDivisionForm,
    DivisionForm,
    WorkloadSettingsForm,
)

bp.before_request(require_admin)

divisions = Blueprint("divisions", __name__, url_prefix="/divisions")
allocation = Blueprint("allocation", __name__, url_prefix="/allocation")
workload = Blueprint("workload", __name__, url_prefix="/workload")

DIVISIONS_CHANGED = "divisions-changed"
CLOSE_DIALOG = "close-dialog"
AGENTS_PER_PAGE = 50


# -- Division ------------------------------------------------------------------------------------

def division_list_context() -> dict:
    account_id = current_user.account_id
    divisions = service.account_divisions(account_id)
    counted = service.member_counts(account_id)
    return {"divisions": divisions,
            "members": {division.id: counted.get(division.id, service.Members())
                        for division in divisions}}


@divisions.get("")
def index():
    """The account's divisions: name, channels and members."""
    return htmx.render("agents/divisions.html", "agents/_division_list.html",
                       **division_list_context())


@divisions.get("/new")
def new():
    """The create-division form: a dialog for htmx, a page of its own otherwise."""
    form = DivisionForm(current_user.account_id)
    return htmx.render("agents/division_new.html", "agents/_division_create_dialog.html",
                       form=form)


@divisions.post("")
def create():
    """Create a division; errors answer 422 with the form, success closes the dialog."""
    form = DivisionForm(current_user.account_id)
    if form.validate_on_submit():
        try:
            division = service.create_division(current_user.account_id, form.name.data,
                                               form.channels.data, current_user)
        except IntegrityError as error:
            if not form.explain_integrity_error(error):
                raise
        else:
            return finished(_("Division %(name)s created", name=division.name),
                            url_for("agents.divisions.index"), CLOSE_DIALOG,
                            DIVISIONS_CHANGED, status=201)
    return htmx.render("agents/division_new.html", "agents/_division_create_form.html", 422,
                       form=form)


def render_row(division: Division, status: int = 200):
    return htmx.render("agents/division_show.html", "agents/_division_row.html", status,
                       division=division, members=service.members_of(division))


@divisions.get("/<id:division_id>")
def show(division_id: int):
    """One division's row: what "Cancel" on an inline edit goes back to."""
    return render_row(get_or_404(Division, division_id))


@divisions.get("/<id:division_id>/edit")
def edit(division_id: int):
    """The inline edit form of one division's row (a page of its own without htmx)."""
    division = get_or_404(Division, division_id)
    return htmx.render("agents/division_edit.html", "agents/_division_row_form.html",
                       form=DivisionForm.filled_from(division), division=division,
                       members=service.members_of(division))


@divisions.post("/<id:division_id>")
def update(division_id: int):
    """Save a rename or a change of channels."""
    division = get_or_404(Division, division_id)
    form = DivisionForm(current_user.account_id, division)
    if form.validate_on_submit():
        try:
            service.update_division(division, form.name.data, form.channels.data,
                                    current_user)
        except IntegrityError as error:
            if not form.explain_integrity_error(error):
                raise
            division = get_or_404(Division, division_id)
        else:
            saved = _("Division %(name)s saved", name=division.name)
            if not htmx.is_partial_request():
                flash(saved, "success")
                return redirect(url_for("agents.divisions.index"))
            return htmx.toast(render_row(division), saved)
    return htmx.render("agents/division_edit.html", "agents/_division_row_form.html", 422,
                       form=form, division=division, members=service.members_of(division))


def delete_context(division: Division, form: DeleteDivisionForm | None = None,
                   problem: str | None = None) -> dict:
    others = [other for other in service.account_divisions(division.account_id)
              if other.id != division.id]
    members = service.members_of(division)
    return {"division": division, "members": members, "blocked": not others,
            "form": form or DeleteDivisionForm(others, members.total),
            "problem": problem or service.delete_problem(others)}


@divisions.get("/<id:division_id>/delete")
def confirm_delete(division_id: int):
    """Ask "Are you sure want to delete this data?"; a division with members asks where
    they go, and the account's last division says why it cannot go."""
    division = get_or_404(Division, division_id)
    return htmx.render("agents/division_delete.html", "agents/_division_delete_dialog.html",
                       **delete_context(division))


@divisions.post("/<id:division_id>/delete")
def delete(division_id: int):
    """Delete the division, its members moved first to the one chosen; 422 with the reason
    when that cannot be."""
    division = get_or_404(Division, division_id)
    context = delete_context(division)
    form = context["form"]
    if form.validate_on_submit():
        name = division.name  # the row is gone afterwards
        try:
            moved = service.delete_division(division, form.move_to_id, current_user)
        except service.RuleBroken as broken:
            context = delete_context(get_or_404(Division, division_id), problem=str(broken))
        else:
            message = (_("Division %(name)s deleted", name=name) if not moved else
                       _("Division %(name)s deleted; its members moved to %(target)s",
                         name=name, target=_target_name(form)))
            return finished(message, url_for("agents.divisions.index"), CLOSE_DIALOG,
                            DIVISIONS_CHANGED)
    return htmx.render("agents/division_delete.html", "agents/_division_delete_dialog.html",
                       422, **context)


def _target_name(form: DeleteDivisionForm) -> str:
    return next((str(choice.label) for choice in form.move_to.choices
                 if choice.value == form.move_to.data), "")


# -- Agent Allocation ----------------------------------------------------------------------

@allocation.get("", endpoint="index")
def allocation_page():
    """The four allocation switches."""
    form = AllocationForm.filled_from(current_user.account)
    return htmx.render("agents/allocation.html", "agents/_allocation_form.html", form=form)


@allocation.post("", endpoint="save")
def save_allocation():
    """Store the switches; Auto and Custom both on answers 422 naming the other."""
    account = current_user.account
    form = AllocationForm(account)
    if form.validate_on_submit():
        try:
            service.save_allocation(account.id, form.data, current_user, only=form.flipped)
        except service.RuleBroken as broken:
            form.form_errors.append(str(broken))
        else:
            return _saved(AllocationForm.filled_from(current_user.account),
                          _("Agent Allocation saved"), "agents/allocation.html",
                          "agents/_allocation_form.html", "agents.allocation.index")
    # The switches go back to what is stored: the popup says why this was refused.
    refused = AllocationForm.filled_from(account)
    refused.form_errors.extend(form.form_errors)  # switches themselves have no errors
    return htmx.render("agents/allocation.html", "agents/_allocation_form.html", 422,
                       form=refused)


def _saved(form, message: str, page: str, fragment: str, endpoint: str):
    if not htmx.is_partial_request():
        flash(message, "success")
        return redirect(url_for(endpoint))
    return htmx.toast(htmx.render(page, fragment, form=form), message)


# -- Workload --------------------------------------------------------------------------------------

def agents_page(page: int):
    """One page of the account's Agents and Supervisors, newest first."""
    ids = (select(User.id).where(User.account_id == current_user.account_id,
                                 User.role.in_(service.MEMBER_ROLES))
           .order_by(User.id.desc()))

    def load(page_ids):
        return list(db.session.scalars(
            select(User).where(User.id.in_(page_ids)).order_by(User.id.desc())
            .options(selectinload(User.division))))  # one query for the page's divisions

    return paginate(ids, load, page, AGENTS_PER_PAGE)


def workload_context(form: WorkloadSettingsForm | None = None) -> dict:
    agents = agents_page(requested_page(request.args.get("page")))
    return {"form": form or WorkloadSettingsForm.filled_from(current_user.account),
            "agents": agents, "default": current_user.account.default_workload,
            "own": service.agent_workloads([agent.id for agent in agents.items])}


@workload.get("", endpoint="index")
def workload_page():
    """The account's default Workload and idle rule, and every agent's own Workload."""
    return htmx.render("agents/workload.html", "agents/_workload_settings_form.html",
                       **workload_context())


@workload.get("/agents")
def agents():
    """A page of the agents' Workloads: the list for htmx (paging, a new default), the
    whole Workload page otherwise."""
    return htmx.render("agents/workload.html", "agents/_workload_agents.html",
                       **workload_context())


@workload.post("", endpoint="save")
def save_workload():
    """Store the default Workload and the idle rule."""
    form = WorkloadSettingsForm()
    if form.validate_on_submit():
        service.save_workload_settings(current_user.account_id, form.data, current_user)
        message = _("Workload saved")
        if not htmx.is_partial_request():
            flash(message, "success")
            return redirect(url_for("agents.workload.index"))
        response = htmx.render("agents/workload.html", "agents/_workload_settings_form.html",
                               form=WorkloadSettingsForm.filled_from(current_user.account))
        htmx.trigger(response, "workload-default-changed")
        return htmx.toast(response, message)
    return htmx.render("agents/workload.html", "agents/_workload_settings_form.html", 422,
                       **workload_context(form))


def member_or_404(user_id: int) -> User:
    """An Agent or Supervisor of the current account (anyone else has no Workload: 404)."""
    user = get_or_404(User, user_id)
    if user.role not in service.MEMBER_ROLES:
        abort(404)
    return user


def render_agent_row(user: User, status: int = 200):
    own = service.agent_workloads([user.id]).get(user.id)
    return htmx.render("agents/workload_agent.html", "agents/_workload_row.html", status,
                       agent=user, own=own, default=current_user.account.default_workload)


@workload.get("/<id:user_id>")
def show_agent(user_id: int):
    """One agent's Workload row: what "Cancel" goes back to."""
    return render_agent_row(member_or_404(user_id))


@workload.get("/<id:user_id>/edit")
def edit_agent(user_id: int):
    """The inline form for one agent's own Workload."""
    user = member_or_404(user_id)
    own = service.agent_workloads([user.id]).get(user.id)
    return htmx.render("agents/workload_agent_edit.html", "agents/_workload_row_form.html",
                       form=AgentWorkloadForm.filled_from(user.id, own), agent=user,
                       default=current_user.account.default_workload)


@workload.post("/<id:user_id>")
def save_agent(user_id: int):
    """Store one agent's own Workload (empty: the account's default). The user's row is not
    touched, so an Admin's open edit of that user stays valid."""
    user = member_or_404(user_id)
    form = AgentWorkloadForm(user.id)
    if form.validate_on_submit():
        service.set_agent_workload(user, form.max_chats.data, current_user)
        message = _("Workload of %(name)s saved", name=user.full_name)
        if not htmx.is_partial_request():
            flash(message, "success")
            return redirect(url_for("agents.workload.index"))
        return htmx.toast(render_agent_row(user), message)
    return htmx.render("agents/workload_agent_edit.html", "agents/_workload_row_form.html", 422,
                       form=form, agent=user, default=current_user.account.default_workload)


bp.register_blueprint(divisions)
bp.register_blueprint(allocation)
bp.register_blueprint(workload)
