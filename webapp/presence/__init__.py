from flask import Blueprint

bp = Blueprint("presence", __name__, url_prefix="/presence")

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
