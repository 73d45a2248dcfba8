"""Times in the reader's own time zone.

The database keeps times in UTC (naive datetimes, see models.utcnow). People read them in
the zone their browser reported, remembered on their profile (users.time_zone); until it
has, and outside a request (the command line), in UTC.
"""

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import Flask, has_request_context
from flask_login import current_user

from .i18n import format_local_date, format_local_datetime

UTC_LABEL = "UTC"
# The regions of the IANA database's current names; the others ("US/Eastern", "Etc/GMT+5",
# "Navajo") are legacy aliases that name the same clocks.
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")


@cache
def known_time_zones() -> frozenset[str]:
    """The IANA names this machine's time-zone database knows; read from disk once."""
    return frozenset(available_timezones())


def is_known_time_zone(name: str) -> bool:
    return name in known_time_zones()


def offered_time_zones() -> list[str]:
    """The zones a person chooses from: "Region/City" names and UTC, sorted."""
    return sorted(name for name in known_time_zones()
                  if name == UTC_LABEL or name.split("/", 1)[0] in REGIONS)


def _reader_zone_name() -> str:
    """The current user's remembered zone, or "" (not known yet, or nobody logged in)."""
    if not has_request_context() or not current_user.is_authenticated:
        return ""
    name = current_user.time_zone
    # A zone the database no longer knows (tzdata renames are rare, but happen) reads as UTC
    # rather than failing every page that shows a time.
    return name if is_known_time_zone(name) else ""


def reader_zone() -> tzinfo:
    name = _reader_zone_name()
    return ZoneInfo(name) if name else UTC


def time_zone_label() -> str:
    """The zone times are shown in, as people know it: "Asia/Jakarta", or "UTC"."""
    return _reader_zone_name() or UTC_LABEL


def local_time(value: datetime | None) -> str:
    """A stored UTC time in the current user's zone, as their language writes it: "Jan 6,
    2026, 6:30 AM" / "6 Jan 2026 06.30" ("" for None)."""
    if value is None:
        return ""
    return format_local_datetime(in_reader_zone(value))


def local_date(value: datetime | None) -> str:
    """The date alone of a stored UTC time, in the current user's zone: "Jan 6, 2026" /
    "6 Jan 2026" ("" for None)."""
    return "" if value is None else format_local_date(in_reader_zone(value))


def in_reader_zone(value: datetime) -> datetime:
    if value.tzinfo is None:  # stored naive, in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(reader_zone())


def init_app(app: Flask) -> None:
    """Templates use `value|local_time`, `value|local_date` and `time_zone_label()`."""
    app.add_template_filter(local_time)
    app.add_template_filter(local_date)
    app.add_template_global(time_zone_label)
