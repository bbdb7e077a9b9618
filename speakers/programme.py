"""The public programme as the pages and calendars show it: what everybody may read of an
event's sessions and speakers (speakers.permissions decides), fetched in a fixed number of
queries, and laid out by day and start time in the event's time zone."""

from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from icalendar import Calendar
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
    entries.add("x-wr-calname", event.name)
    entries.add("x-wr-timezone", event.timezone)
    stamp = timezone.now()
    for session in sessions:
        if session.starts_at is None:
            continue
        entry = CalendarEntry()
        entry.add("uid", f"session-{session.pk}@{domain}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", session.starts_at.astimezone(zone))
        entry.add("dtend", session.ends_at.astimezone(zone))
        entry.add("summary", session.title)
        where = [
            part
            for part in (session.microlocation and session.microlocation.name, event.location_name)
            if part
        ]
        if where:
            entry.add("location", ", ".join(where))
        speakers = ", ".join(speaker.name for speaker in session.speakers.all())
        description = "\n\n".join(part for part in (speakers, session.short_abstract) if part)
        if description:
            entry.add("description", description)
        entry.add("url", url_of(session))
        entries.add_component(entry)
    entries.add_missing_timezones()
    return entries.to_ical()
