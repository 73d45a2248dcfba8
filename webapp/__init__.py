"""Omnichannel Account Management: the app factory."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import database, errors, security
from .config import Config, default_database_url, load_secret_key
from .extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error pages and commands."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = default_database_url(app.instance_path)

    trust_proxy_headers(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions end by their token, see User.get_id

    from . import activity, auth, commands, health, settings, users
    from .auth import access, sessions  # noqa: F401  (access registers the user loader)

    sessions.init_app(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(activity.bp)
    app.register_blueprint(health.bp)
    errors.init_app(app)
    security.init_app(app)
    commands.init_app(app)
    return app


def trust_proxy_headers(app: Flask) -> None:
    """Behind nginx or Caddy, take the client address and scheme from their X-Forwarded-*
    headers; PROXY_COUNT says how many proxies to trust (0, the default, trusts none)."""
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_prefix=proxies)
