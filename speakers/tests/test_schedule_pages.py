"""The public programme on the pages: the schedule by day and time in the event's time zone, a
page per session and per speaker, their calendars, and the Markdown people write in them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from events.factories import EventFactory
from events.models import Event
from forms_builder.models import CustomForm
from openevent.templatetags.text import markdown
from speakers.factories import (
    MicrolocationFactory,
    SessionFactory,
    SessionTypeFactory,
    SpeakerFactory,
    TrackFactory,
)

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2031, 5, day, hour, minute, tzinfo=ZONE)


@pytest.fixture
def event(owner):
    return EventFactory(
        owner=owner,
        name="PyCon Local",
        timezone="America/New_York",
        location_name="Convention Center",
        starts_at=local(12, 9),
        ends_at=local(13, 23, 59),
    )


@pytest.fixture
def hall(event):
    return MicrolocationFactory(event=event, name="Hall A", floor=1, position=0)


def talk(event, title, starts_at=None, minutes=30, state="accepted", room=None, **fields):
    return SessionFactory(
        event=event,
        title=title,
        state=state,
        starts_at=starts_at,
        ends_at=starts_at and starts_at + timedelta(minutes=minutes),
        microlocation=room,
        **fields,
    )


def test_the_schedule_is_by_day_then_time_in_the_events_zone_with_room_track_and_type(client, event, hall):
    side = MicrolocationFactory(event=event, name="Room 2", position=1)
    science = TrackFactory(event=event, name="Science")
    workshop = SessionTypeFactory(event=event, name="Workshop")
    ada = SpeakerFactory(event=event, name="Ada")
    SpeakerFactory(event=event, name="Bea", sessions=[talk(event, "Opening", local(12, 9), room=hall)])
    ada.sessions.add(talk(event, "Late night", local(12, 23, 30), room=side, track=science))
    talk(event, "Side", local(12, 9), room=side, session_type=workshop)
    talk(event, "Day two", local(13, 10), room=hall)
    talk(event, "Pending", local(13, 11), state="pending")
    talk(event, "Rejected", local(13, 12), state="rejected")
    talk(event, "Unplaced", state="confirmed")
    response = client.get(f"/events/{event.pk}/schedule/")
    assert response.status_code == 200
    days = response.context["days"]
    # 23:30 in New York is the next day in UTC: it stays on the 12th.
    assert [
        (day.day.isoformat(), [slot.starts_at.strftime("%H:%M") for slot in day.slots]) for day in days
    ] == [
        ("2031-05-12", ["09:00", "23:30"]),
        ("2031-05-13", ["10:00"]),
    ]
    assert [session.title for session in days[0].slots[0].sessions] == ["Opening", "Side"]  # room order
    assert [session.title for session in response.context["unscheduled"]] == ["Unplaced"]
    page = response.content.decode()
    assert "Pending" not in page
    assert "Rejected" not in page
    assert "Monday 12 May 2031" in page
    assert (
        '>23:30</time>\N{EN DASH}<time datetime="2031-05-13T00:00:00-04:00">00:00</time> · Room 2 · ' in page
    )
    assert "Science" in page
    assert "Workshop" in page
    assert f'href="/events/{event.pk}/speakers/{ada.pk}/">Ada</a>' in page
    assert "times in America/New_York" in page


def test_the_schedule_reads_in_as_many_queries_for_fifty_sessions_as_for_five(client, event, hall):
    def queries_for(count):
        event.sessions.all().delete()
        for n in range(count):
            session = talk(
                event, f"Talk {n}", local(12, 9) + timedelta(minutes=30 * n), room=hall, minutes=20
            )
            SpeakerFactory(event=event, sessions=[session])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/events/{event.pk}/schedule/").status_code == 200
        return len(queries)

    assert queries_for(5) == queries_for(50)


def test_a_draft_events_schedule_is_hidden_from_the_public(client, owner):
    draft = EventFactory(owner=owner, state=Event.State.DRAFT)
    assert client.get(f"/events/{draft.pk}/schedule/").status_code == 404
    assert client.get(f"/events/{draft.pk}/schedule.ics").status_code == 404


def test_a_session_page_shows_its_abstract_speakers_time_and_room(client, event, hall):
    session = talk(
        event,
        "Types in Python",
        local(12, 14),
        room=hall,
        level="beginner",
        long_abstract="Why **types** help.\n\n<script>alert(1)</script>[more](javascript:alert(1))",
    )
    speaker = SpeakerFactory(event=event, name="Ada", organisation="Analytical", sessions=[session])
    CustomForm.objects.create(
        event=event, form="session", field_identifier="audience", name="Audience", is_public=True
    )
    session.complex_field_values = {"audience": "Everyone"}
    session.save()
    response = client.get(f"/events/{event.pk}/sessions/{session.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Monday 12 May 2031, 14:00</time>\N{EN DASH}<time" in page
    assert "(America/New_York)" in page
    assert "Hall A (floor 1)" in page
    assert "<strong>types</strong>" in page
    assert "<script>" not in page
    assert 'href="javascript:' not in page  # shown as the text it is, not a link
    assert f'href="/events/{event.pk}/speakers/{speaker.pk}/"' in page
    assert "Everyone" in page
    assert f'href="/events/{event.pk}/sessions/{session.pk}.ics"' in page


@pytest.mark.parametrize("state", ["draft", "pending", "rejected", "withdrawn"])
def test_a_session_not_in_the_programme_has_no_page(client, event, state):
    session = talk(event, "Hidden", state=state)
    assert client.get(f"/events/{event.pk}/sessions/{session.pk}/").status_code == 404


def test_a_session_or_speaker_is_found_only_under_its_own_event(client, event, owner):
    other = EventFactory(owner=owner)
    session = talk(other, "Elsewhere")
    speaker = SpeakerFactory(event=other, sessions=[session])
    assert client.get(f"/events/{event.pk}/sessions/{session.pk}/").status_code == 404
    assert client.get(f"/events/{event.pk}/speakers/{speaker.pk}/").status_code == 404
    assert client.get(f"/events/{other.pk}/speakers/{speaker.pk}/").status_code == 200


def test_a_speaker_page_shows_the_biography_links_photo_and_public_sessions(client, event, hall):
    speaker = SpeakerFactory(
        event=event,
        name="Ada",
        long_biography="Wrote the *first* program.",
        photo_url="https://example.com/ada.jpg",
        github="https://github.com/ada",
        sessions=[talk(event, "Engines", local(12, 10), room=hall), talk(event, "Secret", state="pending")],
    )
    page = client.get(f"/events/{event.pk}/speakers/{speaker.pk}/").content.decode()
    assert "<em>first</em>" in page
    assert 'src="https://example.com/ada.jpg"' in page
    assert 'href="https://github.com/ada"' in page
    assert "Engines" in page
    assert "Secret" not in page


def test_a_speaker_with_no_session_in_the_programme_has_no_page(client, event):
    speaker = SpeakerFactory(event=event, sessions=[talk(event, "Pending", state="pending")])
    assert client.get(f"/events/{event.pk}/speakers/{speaker.pk}/").status_code == 404


def calendar_of(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_the_programmes_calendar_has_each_scheduled_session_in_the_events_zone(client, event, hall):
    opening = talk(event, "Opening", local(12, 9), minutes=45, room=hall, short_abstract="Welcome.")
    SpeakerFactory(event=event, name="Bea", sessions=[opening])
    talk(event, "Late", local(12, 23, 30))
    talk(event, "Unplaced")
    first = calendar_of(client.get(f"/events/{event.pk}/schedule.ics"))
    entries = {str(entry["summary"]): entry for entry in first.walk("VEVENT")}
    assert set(entries) == {"Opening", "Late"}
    assert str(first["x-wr-calname"]) == "PyCon Local"
    opening_entry = entries["Opening"]
    assert opening_entry.decoded("dtstart") == local(12, 9)
    assert opening_entry.decoded("dtend") == local(12, 9, 45)
    assert opening_entry["dtstart"].params["TZID"] == "America/New_York"
    assert str(opening_entry["location"]) == "Hall A, Convention Center"
    assert str(opening_entry["description"]) == "Bea\n\nWelcome."
    assert str(opening_entry["url"]).endswith(f"/events/{event.pk}/sessions/{opening.pk}/")
    assert [str(zone["tzid"]) for zone in first.walk("VTIMEZONE")] == ["America/New_York"]
    # Fetched again after a move, the session keeps its UID, so calendars update it in place.
    opening.starts_at, opening.ends_at = local(13, 9), local(13, 10)
    opening.save()
    again = calendar_of(client.get(f"/events/{event.pk}/schedule.ics"))
    moved = next(entry for entry in again.walk("VEVENT") if str(entry["summary"]) == "Opening")
    assert moved["uid"] == opening_entry["uid"]
    assert moved.decoded("dtstart") == local(13, 9)


def test_times_in_the_hour_an_autumn_clock_change_repeats_keep_their_instants(client, owner):
    """02:00-03:00 happens twice in Berlin on 31 October 2027; a local time with TZID means the
    first (RFC 5545), so the second is written in UTC."""
    berlin = EventFactory(
        owner=owner,
        timezone="Europe/Berlin",
        starts_at=datetime(2027, 10, 30, 22, tzinfo=UTC),
        ends_at=datetime(2027, 10, 31, 12, tzinfo=UTC),
    )
    hour = talk(berlin, "Hour", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), minutes=60)
    half = talk(berlin, "Half", datetime(2027, 10, 31, 1, 30, tzinfo=UTC), minutes=30)

    entries = calendar_of(client.get(f"/events/{berlin.pk}/schedule.ics")).walk("VEVENT")

    instants = {  # compared as instants: Python never finds a repeated local time equal to another zone's
        str(entry["summary"]): (entry.decoded("dtstart").timestamp(), entry.decoded("dtend").timestamp())
        for entry in entries
    }
    assert instants == {
        "Hour": (hour.starts_at.timestamp(), hour.ends_at.timestamp()),
        "Half": (half.starts_at.timestamp(), half.ends_at.timestamp()),
    }


def test_the_calendars_time_zone_holds_its_rules_for_the_years_of_the_event(client, owner):
    later = EventFactory(
        owner=owner,
        timezone="Europe/Berlin",
        starts_at=datetime(2040, 7, 1, 8, tzinfo=UTC),
        ends_at=datetime(2040, 7, 1, 18, tzinfo=UTC),
    )
    talk(later, "Summer", datetime(2040, 7, 1, 10, tzinfo=UTC))

    (zone,) = calendar_of(client.get(f"/events/{later.pk}/schedule.ics")).walk("VTIMEZONE")

    assert 2040 in {rule.decoded("dtstart").year for rule in zone.walk("DAYLIGHT")}


def test_control_characters_in_names_become_spaces_in_a_calendar(client, event):
    room = MicrolocationFactory(event=event, name="Hall\x0cB")
    session = talk(event, "Talk\x0bwith\x85controls\u2028here\x1c", local(12, 10), room=room)

    response = client.get(f"/events/{event.pk}/sessions/{session.pk}.ics")

    text = response.content.decode()
    assert not any(character in text for character in "\x0b\x0c\x1c\x85\u2028")
    (entry,) = calendar_of(response).walk("VEVENT")
    assert str(entry["summary"]) == "Talk with controls here"
    assert str(entry["location"]).startswith("Hall B")


def test_an_event_name_on_lines_of_its_own_is_one_line_in_the_calendar(client, event):
    Event.objects.filter(pk=event.pk).update(name="Summit\r\nBEGIN:VEVENT\rUID:evil\nEnd")
    talk(event, "Talk\rwith a return", local(12, 10))

    response = client.get(f"/events/{event.pk}/schedule.ics")

    assert b"\r" not in response.content.replace(b"\r\n", b"")  # lines end in CRLF, nothing else
    calendar = calendar_of(response)
    assert str(calendar["x-wr-calname"]) == "Summit BEGIN:VEVENT UID:evil End"
    Event.objects.filter(pk=event.pk).update(name="C:\\new folder; R&D, Q\\")
    named = client.get(f"/events/{event.pk}/schedule.ics").content
    assert b"X-WR-CALNAME:C:\\\\new folder\\; R&D\\, Q\\\\\r\n" in named  # escaped as text
    assert [str(entry["summary"]) for entry in calendar.walk("VEVENT")] == ["Talk with a return"]


def test_a_sessions_calendar_holds_that_session_alone(client, event, hall):
    session = talk(event, "Types", local(12, 14), room=hall)
    talk(event, "Other", local(12, 15), room=hall)
    (entry,) = calendar_of(client.get(f"/events/{event.pk}/sessions/{session.pk}.ics")).walk("VEVENT")
    assert str(entry["summary"]) == "Types"
    assert entry.decoded("dtstart") == local(12, 14)
    unplaced = talk(event, "Unplaced")
    assert client.get(f"/events/{event.pk}/sessions/{unplaced.pk}.ics").status_code == 404


def test_the_event_page_links_the_schedule_and_each_session_and_speaker(client, event, hall):
    session = talk(event, "Opening", local(12, 9), room=hall)
    speaker = SpeakerFactory(event=event, name="Bea", sessions=[session])
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert f'href="/events/{event.pk}/schedule/"' in page
    assert f'href="/events/{event.pk}/sessions/{session.pk}/"' in page
    assert f'href="/events/{event.pk}/speakers/{speaker.pk}/"' in page


def test_anyone_sees_the_call_for_speakers_and_is_asked_to_log_in_first(client, event):
    page = client.get(f"/events/{event.pk}/").content.decode()
    submit = f"/events/{event.pk}/call-for-speakers/"
    assert f'href="{submit}"' in page
    response = client.get(submit)
    assert response.status_code == 302
    assert response.url == f"/login/?next={submit}"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("**bold** and *em*", "<p><strong>bold</strong> and <em>em</em></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        (
            "[site](https://example.com)",
            '<p><a href="https://example.com" rel="noopener nofollow">site</a></p>',
        ),
        ("[bad](javascript:alert(1))", "<p>[bad](javascript:alert(1))</p>"),  # not made a link
        ("<script>alert(1)</script>", ""),
        ('<img src=x onerror="alert(1)">', ""),
        (
            '<a href="https://x.org" onclick="steal()">x</a>',
            '<p><a href="https://x.org" rel="noopener nofollow">x</a></p>',
        ),
        ("# Title", "Title"),  # the page's own headings stay the page's
        ("<b>&lt;tag&gt;</b>", "<p>&lt;tag&gt;</p>"),
        ("", ""),
        ("[" * 10_000, "<p>" + "[" * 10_000 + "</p>"),  # bench/markdown_text.py times the costliest
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else value,
)
def test_markdown_is_rendered_and_sanitized(written, shown):
    assert markdown(written) == shown
