"""Settings from the environment, the secret key, and the password hash cost."""

import os
import stat

from webapp import create_app
from webapp.config import load_secret_key


def test_secret_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(str(tmp_path))
    assert len(first) >= 64
    assert load_secret_key(str(tmp_path)) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_secret_key(str(tmp_path)) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    development_database = os.path.join(os.path.dirname(__file__), "..", "instance",
                                        "app.sqlite3")
    existed = os.path.exists(development_database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": "x"})
    if not existed:  # the factory creates the file (0600); leave the checkout as it was
        os.remove(development_database)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + os.path.join(app.instance_path, "app.sqlite3"))
