"""/healthz: for load balancers, without login, session or cookie."""

from webapp import create_app


def test_healthz_answers_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_hands_out_no_cookie(client):
    assert "Set-Cookie" not in client.get("/healthz").headers


def test_healthz_says_when_the_database_does_not_answer(tmp_path):
    app = create_app({"SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "database unavailable"}
