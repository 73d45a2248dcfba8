"""Omnichannel Account Management: the app factory."""

import os

from flask import Flask, current_app, request
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from . import database, errors, i18n, labels, security, timezones
from .config import Config, default_database_url, load_secret_key
from .extensions import csrf, db, login_manager, migrate
from .models import LARGEST_ID

MIGRATIONS_DIRECTORY = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error pages and commands."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="templates", static_folder="static")
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = default_database_url(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = server_engine_options() | app.config[
            "SQLALCHEMY_ENGINE_OPTIONS"]

    app.url_map.converters["id"] = DatabaseIdConverter
    trust_proxy_headers(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    csrf.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions end by their token, see User.get_id

    from . import (
        activity,
        agents,
        api,
        auth,
        chats,
        commands,
        demo,
        health,
        integrations,
        language,
        presence,
        profile,
        settings,
        simulate,
        users,
        worker,
    )
    from .auth import access, sessions  # noqa: F401  (access registers the user loader)

    sessions.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(activity.bp)
    app.register_blueprint(agents.bp)
    app.register_blueprint(chats.bp)
    app.register_blueprint(integrations.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(presence.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # token-authenticated only, never by the session cookie
    errors.init_app(app)
    security.init_app(app)
    commands.init_app(app)
    demo.init_app(app)
    worker.init_app(app)
    simulate.init_app(app)
    timezones.init_app(app)
    return app


def server_engine_options() -> dict:
    """For a database server (PostgreSQL): a pooled connection can drop, so test it before
    use; and a lock waits at most 5 s, as SQLite's busy timeout does, then the request
    answers 503 "try again" instead of holding a worker thread for as long as it takes."""
    return {"pool_pre_ping": True,
            "connect_args": {"options": "-c lock_timeout=5000", "connect_timeout": 10}}


class DatabaseIdConverter(IntegerConverter):
    """A row id in a URL: a positive integer that fits the id columns, so an absurd number
    is a 404 rather than a database error."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=LARGEST_ID)

    def to_python(self, value: str) -> int:
        # Refusing with ValidationError would let routing go on to other rules of the path
        # and answer 405 for a POST; no row has such an id, whatever the method: 404.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def trust_proxy_headers(app: Flask) -> None:
    """Behind nginx or Caddy, take the client address and scheme from their X-Forwarded-*
    headers; PROXY_COUNT says how many proxies to trust (0, the default, trusts none).

    Only -For and -Proto: a proxy that does not set X-Forwarded-Host or -Prefix itself
    (nginx does not by default) passes on whatever the client wrote there, which would
    choose the host and path prefix of every URL the app builds. The site's name comes from
    the Host header the proxy forwards (Caddy keeps the browser's; nginx needs
    `proxy_set_header Host $host`).
    """
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=0, x_prefix=0)
    else:
        app.before_request(warn_of_an_untrusted_proxy)


def warn_of_an_untrusted_proxy() -> None:
    """Behind a proxy with PROXY_COUNT=0 every client shares the proxy's address, and one
    address's failed logins would lock everyone out: say so in the log, once per worker."""
    if "X-Forwarded-For" in request.headers and not current_app.extensions.get("proxy_warned"):
        current_app.extensions["proxy_warned"] = True
        current_app.logger.warning(
            "Requests arrive through a proxy (X-Forwarded-For) but PROXY_COUNT is 0: client "
            "addresses are the proxy's. Set PROXY_COUNT to the number of proxies in front.")
