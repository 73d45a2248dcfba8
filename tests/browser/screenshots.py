"""`make screenshots`: a PNG of each screen of the app under docs/screenshots/.

Runs the app on a live server against a temporary database filled with a demo team, drives
Debian's Chromium to each screen as the browser tests do (tests/browser/states.py), and fails
if the browser reports any console error or Content-Security-Policy violation on the way.
Then the same for a team that reads the app in Bahasa Indonesia, for the screens where long
Indonesian words could break the layout, into docs/screenshots/id/. The demo team has half an
hour of chats behind it (states.team_at_work, played through the allocator's own functions),
for My chats and Monitoring.

    python -m tests.browser.screenshots [OUTPUT_DIR]
"""

import logging
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .check_chromium import check, chromium_path
from .live import CHROMIUM_ARGS, VIEWPORT, Seed, create_live_app, serve, watch
from .states import ANSWERS_422, CHAT_STATES, STATES, team_at_work

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The users list and its dialogs, the login page, a Profile, My chats and Monitoring, in
# Indonesian.
INDONESIAN_STATES = ("login", "users", "create-dialog-errors", "popup-error", "edit-row",
                     "password-dialog", "delete-popup", "profile", "my-chats", "monitoring",
                     "monitoring-why")
# Every screen, the users screens' and the chat screens'.
ALL_STATES = {**STATES, **CHAT_STATES}


def take(output: Path, language: str = "en", states: tuple[str, ...] = tuple(ALL_STATES)
         ) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    saved = []
    with tempfile.TemporaryDirectory() as folder:
        app = create_live_app(Path(folder) / "app.sqlite3")
        server_errors: list[str] = []
        with serve(app, server_errors) as url, sync_playwright() as playwright:
            demo = Seed(app).demo_account(suffix="", language=language)
            team_at_work(app, demo)
            browser = playwright.chromium.launch(executable_path=chromium_path(),
                                                 args=CHROMIUM_ARGS)
            try:
                for name in states:
                    reach = ALL_STATES[name]
                    context = browser.new_context(base_url=url, viewport=VIEWPORT,
                                                  locale="en-US")
                    problems = watch(context)
                    if name in ANSWERS_422:
                        problems.allow_status(422, "the form comes back with its errors")
                    page = context.new_page()
                    page.set_default_timeout(10_000)
                    reach(page, demo)
                    page.mouse.move(0, 0)  # no hover highlight on the last button clicked
                    path = output / f"{name}.png"
                    page.screenshot(path=path, animations="disabled")
                    problems.server_errors.extend(server_errors)
                    if problems:
                        raise SystemExit(f"Problems in the browser on the {name} screen: "
                                         f"{problems}")
                    context.close()
                    saved.append(path)
            finally:
                browser.close()
    return saved


def main(argv: list[str]) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    problem = check(chromium_path())
    if problem:
        print(f"Chromium is needed for the screenshots, and {problem}. Run "
              "`sudo apt-get install -y chromium`, or set CHROMIUM_PATH.", file=sys.stderr)
        return 1
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    saved = take(output) + take(output / "id", "id", INDONESIAN_STATES)
    for path in saved:
        print(f"saved {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
