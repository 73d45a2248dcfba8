"""The few helpers for telling htmx partial requests apart and for HX-* response headers."""

import json

from flask import Response, make_response, render_template, request


def is_partial_request() -> bool:
    """True when htmx asks for a fragment: not a boosted link and not a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page_template: str, fragment_template: str, status: int = 200,
           **context) -> Response:
    """Render the fragment for htmx requests and the whole page for anything else.

    Both get `as_page`: a fragment shared by the two (a dialog, a form) renders as a section
    of a whole page when it is true, and as the piece htmx swaps in when it is false.
    """
    as_page = not is_partial_request()
    template = page_template if as_page else fragment_template
    return make_response(render_template(template, as_page=as_page, **context), status)


def trigger(response: Response, event: str, detail: object = None) -> Response:
    """Add a client-side event to HX-Trigger, keeping events already set."""
    events = json.loads(response.headers.get("HX-Trigger", "{}"))
    events[event] = detail
    # json.dumps escapes non-ASCII and quotes, so a header can never be split or injected.
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def toast(response: Response, message: str, level: str = "success") -> Response:
    """A toast saying `message` (a lazy translation too: it is rendered here, in the request's
    language)."""
    return trigger(response, "toast", {"message": str(message), "level": level})


def redirect(response: Response, location: str) -> Response:
    response.headers["HX-Redirect"] = location
    return response


DIALOG_SLOT = "#dialog-slot"  # base.html's place for popups


def into_dialog_slot(response: Response) -> Response:
    """Have htmx put this answer (a popup) in the page's dialog slot, wherever the request
    came from and whatever it targeted: a users list row's link says nothing of where it
    loads (so that the row stays small), and a refusal on a chats list opens outside the
    polled list."""
    if is_partial_request():
        response.headers["HX-Retarget"] = DIALOG_SLOT
        response.headers["HX-Reswap"] = "innerHTML"
    return response
