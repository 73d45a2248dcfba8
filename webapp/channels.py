"""The channels a division can serve: codes the platform knows, stored on the division and
named by the API ("whatsapp", "livechat"), shown in the reader's language."""

from flask_babel import lazy_gettext as _l

# In the order forms and lists show them; a division stores its codes in this order too.
CHANNEL_LABELS = {
    "whatsapp": _l("WhatsApp"),
    "instagram": _l("Instagram"),
    "facebook": _l("Facebook Messenger"),
    "telegram": _l("Telegram"),
    "line": _l("LINE"),
    "email": _l("Email"),
    "livechat": _l("Live Chat"),
}
CHANNELS = tuple(CHANNEL_LABELS)


def channel_label(code: str) -> str:
    """A channel as the reader calls it; an unknown code as it is."""
    return str(CHANNEL_LABELS.get(code, code))


def in_order(codes) -> list[str]:
    """Known codes, each once, in CHANNELS order."""
    chosen = set(codes)
    return [code for code in CHANNELS if code in chosen]
