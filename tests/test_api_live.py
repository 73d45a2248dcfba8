"""The API under gunicorn (several worker processes, real HTTP): one rate-limit count shared
by every worker, and what only a real server receives (a chunked body past the limit)."""

import http.client
import json
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests import live
from webapp import create_app
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.integrations.tokens import create_token
from webapp.models import Account, ApiRateWindow

LIMIT = 1000
ROOM_LEFT = 10  # requests each second's window still allows
BURST = 40
PREFILLED_SECONDS = 60


@pytest.fixture
def limited(database_url, monkeypatch):
    """gunicorn with API_RATE_LIMIT=1000, and a token whose windows for the coming minute
    already hold 990 requests each: whichever seconds a burst falls in, each lets exactly 10
    more through."""
    monkeypatch.setenv("API_RATE_LIMIT", str(LIMIT))
    with live.gunicorn(database_url) as server:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
        with app.app_context():
            account = db.session.scalar(select(Account).where(Account.name == "Live"))
            row, token = create_token(account.id, "burst", None)
            token_id = row.id
            now = int(time.time())
            with write_transaction():
                for second in range(now, now + PREFILLED_SECONDS):
                    db.session.add(ApiRateWindow(token_id=token_id, second=second,
                                                 requests=LIMIT - ROOM_LEFT))
            yield server, token, app, token_id, now
            db.session.remove()
            db.engine.dispose()


def request(url: str, method: str, path: str, token: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body,
                           headers={"Authorization": f"Bearer {token}"} | (headers or {}))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_every_worker_counts_in_the_same_window(limited):
    server, token, app, token_id, started = limited
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        answers = list(pool.map(lambda _: request(server.url, "GET", "/api/v1/agents", token),
                                range(BURST)))
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {200, 429}, statuses
    for status, headers, body in answers:
        assert headers["Content-Type"] == "application/json"
        if status == 429:
            assert headers["Retry-After"] == "1"
            assert json.loads(body)["error"]["code"] == "too_many_requests"
    with app.app_context():
        windows = db.session.scalars(select(ApiRateWindow).where(
            ApiRateWindow.token_id == token_id, ApiRateWindow.requests > LIMIT - ROOM_LEFT))
        counted = [window.requests - (LIMIT - ROOM_LEFT) for window in windows]
    assert sum(counted) == BURST  # every request counted once, whichever worker took it
    # Each second let exactly its room through: the workers never both took the last place.
    assert statuses.count(200) == sum(min(ROOM_LEFT, count) for count in counted)
    assert statuses.count(200) >= ROOM_LEFT


def test_a_chunked_body_past_one_mebibyte_is_a_json_413(limited):
    server, token, *_ = limited
    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def chunks():
        yield b'{"channel": "whatsapp", "external_id": "x", "customer_name": "'
        for _ in range(1100):
            yield b"a" * 1024
        yield b'"}'

    try:
        connection.request("POST", "/api/v1/rooms", body=chunks(), encode_chunked=True,
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"})
        response = connection.getresponse()
        status, body = response.status, response.read()
        content_type = response.getheader("Content-Type")
    except (BrokenPipeError, ConnectionResetError):
        pytest.fail("the server hung up instead of answering 413")
    finally:
        connection.close()
    assert (status, content_type) == (413, "application/json"), body
    assert json.loads(body)["error"]["code"] == "body_too_large"
    assert "Traceback" not in server.output()
