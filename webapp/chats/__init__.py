"""Chats (rooms): the allocator that decides which agent answers which customer, and the
screens that show it: My chats and Monitoring."""

from flask import Blueprint

bp = Blueprint("chats", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
