"""The app as a user installs it: a wheel built from this tree, installed (not editable)
into a brand-new virtualenv and run from a folder outside the repository. Only that shows
that templates, static files, migrations and data travel inside the distribution; the
editable install every other test uses finds them in the working tree whatever the wheel
holds. Also: `make clean` keeps instance/, which holds the database and the secret key."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.live import Browser, Server, free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "packaged-admin-password-1"

# Left out of the copy the wheel is built from: the build needs none of them, and setuptools
# writes build/ and *.egg-info into the tree it builds, which must not be the shared checkout.
NOT_BUILD_INPUT = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "instance", "build", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", "test-results")

# The repository's own settings must not reach the installed app.
NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FLASK_APP", "FLASK_DEBUG",
                 "DATABASE_URL", "SECRET_KEY", "HTTPS", "PROXY_COUNT", "TEST_DATABASE_URL")


def run(command: list, timeout: float = 120, **kwargs) -> str:
    """Run a command to success and return its output, or fail the test showing it."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            timeout=timeout, check=False, **kwargs)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n" + (
        result.stdout + result.stderr)[-4000:]
    return result.stdout


def wait_until_healthy(server: Server, seconds: float = 30) -> None:
    """Wait for /healthz, which needs no template: a page that fails is then reported as
    itself, with the server's log, rather than as a server that never came up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + server.output())
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer /healthz in time:\n" + server.output())


@pytest.fixture
def installed(tmp_path):
    """A new virtualenv with the wheel of this tree installed, and the environment to run it."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_BUILD_INPUT)
    # pip's build isolation fetches setuptools itself, as `pip install .` on a clean
    # machine does; dependencies come from the package index, through pip's cache.
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
         tmp_path / "wheels", source], timeout=300)
    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
         "--quiet", wheel], timeout=300)
    shutil.rmtree(source)  # nothing can import from the tree the wheel came from

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'packaged.sqlite3'}",
            "SECRET_KEY": "packaged-test-secret", "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PYTHONUNBUFFERED": "1"}
    location = run([venv / "bin" / "python", "-c", "import webapp; print(webapp.__file__)"],
                   cwd=workdir, env=env)
    assert Path(location.strip()).is_relative_to(venv), location
    return venv / "bin", workdir, env


@pytest.mark.packaging
@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                    reason="the wheel is tested once, in the SQLite pass; the database "
                           "does not change what the wheel holds")
def test_an_installed_wheel_migrates_serves_and_logs_in(installed, tmp_path):
    """Migrate, create an Admin, serve under gunicorn, and log in over real HTTP."""
    bin_dir, workdir, env = installed
    run([bin_dir / "flask", "--app", "webapp", "db", "upgrade"], cwd=workdir, env=env)
    run([bin_dir / "flask", "--app", "webapp", "create-admin", "--account", "Packaged",
         "--username", "admin", "--email", "admin@packaged.example.com"], cwd=workdir, env=env)

    port = free_port()
    with open(tmp_path / "gunicorn.log", "w+") as log:
        process = subprocess.Popen(
            # No control socket: its default path in $HOME is shared with every other gunicorn.
            [bin_dir / "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "--no-control-socket", "webapp:create_app()"],
            cwd=workdir, env=env, start_new_session=True, stdout=log, stderr=log)
        server = Server(f"http://127.0.0.1:{port}", process, env, log)
        try:
            wait_until_healthy(server)
            browser = Browser(server.url)

            page = browser.request("GET", "/login")
            assert page.status == 200
            assert page.headers["Content-Type"].startswith("text/html")
            assert browser.csrf_token, page.text
            assets = set(re.findall(r'(?:src|href)="(/static/[^"?]+)', page.text))
            assert {"/static/vendor/htmx.min.js", "/static/vendor/pico.min.css",
                    "/static/vendor/app.min.css", "/static/vendor/app.min.js"} <= assets, page.text
            for asset in sorted(assets):
                reply = browser.request("GET", asset)
                assert reply.status == 200 and reply.text, (asset, reply.status)

            reply = browser.request("POST", "/login", {
                "username": "admin", "password": ADMIN_PASSWORD,
                "csrf_token": browser.csrf_token})
            assert reply.status == 302, reply.text
            assert urllib.parse.urlsplit(reply.headers["Location"]).path == "/settings"
            assert browser.request("GET", "/settings").status == 200
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
            print(server.output())  # pytest shows it when the test fails


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_keeps_the_instance_folder(tmp_path):
    """instance/ holds the development database and the secret key: `make clean` removes
    what `make install` made and nothing else."""
    shutil.copy(ROOT / "Makefile", tmp_path)
    generated = [tmp_path / ".venv", tmp_path / "node_modules",
                 tmp_path / "webapp" / "static" / "vendor"]
    for folder in generated:
        folder.mkdir(parents=True)
        (folder / "file").write_text("generated")
    kept = [tmp_path / "instance" / "app.sqlite3", tmp_path / "instance" / "secret_key"]
    for file in kept:
        file.parent.mkdir(exist_ok=True)
        file.write_text("precious")

    # The outer `make test`'s flags (-n, -t, -i …) are not this make's.
    env = {name: value for name, value in os.environ.items()
           if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    run(["make", "clean"], cwd=tmp_path, env=env)

    assert [file for file in kept if not file.exists()] == []
    assert [folder for folder in generated if folder.exists()] == []
