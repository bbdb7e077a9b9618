"""The schedule on a phone, in a real browser (Playwright driving Debian's Chromium): it fits
the screen, each time stands above the sessions that start then, and a session leads to its
speaker."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.factories import UserFactory
from events.factories import EventFactory
from openevent.tests.browser import browser_page as browser_page  # a fixture
from openevent.tests.browser import needs_chromium
from speakers.factories import MicrolocationFactory, SessionFactory, SpeakerFactory, TrackFactory

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def test_the_schedule_reads_on_a_phone_and_leads_from_a_session_to_its_speaker(
    live_server, browser_page, tmp_path
):
    from playwright.sync_api import expect

    zone = ZoneInfo("Asia/Singapore")
    start = datetime(2031, 3, 14, 9, tzinfo=zone)
    event = EventFactory(
        owner=UserFactory(), timezone="Asia/Singapore", starts_at=start, ends_at=start + timedelta(hours=9)
    )
    rooms = [MicrolocationFactory(event=event, name=name) for name in ("Main hall", "Workshop room")]
    track = TrackFactory(event=event, name="Hardware")
    for n, title in enumerate(
        ["Opening keynote", "Sensors on a shoestring with a rather long title", "Soldering"]
    ):
        session = SessionFactory(
            event=event,
            title=title,
            state="confirmed",
            track=track,
            microlocation=rooms[n % 2],
            starts_at=start + timedelta(hours=n // 2),
            ends_at=start + timedelta(hours=n // 2, minutes=45),
            long_abstract="Bring a **multimeter**.",
        )
        SpeakerFactory(
            event=event, name=f"Speaker {n}", long_biography="Builds *instruments*.", sessions=[session]
        )

    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/events/{event.pk}/schedule/")
    expect(page.locator("h2").first).to_have_text("Friday 14 March 2031")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    first_slot = page.locator(".slot").first
    time_box = first_slot.locator(".slot-time").bounding_box()
    sessions_box = first_slot.locator(".slot-sessions").bounding_box()
    assert time_box["y"] + time_box["height"] <= sessions_box["y"]  # the time above, not beside
    expect(first_slot.locator(".slot-time")).to_have_text("09:00")
    expect(first_slot.locator(".session")).to_have_count(2)
    expect(first_slot).to_contain_text("09:00\N{EN DASH}09:45 · Workshop room · Hardware")
    page.screenshot(path=tmp_path / "schedule-phone.png", full_page=True)

    page.get_by_role("link", name="Sensors on a shoestring with a rather long title").click()
    expect(page.locator("h1")).to_have_text("Sensors on a shoestring with a rather long title")
    expect(page.locator(".facts")).to_contain_text(
        "Friday 14 March 2031, 09:00\N{EN DASH}09:45 (Asia/Singapore)"
    )
    expect(page.locator(".description strong")).to_have_text("multimeter")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="Speaker 1").click()
    expect(page.locator("h1")).to_have_text("Speaker 1")
    expect(page.locator(".description em")).to_have_text("instruments")
    expect(page.locator(".slot-sessions")).to_contain_text(
        "Friday 14 March, 09:00\N{EN DASH}09:45 · Workshop room"
    )
    page.screenshot(path=tmp_path / "speaker-phone.png", full_page=True)


def test_the_admins_session_and_speaker_lists_fit_a_1280_pixel_screen(live_server, browser_page):
    from playwright.sync_api import expect

    from accounts.factories import DEFAULT_PASSWORD

    owner = UserFactory(email="a.rather-long-organizer-address@example.com")
    event = EventFactory(owner=owner, name="A Summit With A Name Long Enough To Wrap")
    room = MicrolocationFactory(event=event, name="The workshop room upstairs")
    track = TrackFactory(event=event, name="Open hardware")
    session = SessionFactory(
        event=event,
        title="Sensors on a shoestring",
        state="confirmed",
        track=track,
        microlocation=room,
        starts_at=event.starts_at,
        ends_at=event.starts_at + timedelta(minutes=45),
        creator=UserFactory(email="a.speaker-with-a-long-address@example.com"),
    )
    SpeakerFactory(
        event=event, name="Noor Rahman", email="noor.rahman@university.example.org", sessions=[session]
    )

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/login/?next=/admin/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    for changelist in ("session", "speaker"):
        page.goto(f"{live_server.url}/admin/speakers/{changelist}/")
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        results = page.locator("#changelist .results")
        assert results.evaluate("box => box.scrollWidth <= box.clientWidth"), changelist  # no sideways scroll
