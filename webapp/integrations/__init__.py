"""Settings → Integrations (SPEC §8), for Admins: the account's API tokens, created (shown
once) and revoked here. Webhooks join this page later."""

from flask import Blueprint

bp = Blueprint("integrations", __name__, url_prefix="/settings/integrations")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
