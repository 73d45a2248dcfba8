"""Omnichannel Account Management: the app factory."""

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import errors, security
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

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions end by their token, see User.get_id

    from . import auth, commands, settings, users
    from .auth import access  # noqa: F401  (registers the user loader)

    app.register_blueprint(auth.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(users.bp)
    errors.init_app(app)
    security.init_app(app)
    commands.init_app(app)
    return app


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys and wait for a lock instead of failing at once."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
