"""Account Management → Activity: the account's audit log, newest first, filtered by person
and by action."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from .. import htmx
from ..auth.access import require_admin
from ..forms import clean_text
from ..models import LARGEST_ID, AuditAction
from ..paging import requested_page
from . import bp, log, words

bp.before_request(require_admin)

def requested_filters() -> log.Filters:
    """The filters in the URL, `?person=<user id>&action=<code>`; one that names nothing
    this account knows is left out rather than refused, as a stale bookmark may."""
    person_id = request.args.get("person", type=int)
    if person_id is not None and not 1 <= person_id <= LARGEST_ID:
        person_id = None
    return log.Filters(person=log.find_person(current_user.account_id, person_id),
                       action=requested_action())


def requested_action() -> AuditAction | None:
    action = request.args.get("action", "")
    return AuditAction(action) if action in set(AuditAction) else None


def person_search() -> str:
    """What was typed into the person picker."""
    return clean_text(request.args.get("person_search", ""))[:100]


@bp.get("")
def index():
    """One page of the account's audit entries, with the filters above it."""
    filters = requested_filters()
    account_id = current_user.account_id
    entries = log.list_entries(account_id, filters, requested_page(request.args.get("page")))
    # Without JavaScript the picker's text arrives here (its form's plain submit): the page
    # then lists the matching people, as the picker does while typing.
    searched = person_search()
    response = htmx.render(
        "activity/index.html", "activity/_activity.html",
        entries=entries, filters=filters,
        existing_user_ids=log.existing_user_ids(account_id, entries.items),
        person_search=searched, people=log.matching_people(account_id, searched),
        words=words)
    if htmx.is_partial_request():
        # The address bar shows the state in its one spelling: no empty `action=` from the
        # form, and the page actually shown when the one asked for was past the end.
        response.headers["HX-Push-Url"] = url_for(
            "activity.index", **filters.url_arguments(page=entries.page))
    return response


@bp.get("/people")
def people():
    """The person picker's matches for what was typed, each a link to that person's entries
    (the action filter kept); a whole page is the Activity page listing them."""
    searched = person_search()
    filters = log.Filters(action=requested_action())
    if not htmx.is_partial_request():
        return redirect(url_for("activity.index", person_search=searched or None,
                                **filters.url_arguments()))
    return render_template("activity/_people.html", person_search=searched, filters=filters,
                           people=log.matching_people(current_user.account_id, searched))
