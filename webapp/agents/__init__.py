"""Settings → Agent Management: Division, Agent Allocation and Workload (SPEC §6), for Admins.

One blueprint at /agents holding one blueprint per Settings entry, so the side navigation
marks the entry a page belongs to (webapp.settings.routes: an entry's area is its
endpoint's blueprint).
"""

from flask import Blueprint

bp = Blueprint("agents", __name__, url_prefix="/agents")

from . import routes  # noqa: E402,F401  (routes attach their blueprints to bp)
