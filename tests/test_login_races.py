"""Logins under real concurrency (gunicorn, separate client processes): the per-account and
per-address limits hold however many attempts arrive at once, and correct passwords are
never counted as failures, not even their neighbours'."""

from sqlalchemy import func, select

from tests import live
from tests.conftest import PASSWORD
from tests.test_data_safety import STRONG, create_over_http, query_live, requests_at_once
from webapp.auth import throttle
from webapp.extensions import db
from webapp.models import AuditAction, AuditEntry, Role


def fresh_login_pages(server, count: int) -> list[live.Browser]:
    browsers = []
    for _ in range(count):
        browser = live.Browser(server.url)
        browser.request("GET", "/login")
        browsers.append(browser)
    return browsers


def test_ten_simultaneous_correct_logins_all_succeed(server, root):
    create_over_http(server, root, "popular")
    browsers = fresh_login_pages(server, 10)
    results = requests_at_once(server, [
        ("/login", {"username": "popular", "password": STRONG, "csrf_token": b.csrf_token}, b)
        for b in browsers])
    assert [status for status, _ in results] == [302] * 10, results
    failures, locked_until = query_live(
        server, "SELECT failed_logins, locked_until FROM users WHERE username = 'popular'")[0]
    assert (failures, locked_until) == (0, None)
    failed = query_live(server, "SELECT count(*) FROM audit_entries WHERE action = :a",
                        a=AuditAction.LOGIN_FAILED.value)[0][0]
    assert failed == 0


def test_simultaneous_guesses_from_one_address_stop_at_its_limit(server, root):
    guessers = fresh_login_pages(server, 2 * throttle.ADDRESS_MAX_FAILURES)
    results = requests_at_once(server, [
        ("/login", {"username": f"nobody{n}", "password": "wrong guess 1",
                    "csrf_token": b.csrf_token}, b)
        for n, b in enumerate(guessers)])
    statuses = sorted(status for status, _ in results)
    checked = query_live(server, "SELECT count(*) FROM audit_entries WHERE action = :a "
                                 "AND CAST(facts AS TEXT) LIKE '%\"unknown_username\"%'",
                         a=AuditAction.LOGIN_FAILED.value)[0][0]
    assert checked == throttle.ADDRESS_MAX_FAILURES, statuses
    assert statuses == ([422] * throttle.ADDRESS_MAX_FAILURES
                        + [429] * throttle.ADDRESS_MAX_FAILURES)


def test_a_compatibility_character_does_not_log_in_as_the_ascii_name(client, factory, account):
    factory.user(account, Role.AGENT, username="kelvin.k")
    response = client.post("/login", data={"username": "\u212Aelvin.k", "password": PASSWORD})
    assert response.status_code == 422
    assert client.post("/login", data={"username": "Kelvin.K",
                                       "password": PASSWORD}).status_code == 302


def test_an_attempt_in_flight_counts_until_it_finishes(app, client, factory, account):
    """Four attempts in flight and one failure: a fifth concurrent attempt waits for them,
    and gives up (refused, not checked) when they never finish."""
    from webapp.auth import service
    from webapp.models import LoginAttempt, utcnow

    ann = factory.user(account, Role.AGENT, username="ann", failed_logins=1)
    for _ in range(4):
        db.session.add(LoginAttempt(address="203.0.113.9", user_id=ann.id, started_at=utcnow()))
    db.session.commit()
    service.WAIT_FOR_ATTEMPTS_SECONDS, saved = 0.2, service.WAIT_FOR_ATTEMPTS_SECONDS
    try:
        refused = client.post("/login", data={"username": "ann", "password": PASSWORD})
    finally:
        service.WAIT_FOR_ATTEMPTS_SECONDS = saved
    assert refused.status_code == 422
    facts = db.session.scalars(select(AuditEntry.facts)).all()
    assert facts == [{"reason": "too_many_attempts"}]
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 4


def test_a_login_that_loses_a_rehash_race_is_refused_but_not_counted(app, factory, account):
    """Two correct logins at once with an old hash: the first upgrades the hash, the second
    then finds it changed. Its password was right, so it is no failure."""
    from werkzeug.security import generate_password_hash

    from webapp.auth import service

    ann = factory.user(account, Role.AGENT, username="ann")
    ann.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    db.session.commit()
    first, second = service._claim("203.0.113.1", ann.id), service._claim("203.0.113.2", ann.id)
    upgraded = service.passwords.hash_password(PASSWORD, app.config["PASSWORD_HASH_METHOD"])
    assert service._finish(first, ann.id, True, "203.0.113.1", logging_in=True,
                           upgraded=upgraded) is not None
    assert service._finish(second, ann.id, True, "203.0.113.2", logging_in=True) is None
    db.session.refresh(ann)
    assert (ann.failed_logins, ann.locked_until) == (0, None)


def test_attempts_cut_off_mid_check_count_as_failures_of_the_account(client, factory, account):
    """A worker killed while checking (its attempt never finished) must not buy another
    guess: after IN_FLIGHT_LIFETIME the attempt counts, here as the fifth failure."""
    from datetime import timedelta

    from webapp.models import LoginAttempt, utcnow

    ann = factory.user(account, Role.AGENT, username="ann", failed_logins=4)
    db.session.add(LoginAttempt(address="203.0.113.9", user_id=ann.id,
                                started_at=utcnow() - throttle.IN_FLIGHT_LIFETIME
                                - timedelta(seconds=1)))
    db.session.commit()
    refused = client.post("/login", data={"username": "ann", "password": PASSWORD})
    assert refused.status_code == 422
    db.session.refresh(ann)
    assert ann.failed_logins == 5 and ann.locked_until is not None
