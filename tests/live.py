"""A real server for the tests that need real HTTP and separate processes: the app under
gunicorn, migrated with the real migrations, and a minimal cookie-keeping HTTP client."""

import http.client
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import typing
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "live-test-admin-password-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask_command(env: dict, *arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    env: dict
    log: typing.IO

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def gunicorn(database_url: str, workers: int = 3, threads: int = 4):
    """Serve the app on a free loopback port with the account "Live" and its Admin "root"."""
    env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "live-test-secret",
                        "PYTHONUNBUFFERED": "1"}
    flask_command(env, "db", "upgrade")
    flask_command(env, "create-admin", "--account", "Live", "--username", "root",
                  "--email", "root@live.example.com", "--password", ADMIN_PASSWORD)
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads",
             str(threads), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)
        server = Server(f"http://127.0.0.1:{port}", process, env, log)
        try:
            wait_until_up(server)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()


def wait_until_up(server: Server, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + server.output())
        try:
            with urllib.request.urlopen(server.url + "/login", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer in time")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    headers: dict
    text: str


class Browser:
    """Keeps cookies and the CSRF token, like a browser tab."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects())
        self.csrf_token = ""

    def request(self, method: str, path: str, data: dict | None = None,
                headers: dict | None = None) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310  (http on loopback, from the test)
            self.base_url + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                reply = Reply(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, dict(error.headers), error.read().decode())
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', reply.text)
        if found:
            self.csrf_token = found.group(1)
        return reply

    def login(self, username: str = "root", password: str = ADMIN_PASSWORD) -> None:
        self.request("GET", "/login")
        reply = self.request("POST", "/login", {"username": username, "password": password,
                                                "csrf_token": self.csrf_token})
        assert reply.status == 302, reply.text
        self.request("GET", "/users")  # a token for this session

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


def post_at(url: str, path: str, form: dict, cookie: str, token: str, start_at: float):
    """POST once, as an htmx request, at the wall-clock time `start_at` (in another process).

    Returns (status, body). Top-level so that process pools can run it.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.connect()  # connected before the start, so the requests land together
    body = urllib.parse.urlencode(form)
    while time.time() < start_at:
        time.sleep(0.001)
    connection.request("POST", path, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
        "X-CSRFToken": token, "HX-Request": "true"})
    response = connection.getresponse()
    result = (response.status, response.read().decode())
    connection.close()
    return result
