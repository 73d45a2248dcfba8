"""Settings → Integrations: the account's API tokens (Admins only).

Each URL renders the whole page for a plain request and just the piece htmx swaps for an
htmx request (webapp.htmx). A new token is in one response only, the one that created it:
never in a URL, the session, a flashed message or a log line.
"""

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import htmx
from ..auth.access import require_admin
from ..extensions import db
from ..models import ApiToken
from ..paging import paginate, requested_page
from ..views import finished, get_or_404
from . import bp, tokens
from .forms import TokenForm

bp.before_request(require_admin)

TOKENS_CHANGED = "api-tokens-changed"
CLOSE_DIALOG = "close-dialog"
TOKENS_PER_PAGE = 50


def tokens_page(page: int):
    """One page of the account's tokens, newest first (revoked ones too, marked so)."""
    ids = (select(ApiToken.id).where(ApiToken.account_id == current_user.account_id)
           .order_by(ApiToken.id.desc()))

    def load(page_ids):
        return list(db.session.scalars(
            select(ApiToken).where(ApiToken.id.in_(page_ids)).order_by(ApiToken.id.desc())))

    return paginate(ids, load, page, TOKENS_PER_PAGE)


def list_context() -> dict:
    return {"tokens": tokens_page(requested_page(request.args.get("page")))}


@bp.get("")
def index():
    """The Integrations page: the account's API tokens."""
    return htmx.render("integrations/index.html", "integrations/_token_list.html",
                       **list_context())


@bp.get("/tokens/new")
def new():
    """The create-token form: a dialog for htmx, a page of its own otherwise."""
    return htmx.render("integrations/token_new.html", "integrations/_token_create_dialog.html",
                       form=TokenForm())


@bp.post("/tokens")
def create():
    """Create a token and show it, this once: in the dialog for htmx, at the top of the
    Integrations page otherwise. A refused name answers 422 with the form."""
    form = TokenForm()
    if not form.validate_on_submit():
        return htmx.render("integrations/token_new.html",
                           "integrations/_token_create_content.html", 422, form=form)
    row, token = tokens.create_token(current_user.account_id, form.name.data, current_user)
    # The list behind the dialog shows the new row; a whole page lists it below the token.
    context = list_context() if not htmx.is_partial_request() else {}
    response = htmx.render("integrations/index.html", "integrations/_token_create_content.html",
                           201, created=row, new_token=token, **context)
    return htmx.trigger(response, TOKENS_CHANGED)


@bp.get("/tokens/<id:token_id>/revoke")
def confirm_revoke(token_id: int):
    """Ask before revoking: a popup for htmx, a page of its own otherwise."""
    return htmx.render("integrations/token_revoke.html",
                       "integrations/_token_revoke_dialog.html",
                       token=get_or_404(ApiToken, token_id))


@bp.post("/tokens/<id:token_id>/revoke")
def revoke(token_id: int):
    """Revoke the token: the API refuses it from now on; it stays listed as revoked."""
    row = get_or_404(ApiToken, token_id)
    tokens.revoke_token(row, current_user)
    return finished(_("Token %(name)s revoked", name=row.name), url_for("integrations.index"),
                    CLOSE_DIALOG, TOKENS_CHANGED)
