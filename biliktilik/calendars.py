"""The one iCalendar writer (RFC 5545), built on the ``icalendar`` library: the catalog's cohort
calendars and the staff planning calendar both come from here.

Deterministic: UIDs come from record ids, DTSTAMP from the build date, never the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import icalendar


@dataclass(frozen=True)
class Event:
    """One all-day event (``start`` to ``end`` inclusive, local dates in Kazakhstan)."""
    uid: str
    start: dt.date
    end: dt.date
    summary: str
    description: str = ""
    location: str | None = None
    url: str | None = None
    status: str | None = None  # e.g. CONFIRMED


def calendar(events, *, name: str, product: str, stamp: dt.date, timezone: str | None = "Asia/Almaty") -> bytes:
    """An iCalendar file of all-day ``events`` (sorted by start, then UID) as UTF-8 bytes with CRLF
    line ends and folded lines, as RFC 5545 requires.

    ``product`` names the PRODID (``-//Biliktilik//<product>``); ``stamp`` is the build date,
    written as each event's DTSTAMP (midnight UTC); ``name`` is the calendar's X-WR-CALNAME."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//Biliktilik//{product}")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    if timezone:
        cal.add("x-wr-timezone", timezone)
    dtstamp = dt.datetime(stamp.year, stamp.month, stamp.day, tzinfo=dt.timezone.utc)
    for e in sorted(events, key=lambda e: (e.start, e.uid)):
        ev = icalendar.Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", dtstamp)
        ev.add("dtstart", e.start)
        ev.add("dtend", e.end + dt.timedelta(days=1))  # DTEND of an all-day event is exclusive
        ev.add("summary", e.summary)
        if e.description:
            ev.add("description", e.description)
        if e.location:
            ev.add("location", e.location)
        if e.url:
            ev.add("url", e.url)
        if e.status:
            ev.add("status", e.status)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
