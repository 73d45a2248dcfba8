"""Stored UTC times shown in the reader's own time zone (webapp/timezones.py)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import render_template_string
from flask_login import login_user

from webapp.extensions import db
from webapp.timezones import local_time, offered_time_zones, time_zone_label

STORED = datetime(2026, 1, 5, 23, 30)  # naive, UTC: how the database keeps times


@pytest.fixture
def reader(app, factory, account):
    """A request in which a user is logged in; set `reader.time_zone` per test."""
    user = factory.user(account, username="reader")
    with app.test_request_context():
        login_user(user)
        yield user


def read_as(user, zone: str) -> None:
    user.time_zone = zone
    db.session.commit()


def test_a_stored_time_is_shown_in_the_readers_zone(reader):
    read_as(reader, "Asia/Jakarta")  # UTC+7, across midnight
    assert local_time(STORED) == "Jan 6, 2026, 6:30\u202fAM"
    assert time_zone_label() == "Asia/Jakarta"


def test_daylight_saving_time_follows_the_date(reader):
    read_as(reader, "America/New_York")
    assert local_time(datetime(2026, 1, 15, 12, 0)) == "Jan 15, 2026, 7:00\u202fAM"  # EST, UTC-5
    assert local_time(datetime(2026, 7, 15, 12, 0)) == "Jul 15, 2026, 8:00\u202fAM"  # EDT, UTC-4


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons"])
def test_an_unknown_or_unset_zone_reads_as_utc(reader, zone):
    read_as(reader, zone)
    assert local_time(STORED) == "Jan 5, 2026, 11:30\u202fPM"
    assert time_zone_label() == "UTC"


def test_an_aware_time_is_converted_not_relabelled(reader):
    read_as(reader, "Asia/Jakarta")
    in_tokyo = datetime(2026, 1, 6, 8, 30, tzinfo=timezone(timedelta(hours=9)))
    assert local_time(in_tokyo) == "Jan 6, 2026, 6:30\u202fAM"
    assert local_time(None) == ""


def test_without_a_logged_in_user_times_are_utc(app):
    assert local_time(STORED) == "Jan 5, 2026, 11:30\u202fPM"  # no request: the command line
    with app.test_request_context():
        assert local_time(STORED.replace(tzinfo=UTC)) == "Jan 5, 2026, 11:30\u202fPM"
        assert time_zone_label() == "UTC"


def test_templates_have_the_filter_and_the_label(reader):
    read_as(reader, "Asia/Jakarta")
    html = render_template_string("{{ when|local_time }} ({{ time_zone_label() }})",
                                  when=STORED)
    assert html == "Jan 6, 2026, 6:30\u202fAM (Asia/Jakarta)"


def test_the_offered_zones_are_city_names_and_utc():
    offered = offered_time_zones()
    assert "Asia/Jakarta" in offered and "UTC" in offered and "Europe/Berlin" in offered
    assert not {"US/Eastern", "Etc/GMT+5", "Navajo", "localtime"} & set(offered)
    assert offered == sorted(offered)
