from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import form_as_sent
from events.factories import EventFactory
from events.models import Event
from speakers.factories import MicrolocationFactory, SessionFactory, SessionTypeFactory, SpeakerFactory
from speakers.models import Microlocation, Session, SessionType, Track

pytestmark = pytest.mark.django_db


def test_an_organizer_reviews_only_their_events_sessions(client, user):
    mine = SessionFactory(event=EventFactory(owner=user), title="Mine", state="pending")
    SessionFactory(event=EventFactory(), title="Theirs", state="pending")
    client.force_login(user)
    response = client.get("/admin/speakers/session/")
    assert [session.title for session in response.context["cl"].result_list] == [mine.title]


def test_bulk_accepting_moves_what_may_move_and_emails_speakers(client, user, mailoutbox):
    event = EventFactory(owner=user)
    pending = SessionFactory(event=event, title="Pending", state="pending")
    withdrawn = SessionFactory(event=event, title="Withdrawn", state="withdrawn")
    SpeakerFactory(event=event, name="Ada", email="ada@example.com", sessions=[pending])
    client.force_login(user)
    response = client.post(
        "/admin/speakers/session/",
        {"action": "accept", "_selected_action": [pending.pk, withdrawn.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert any('from "withdrawn" to "accepted"' in message for message in messages)
    pending.refresh_from_db()
    withdrawn.refresh_from_db()
    assert (pending.state, withdrawn.state) == ("accepted", "withdrawn")
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]


def test_someone_elses_session_is_404_in_the_admin(client, user):
    theirs = SessionFactory(event=EventFactory(), title="Theirs")
    EventFactory(owner=user)
    client.force_login(user)
    assert client.get(f"/admin/speakers/session/{theirs.pk}/change/").status_code in (302, 404)
    assert client.post(f"/admin/speakers/session/{theirs.pk}/delete/", {"post": "yes"}).status_code in (
        302,
        404,
    )
    assert Session.objects.filter(pk=theirs.pk).exists()


def test_deleting_in_the_admin_goes_through_the_service(client, user):
    event = EventFactory(owner=user)
    sessions = [SessionFactory(event=event, title=f"Talk {n}", state="pending") for n in range(2)]
    client.force_login(user)
    response = client.post(
        "/admin/speakers/session/",
        {"action": "delete_selected", "_selected_action": [s.pk for s in sessions], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Session.objects.filter(event=event).exists()
    client.post(f"/admin/events/event/{event.pk}/delete/", {"post": "yes"})
    assert not Event.objects.filter(pk=event.pk).exists()


def test_renaming_a_track_to_a_name_its_event_has_is_a_form_error(client, user):
    from speakers import services as speaker_services
    from speakers.models import Track

    event = EventFactory(owner=user)
    speaker_services.save_track(user, Track(event=event, name="Open data"), [])
    track = speaker_services.save_track(user, Track(event=event, name="Hardware"), [])
    client.force_login(user)
    data = {"name": "Open data", "color": track.color, "description": ""}
    response = client.post(f"/admin/speakers/track/{track.pk}/change/", data)
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    track.refresh_from_db()
    assert track.name == "Hardware"


# --- Placing sessions: times in the event's time zone -------------------------------------------

SINGAPORE = ZoneInfo("Asia/Singapore")


@pytest.fixture
def placed(user):
    """An accepted talk at an event in Singapore, placed in Hall A from 10:00 to 11:00 local time."""
    event = EventFactory(
        owner=user,
        timezone="Asia/Singapore",
        starts_at=datetime(2031, 3, 14, 9, tzinfo=SINGAPORE),
        ends_at=datetime(2031, 3, 14, 18, tzinfo=SINGAPORE),
    )
    room = MicrolocationFactory(event=event, name="Hall A")
    return SessionFactory(
        event=event,
        title="Talk",
        state="accepted",
        microlocation=room,
        starts_at=datetime(2031, 3, 14, 10, tzinfo=SINGAPORE),
        ends_at=datetime(2031, 3, 14, 11, tzinfo=SINGAPORE),
    )


def session_form(session, **changes) -> dict:
    data = {
        "title": session.title,
        "state": session.state,
        "microlocation": session.microlocation_id or "",
        "starts_at_0": "2031-03-14",
        "starts_at_1": "10:00:00",
        "ends_at_0": "2031-03-14",
        "ends_at_1": "11:00:00",
        "complex_field_values": "{}",
    }
    return data | changes


def test_a_sessions_times_are_shown_in_its_events_time_zone_and_named(client, user, placed):
    client.force_login(user)
    page = client.get(f"/admin/speakers/session/{placed.pk}/change/").content.decode()
    assert 'name="starts_at_1" value="10:00:00"' in page
    assert "In Asia/Singapore, the event's time zone." in page
    listed = client.get("/admin/speakers/session/").content.decode()
    assert "14 Mar 2031 10:00 +08" in listed


def test_times_entered_in_the_admin_are_the_events_local_times(client, user, placed):
    client.force_login(user)
    response = client.post(
        f"/admin/speakers/session/{placed.pk}/change/",
        session_form(placed, starts_at_1="14:00:00", ends_at_1="14:30:00"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    placed.refresh_from_db()
    assert placed.starts_at == datetime(2031, 3, 14, 6, tzinfo=UTC)
    assert placed.ends_at == datetime(2031, 3, 14, 6, 30, tzinfo=UTC)


def test_an_overlap_in_the_admin_is_a_form_error_and_saves_nothing(client, user, placed):
    other = SessionFactory(event=placed.event, title="Keynote", state="confirmed")
    client.force_login(user)
    response = client.post(
        f"/admin/speakers/session/{other.pk}/change/",
        session_form(
            other, microlocation=placed.microlocation_id, starts_at_1="10:30:00", ends_at_1="11:30:00"
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {  # that error only: the typed times are the ones the model checks
        "starts_at": ['Hall A holds "Talk" then, from Fri 14 Mar 10:00 to 11:00 (Asia/Singapore).']
    }
    other.refresh_from_db()
    assert other.starts_at is None


def test_a_time_in_a_year_no_zone_can_convert_is_a_form_error(client, user, placed):
    client.force_login(user)
    first_minutes = {"starts_at_1": "00:00:00", "ends_at_1": "00:30:00"}  # before year 1 in UTC
    response = client.post(
        f"/admin/speakers/session/{placed.pk}/change/",
        session_form(placed, starts_at_0="0001-01-01", ends_at_0="0001-01-01", **first_minutes),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["starts_at"][0] == "Choose a date from 1970 to 2199."
    placed.refresh_from_db()
    assert placed.starts_at == datetime(2031, 3, 14, 10, tzinfo=SINGAPORE)


def test_a_session_leaving_the_accepted_ones_in_the_admin_leaves_the_schedule(client, user, placed):
    client.force_login(user)
    url = f"/admin/speakers/session/{placed.pk}/change/"
    response = client.post(url, form_as_sent(client.get(url).content.decode()) | {"state": "canceled"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    placed.refresh_from_db()
    assert (placed.state, placed.starts_at, placed.ends_at, placed.microlocation) == (
        "canceled",
        None,
        None,
        None,
    )


def test_an_event_added_in_the_admin_takes_its_times_in_its_chosen_time_zone(client, user):
    EventFactory(owner=user)
    client.force_login(user)
    page = client.get("/admin/events/event/add/").content.decode()
    assert '<select name="timezone"' in page
    assert '<option value="Asia/Singapore">Asia/Singapore</option>' in page
    data = {
        "name": "Local",
        "starts_at_0": "2031-03-14",
        "starts_at_1": "09:00:00",
        "ends_at_0": "2031-03-14",
        "ends_at_1": "18:00:00",
        "timezone": "Asia/Singapore",
        "state": "draft",
        "payment_currency": "USD",
    }
    for prefix in ["user_roles", "role_invites", "custom_forms"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = client.post("/admin/events/event/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(name="Local")
    assert event.starts_at == datetime(2031, 3, 14, 1, tzinfo=UTC)


def test_the_speaker_list_filters_by_their_sessions_state_and_track(client, user):
    event = EventFactory(owner=user)
    track = event.tracks.create(name="Science")
    accepted = SessionFactory(event=event, state="accepted", track=track)
    SpeakerFactory(event=event, name="Ada", sessions=[accepted])
    SpeakerFactory(event=event, name="Bea", sessions=[SessionFactory(event=event, state="pending")])
    client.force_login(user)

    def listed(query):
        return [
            speaker.name
            for speaker in client.get(f"/admin/speakers/speaker/?{query}").context["cl"].result_list
        ]

    assert listed("sessions__state__exact=accepted") == ["Ada"]
    assert listed(f"sessions__track__id__exact={track.pk}") == ["Ada"]
    assert sorted(listed("")) == ["Ada", "Bea"]


@pytest.fixture
def autumn_night(user):
    """An event in New York over the night its clocks go back, 7 November 2027 (01:00 to 02:00
    happens twice)."""
    new_york = ZoneInfo("America/New_York")
    return EventFactory(
        owner=user,
        timezone="America/New_York",
        starts_at=datetime(2027, 11, 6, 9, tzinfo=new_york),
        ends_at=datetime(2027, 11, 7, 18, tzinfo=new_york),
    )


def test_a_session_in_the_hour_the_clocks_go_back_is_saved_with_its_times_as_they_were(
    client, user, autumn_night
):
    """01:30 EDT to 01:45 EST: both wall times happen twice that night. Shown unchanged, they keep
    their instants; typed anew, such a time is refused (which of the two is meant?)."""
    session = SessionFactory(
        event=autumn_night,
        title="Night owls",
        state="accepted",
        starts_at=datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
        ends_at=datetime(2027, 11, 7, 6, 45, 0, 750_000, tzinfo=UTC),  # the widget shows whole seconds
    )
    client.force_login(user)
    url = f"/admin/speakers/session/{session.pk}/change/"
    night = {"starts_at_0": "2027-11-07", "starts_at_1": "01:30:00", "ends_at_0": "2027-11-07"}

    renamed = client.post(
        url, session_form(session, title="Night owls, again", ends_at_1="01:45:00", **night)
    )
    retyped = client.post(url, session_form(session, ends_at_1="01:50:00", **night))

    assert renamed.status_code == 302, renamed.context["adminform"].form.errors
    session.refresh_from_db()
    assert session.title == "Night owls, again"
    assert (session.starts_at, session.ends_at) == (
        datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
        datetime(2027, 11, 7, 6, 45, 0, 750_000, tzinfo=UTC),
    )
    assert retyped.status_code == 200
    assert "ambiguous" in str(retyped.context["adminform"].form.errors["ends_at"])


# --- Saves refused by what another request wrote meanwhile --------------------------------------


def test_a_session_placed_while_its_event_is_shortened_is_a_form_error(
    client, user, placed, admin_saves_after
):
    """Another organizer ends the event at 15:00 after the form was checked: the service's check
    under the event's lock refuses the 16:00 slot, and the page says so."""
    admin_saves_after(
        Session,
        lambda: Event.objects.filter(pk=placed.event_id).update(
            ends_at=datetime(2031, 3, 14, 15, tzinfo=SINGAPORE)
        ),
    )
    client.force_login(user)
    response = client.post(
        f"/admin/speakers/session/{placed.pk}/change/",
        session_form(placed, starts_at_1="16:00:00", ends_at_1="17:00:00"),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "starts_at": ["The session must lie within the event's dates."]
    }
    placed.refresh_from_db()
    assert placed.starts_at == datetime(2031, 3, 14, 10, tzinfo=SINGAPORE)


@pytest.mark.parametrize(
    ("model", "form"),
    [
        (Microlocation, {"name": "Hall B", "position": "0"}),
        (SessionType, {"name": "Hall B", "length": "30"}),
        (Track, {"name": "Hall B", "color": "#1d4ed8"}),
    ],
    ids=["room", "session type", "track"],
)
def test_a_name_taken_by_another_organizer_meanwhile_is_a_form_error(
    client, user, admin_saves_after, model, form
):
    event = EventFactory(owner=user)
    admin_saves_after(model, lambda: model.objects.create(event=event, **form))
    client.force_login(user)
    response = client.post(f"/admin/speakers/{model._meta.model_name}/add/", {"event": event.pk, **form})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert [message for messages in errors.values() for message in messages] == [
        f"{model._meta.verbose_name.capitalize()} with this Event and Name already exists."
    ]
    # Nothing posted is saved (nor, in this test's one transaction, the other organizer's row).
    assert not model.objects.filter(event=event).exists()


def test_a_start_typed_in_the_hour_the_clocks_go_back_is_the_one_error(client, user, autumn_night):
    session = SessionFactory(event=autumn_night, title="Night owls", state="accepted")
    night = {
        "starts_at_0": "2027-11-07",
        "starts_at_1": "01:30:00",
        "ends_at_0": "2027-11-07",
        "ends_at_1": "03:00:00",
    }
    client.force_login(user)
    response = client.post(f"/admin/speakers/session/{session.pk}/change/", session_form(session, **night))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["starts_at"]  # not "has a start and an end"


def test_a_session_deleted_while_its_change_is_saved_is_said_so(client, user, placed, admin_saves_after):
    """Deleted by another request, the page is a 404; in this test's one transaction the deletion
    is rolled back with the refused save, and the form says why it was refused."""
    admin_saves_after(Session, lambda: Session.objects.filter(pk=placed.pk).delete())
    client.force_login(user)
    url = f"/admin/speakers/session/{placed.pk}/change/"
    response = client.post(url, session_form(placed, title="Renamed"))
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == ["The session no longer exists."]


def test_a_session_saved_after_its_events_zone_changed_keeps_its_times(client, user, placed):
    """The page showed 10:00 in Singapore; the event moved to UTC since. Renaming the session
    must not read those 10:00 in UTC."""
    client.force_login(user)
    url = f"/admin/speakers/session/{placed.pk}/change/"
    shown = form_as_sent(client.get(url).content.decode())
    Event.objects.filter(pk=placed.event_id).update(timezone="UTC")
    response = client.post(url, shown | {"title": "Renamed"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    placed.refresh_from_db()
    assert (placed.title, placed.starts_at) == ("Renamed", datetime(2031, 3, 14, 10, tzinfo=SINGAPORE))


@pytest.mark.parametrize(
    ("kind", "theirs", "mine", "kept"),
    [
        ("microlocation", {"name": "Hall B"}, {"floor": "3"}, {"name": "Hall B", "floor": 3}),
        ("sessiontype", {"length": 45}, {"name": "Talk!"}, {"name": "Talk!", "length": 45}),
        ("track", {"color": "#000000"}, {"name": "Science"}, {"name": "Science", "color": "#000000"}),
    ],
)
def test_an_admin_edit_keeps_what_another_organizer_changed_since_the_page_was_shown(
    client, user, kind, theirs, mine, kept
):
    event = EventFactory(owner=user)
    row = {
        "microlocation": lambda: MicrolocationFactory(event=event, name="Hall A"),
        "sessiontype": lambda: SessionTypeFactory(event=event, name="Talk", length=30),
        "track": lambda: Track.objects.create(event=event, name="Maths"),
    }[kind]()
    client.force_login(user)
    url = f"/admin/speakers/{kind}/{row.pk}/change/"
    shown = form_as_sent(client.get(url).content.decode())
    type(row).objects.filter(pk=row.pk).update(**theirs)
    response = client.post(url, shown | mine)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert type(row).objects.filter(pk=row.pk, **kept).exists()


def test_a_speakers_admin_edit_keeps_the_sessions_another_organizer_unlinked_since(client, user):
    event = EventFactory(owner=user)
    talks = [SessionFactory(event=event, title=f"Talk {n}", state="accepted") for n in range(2)]
    speaker = SpeakerFactory(event=event, name="Ada", sessions=talks)
    client.force_login(user)
    url = f"/admin/speakers/speaker/{speaker.pk}/change/"
    shown = form_as_sent(client.get(url).content.decode())
    speaker.sessions.remove(talks[1])
    response = client.post(url, shown | {"organisation": "FOSSASIA"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    speaker.refresh_from_db()
    assert (speaker.organisation, list(speaker.sessions.all())) == ("FOSSASIA", [talks[0]])
