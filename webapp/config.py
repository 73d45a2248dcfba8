"""Settings read from the environment, with safe defaults."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

# scrypt with N=2^16, r=8, p=1: 64 MiB and roughly 0.1 s per hash, the cost the spec asks for.
PASSWORD_HASH_METHOD = "scrypt:65536:8:1"  # noqa: S105  (a hash method, not a password)


def load_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, else one kept in the instance folder.

    The key is generated on first start and written readable by the owner only, so that
    sessions survive restarts without anyone ever shipping a hard-coded default.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: when two workers start together, one writes and the other reads its key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "app.sqlite3")


class Config:
    """Defaults for every environment; create_app fills in what depends on the instance."""

    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # How long a request waits for SQLite's write lock before answering 503 "try again".
    SQLITE_BUSY_TIMEOUT_MS = 5000
    PASSWORD_HASH_METHOD = PASSWORD_HASH_METHOD
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Served over HTTPS (by the proxy in front): the session cookie is sent over HTTPS only.
    SESSION_COOKIE_SECURE = os.environ.get("HTTPS", "").lower() in {"1", "true", "yes"}
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Send the session cookie only when it changes (see webapp.auth.sessions), not on
    # every response.
    SESSION_REFRESH_EACH_REQUEST = False
    USERS_PER_PAGE = 25
    # How often an open users list asks for its rows' presence (webapp.users.routes).
    USERS_PRESENCE_POLL_SECONDS = 15
    # The largest request body read (413 beyond it, before anything is read or parsed).
    # Every form here is a few kilobytes, so 1 MiB is plenty; a later upload such as a CSV
    # import can raise it for its own route with request.max_content_length.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # The integration API (webapp.api): requests a second each token may make (429 beyond,
    # counted in the database so every worker shares the count; SPEC §8's default is 100),
    # and how often a token's "last used" time is written at most.
    API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "100") or 100)
    API_LAST_USED_RESOLUTION_SECONDS = 60
