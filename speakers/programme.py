"""The public programme as the pages and calendars show it: what everybody may read of an
event's sessions and speakers (speakers.permissions decides), fetched in a fixed number of
queries, and laid out by day and start time in the event's time zone."""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from icalendar import Calendar, vText
from icalendar import Event as CalendarEntry

from events.models import Event
from forms_builder import services as forms_services

from .models import Session, Speaker
from .permissions import public_sessions, public_speakers


def sessions_of(event: Event) -> QuerySet[Session]:
    """The event's public sessions in schedule order (unscheduled last), with what a page shows."""
    return (
        public_sessions()
        .filter(event=event)
        .select_related("event", "track", "microlocation", "session_type")
        .prefetch_related(Prefetch("speakers", queryset=Speaker.objects.order_by("name", "pk")))
        .order_by(
            F("starts_at").asc(nulls_last=True),
            "microlocation__position",
            "microlocation__name",
            "title",
            "pk",
        )
    )


def speakers_of(event: Event) -> QuerySet[Speaker]:
    return public_speakers().filter(event=event)


def sessions_of_speaker(speaker: Speaker) -> QuerySet[Session]:
    return sessions_of(speaker.event).filter(speakers=speaker)


def with_public_answers(objects, event: Event, form: str) -> list:
    """The sessions or speakers, each with `public_answers`: (field, answer) in position order."""
    fields = forms_services.public_fields(event.pk, form)
    objects = list(objects)
    for obj in objects:
        obj.public_answers = forms_services.public_answers(fields, obj.complex_field_values)
    return objects


@dataclass
class Slot:
    """Sessions that start at one time, in room order."""

    starts_at: datetime
    sessions: list = field(default_factory=list)


@dataclass
class Day:
    day: date
    slots: list = field(default_factory=list)


def by_day(event: Event, sessions) -> tuple[list[Day], list[Session]]:
    """The scheduled sessions by day, then start time, in the event's time zone; and the rest."""
    zone = ZoneInfo(event.timezone)
    days: list[Day] = []
    unscheduled = []
    for session in sessions:
        if session.starts_at is None:
            unscheduled.append(session)
            continue
        starts_at = session.starts_at.astimezone(zone)
        if not days or days[-1].day != starts_at.date():
            days.append(Day(starts_at.date()))
        slots = days[-1].slots
        if not slots or slots[-1].starts_at != starts_at:
            slots.append(Slot(starts_at))
        slots[-1].sessions.append(session)
    return days, unscheduled


def calendar(event: Event, sessions, url_of) -> bytes:
    """An iCalendar file of the scheduled `sessions`, in the event's time zone. A session's UID
    stays the same however often it is fetched or moved, so a calendar updates it in place."""
    zone = ZoneInfo(event.timezone)
    domain = urlsplit(settings.FRONTEND_URL).hostname or "openevent"
    entries = Calendar()
    entries.add("prodid", "-//OpenEvent//Schedule//EN")
    entries.add("version", "2.0")
    entries.add("calscale", "GREGORIAN")
    entries.add("x-wr-calname", vText(_calendar_text(event.name).replace("\n", " ")))  # escaped as text
    entries.add("x-wr-timezone", event.timezone)
    stamp = timezone.now()
    for session in sessions:
        if session.starts_at is None:
            continue
        entry = CalendarEntry()
        entry.add("uid", f"session-{session.pk}@{domain}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", _calendar_time(session.starts_at, zone))
        entry.add("dtend", _calendar_time(session.ends_at, zone))
        entry.add("summary", _calendar_text(session.title))
        where = [
            part
            for part in (session.microlocation and session.microlocation.name, event.location_name)
            if part
        ]
        if where:
            entry.add("location", _calendar_text(", ".join(where)))
        speakers = ", ".join(speaker.name for speaker in session.speakers.all())
        description = "\n\n".join(part for part in (speakers, session.short_abstract) if part)
        if description:
            entry.add("description", _calendar_text(description))
        entry.add("url", url_of(session))
        entries.add_component(entry)
    # The zone's rules for the event's years only (icalendar's default stops at 2038).
    entries.add_missing_timezones(
        first_date=date(event.starts_at.year, 1, 1), last_date=date(event.ends_at.year + 1, 1, 1)
    )
    return entries.to_ical()


def _calendar_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """The local time in the event's zone, or UTC in the hour an autumn clock change repeats: a
    local time there means its first occurrence (RFC 5545), which the second is not."""
    local = moment.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local


# Control characters no calendar line may hold (RFC 5545), and the separators some parsers split
# lines at; a line break stays (as \n, which icalendar escapes in text values).
_CALENDAR_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]+")


def _calendar_text(text: str) -> str:
    return _CALENDAR_CONTROLS.sub(" ", text.replace("\r\n", "\n")).strip()
