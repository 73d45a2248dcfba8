"""The stylesheets and scripts a page loads: Pico built with only the modules the app uses,
and app.css and app.js minified, all by the Makefile into webapp/static/vendor/ (never
committed). A copy older than its source would hide an edit from the browser and from the
browser tests, so a stale one fails here, saying what to run."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What make builds, rather than copies, and where from (the Makefile's BUILT_ASSETS).
BUILT = {"vendor/pico.min.css": "assets/pico-subset.scss",
         "vendor/app.min.css": "webapp/static/css/app.css",
         "vendor/app.min.js": "webapp/static/js/app.js"}


def static_files(html: str) -> set[str]:
    return set(re.findall(r'(?:src|href)="/static/([^"?]+)"', html))


def test_pages_load_the_built_copies_not_the_sources(admin_client):
    loaded = static_files(admin_client.get("/users").text)
    assert set(BUILT) <= loaded, loaded
    assert not loaded & {"css/app.css", "js/app.js"}, loaded


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_built_copies_are_no_older_than_their_sources():
    # The outer `make test`'s flags (-n, -t, -i …) are not this make's.
    env = {name: value for name, value in os.environ.items()
           if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    stale = {}
    for built in BUILT:
        target = f"webapp/static/{built}"
        # -q: exit 0 when the target is up to date (its source, and the npm packages that
        # build it, are older), 1 when make would build it again; nothing is run.
        check = subprocess.run(["make", "-q", target], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=60, check=False)
        if check.returncode != 0 or not (ROOT / target).is_file():
            stale[target] = check.stderr.strip() or f"older than {BUILT[built]}"
    assert stale == {}, f"run `make assets` to build them again: {stale}"


def test_the_built_copies_are_minified_without_source_maps():
    for built, source in BUILT.items():
        text = (ROOT / "webapp" / "static" / built).read_text(encoding="utf-8")
        assert "sourceMappingURL" not in text, built
        if source.startswith("webapp/"):
            assert len(text) < 0.8 * (ROOT / source).stat().st_size, built
