"""Placing sessions in the schedule: who may, what a slot must hold (an accepted or confirmed
session, within the event, one session per room at a time), and what follows from it (a move
emails the speakers, a withdrawal frees the slot). Through the API, as a client would."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client

from accounts.factories import UserFactory
from conftest import JSONClient
from events import services as event_services
from events.factories import EventFactory
from events.models import Event, Role
from openevent.errors import Conflict, Forbidden, NotFound
from openevent.tests.races import run_just_before_the_delete
from speakers import services
from speakers.factories import (
    MicrolocationFactory,
    SessionFactory,
    SessionTypeFactory,
    SpeakerFactory,
    TrackFactory,
)
from speakers.models import Microlocation, Session, Speaker

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Singapore")
DAY = datetime(2031, 3, 14, tzinfo=ZONE)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


@pytest.fixture
def event(owner):
    return EventFactory(owner=owner, timezone="Asia/Singapore", starts_at=at(9), ends_at=at(18))


@pytest.fixture
def room(event):
    return MicrolocationFactory(event=event, name="Hall A")


@pytest.fixture
def talk(event, submitter):
    session = SessionFactory(event=event, title="Talk", state=Session.State.ACCEPTED, creator=submitter)
    SpeakerFactory(event=event, name="Ada", sessions=[session])
    return session


def place(api, user, session, **attributes):
    relationships = {}
    if "room" in attributes:
        room = attributes.pop("room")
        relationships["microlocation"] = {"data": room and {"type": "microlocation", "id": str(room.pk)}}
    if "session_type" in attributes:
        kind = attributes.pop("session_type")
        relationships["session-type"] = {"data": {"type": "session-type", "id": str(kind.pk)}}
    wire = {name.replace("_", "-"): value and value.isoformat() for name, value in attributes.items()}
    document = {"type": "session", "id": str(session.pk), "attributes": wire, "relationships": relationships}
    return api.as_user(user).patch(f"/v1/sessions/{session.pk}", {"data": document})


def error_of(response, status=422) -> tuple[str, str]:
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    return error["source"].get("pointer"), error["detail"]


def test_an_organizer_places_a_session_and_the_api_shows_where_and_when(api, owner, talk, room):
    response = place(api, owner, talk, starts_at=at(10), ends_at=at(10, 45), room=room)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["attributes"]["starts-at"] == "2031-03-14T02:00:00Z"
    assert data["attributes"]["ends-at"] == "2031-03-14T02:45:00Z"
    assert data["relationships"]["microlocation"]["data"] == {"type": "microlocation", "id": str(room.pk)}
    talk.refresh_from_db()
    assert (talk.starts_at, talk.ends_at, talk.microlocation) == (at(10), at(10, 45), room)


def test_a_start_alone_takes_the_types_length_and_a_move_keeps_the_sessions(api, owner, event, talk, room):
    workshop = SessionTypeFactory(event=event, name="Workshop", length=90)
    assert place(api, owner, talk, starts_at=at(10), session_type=workshop, room=room).status_code == 200
    talk.refresh_from_db()
    assert talk.ends_at == at(11, 30)
    assert place(api, owner, talk, starts_at=at(11), ends_at=at(11, 20)).status_code == 200
    assert place(api, owner, talk, starts_at=at(14)).status_code == 200
    talk.refresh_from_db()
    assert (talk.starts_at, talk.ends_at) == (at(14), at(14, 20))


def test_a_start_without_an_end_or_a_type_is_refused(api, owner, talk):
    assert error_of(place(api, owner, talk, starts_at=at(10))) == (
        "/data/attributes/ends-at",
        "A scheduled session has a start and an end.",
    )


def test_taking_a_session_off_the_schedule_clears_its_end(api, owner, talk, room):
    place(api, owner, talk, starts_at=at(10), ends_at=at(11), room=room)
    assert place(api, owner, talk, starts_at=None).status_code == 200
    talk.refresh_from_db()
    assert (talk.starts_at, talk.ends_at, talk.microlocation) == (None, None, room)


@pytest.mark.parametrize(
    ("starts", "ends", "pointer", "detail"),
    [
        (at(11), at(10), "/data/attributes/ends-at", "The session must end after it starts."),
        (at(11), at(11), "/data/attributes/ends-at", "The session must end after it starts."),
        (at(8), at(9, 30), "/data/attributes/starts-at", "The session must lie within the event's dates."),
        (at(17), at(18, 1), "/data/attributes/starts-at", "The session must lie within the event's dates."),
    ],
)
def test_a_slot_ends_after_it_starts_and_lies_within_the_event(
    api, owner, talk, starts, ends, pointer, detail
):
    assert error_of(place(api, owner, talk, starts_at=starts, ends_at=ends)) == (pointer, detail)
    talk.refresh_from_db()
    assert talk.starts_at is None


def test_the_whole_event_is_a_slot(api, owner, talk):
    assert place(api, owner, talk, starts_at=at(9), ends_at=at(18)).status_code == 200


@pytest.mark.parametrize("state", ["draft", "pending", "rejected", "withdrawn", "canceled"])
def test_only_accepted_and_confirmed_sessions_are_scheduled(api, owner, event, state):
    session = SessionFactory(event=event, state=state, creator=owner)
    assert error_of(place(api, owner, session, starts_at=at(10), ends_at=at(11))) == (
        "/data/attributes/starts-at",
        "Only accepted and confirmed sessions are scheduled.",
    )


def test_two_sessions_in_one_room_may_not_overlap(api, owner, event, talk, room):
    other = SessionFactory(event=event, title="Keynote", state=Session.State.CONFIRMED, creator=owner)
    assert place(api, owner, other, starts_at=at(10), ends_at=at(11), room=room).status_code == 200
    pointer, detail = error_of(place(api, owner, talk, starts_at=at(10, 30), ends_at=at(11, 30), room=room))
    assert pointer == "/data/attributes/starts-at"
    assert detail == 'Hall A holds "Keynote" then, from Fri 14 Mar 10:00 to 11:00 (Asia/Singapore).'
    talk.refresh_from_db()
    assert talk.starts_at is None
    # Back to back, or at once in another room, is fine.
    assert place(api, owner, talk, starts_at=at(11), ends_at=at(12), room=room).status_code == 200
    elsewhere = MicrolocationFactory(event=event, name="Hall B")
    assert place(api, owner, talk, starts_at=at(10), ends_at=at(11), room=elsewhere).status_code == 200


def test_a_withdrawn_session_leaves_the_schedule_and_frees_its_room(api, owner, event, submitter, talk, room):
    place(api, owner, talk, starts_at=at(10), ends_at=at(11), room=room)
    services.change_state(submitter, talk, Session.State.WITHDRAWN)
    talk.refresh_from_db()
    assert (talk.starts_at, talk.ends_at, talk.microlocation) == (None, None, None)
    other = SessionFactory(event=event, state=Session.State.ACCEPTED, creator=owner)
    assert place(api, owner, other, starts_at=at(10), ends_at=at(11), room=room).status_code == 200


def test_a_room_or_type_of_another_event_is_refused(api, owner, talk):
    elsewhere = EventFactory(owner=owner)
    room = MicrolocationFactory(event=elsewhere, name="Far away")
    assert error_of(place(api, owner, talk, room=room)) == (
        "/data/relationships/microlocation",
        "This room belongs to another event.",
    )
    kind = SessionTypeFactory(event=elsewhere)
    assert error_of(place(api, owner, talk, session_type=kind)) == (
        "/data/relationships/session-type",
        "This session type belongs to another event.",
    )


@pytest.mark.parametrize("who", ["submitter", "track_organizer", "registrar"])
def test_only_the_events_admins_place_sessions(api, event, submitter, talk, room, who):
    user = submitter if who == "submitter" else UserFactory()
    if who == "track_organizer":
        event_services.grant_role(user, event, Role.TRACK_ORGANIZER)
        talk.track = talk.event.tracks.create(name="Main")
        talk.track.organizers.add(user)
        talk.save()
    elif who == "registrar":
        event_services.grant_role(user, event, Role.REGISTRAR)
    response = place(api, user, talk, starts_at=at(10), ends_at=at(11), room=room)
    assert response.status_code in {403, 404}, response.content
    talk.refresh_from_db()
    assert (talk.starts_at, talk.microlocation) == (None, None)
    with pytest.raises(Forbidden):
        services.update_session(user, talk, starts_at=at(10), ends_at=at(11))


def test_a_move_emails_the_speakers_and_a_first_placing_does_not(api, owner, talk, room, mailoutbox):
    place(api, owner, talk, starts_at=at(10), ends_at=at(11), room=room)
    assert mailoutbox == []
    place(api, owner, talk, starts_at=at(15))
    (message,) = mailoutbox
    assert message.to == ["ada@example.com"]
    assert message.subject == f'Your session "Talk" at {talk.event.name} moved to Friday 14 March 2031, 15:00'
    assert "Friday 14 March 2031, 15:00 (Asia/Singapore) in Hall A" in message.body
    place(api, owner, talk, room=MicrolocationFactory(event=talk.event, name="Hall B"))
    assert "in Hall B" in mailoutbox[-1].body
    place(api, owner, talk, starts_at=None)
    assert len(mailoutbox) == 2  # off the schedule: nothing to put in a calendar


@pytest.mark.parametrize(
    ("dates", "pointer"),
    [
        ({"ends-at": at(11, 30)}, "/data/attributes/ends-at"),
        ({"starts-at": at(10, 30)}, "/data/attributes/starts-at"),
    ],
)
def test_an_event_cannot_shrink_past_its_scheduled_sessions(api, owner, event, talk, room, dates, pointer):
    services.update_session(owner, talk, starts_at=at(10), ends_at=at(12), microlocation=room)
    wire = {name: value.isoformat() for name, value in dates.items()}
    document = {"type": "event", "id": str(event.pk), "attributes": wire}

    response = api.as_user(owner).patch(f"/v1/events/{event.pk}", {"data": document})

    assert error_of(response) == (
        pointer,
        '"Talk" (Fri 14 Mar 10:00 to 12:00) is scheduled outside these dates: move it or take it off the '
        "schedule first.",
    )
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (at(9), at(18))


def test_a_move_with_a_change_of_state_emails_both(api, owner, talk, room, mailoutbox):
    services.update_session(owner, talk, state=Session.State.CONFIRMED, starts_at=at(10), ends_at=at(11))
    mailoutbox.clear()
    document = {
        "type": "session",
        "id": str(talk.pk),
        "attributes": {"state": "accepted", "starts-at": at(15).isoformat(), "ends-at": at(16).isoformat()},
    }

    assert api.as_user(owner).patch(f"/v1/sessions/{talk.pk}", {"data": document}).status_code == 200

    subjects = sorted(message.subject for message in mailoutbox)
    assert len(subjects) == 2
    assert "was accepted" in subjects[1]
    assert subjects[0].endswith("moved to Friday 14 March 2031, 15:00")


def test_the_schedule_is_listed_in_time_order_and_filtered_by_room(api, owner, event, talk, room):
    keynote = SessionFactory(event=event, title="Keynote", state=Session.State.CONFIRMED, creator=owner)
    place(api, owner, keynote, starts_at=at(9), ends_at=at(10), room=room)
    place(api, owner, talk, starts_at=at(10), ends_at=at(11), room=MicrolocationFactory(event=event))
    api.credentials()
    listed = api.get(f"/v1/events/{event.pk}/sessions?sort=starts-at").json()["data"]
    assert [item["attributes"]["title"] for item in listed] == ["Keynote", "Talk"]
    in_room = api.get(f"/v1/events/{event.pk}/sessions?filter[microlocation]={room.pk}").json()["data"]
    assert [item["attributes"]["title"] for item in in_room] == ["Keynote"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
def test_sessions_placed_in_one_room_at_once_never_overlap(owner, event, room):
    sessions = [
        SessionFactory(event=event, title=f"Talk {n}", state=Session.State.ACCEPTED, creator=owner)
        for n in range(8)
    ]
    barrier = threading.Barrier(len(sessions))

    def place_at_ten(session):
        barrier.wait()
        try:
            services.update_session(
                owner,
                session,
                starts_at=at(10) + timedelta(minutes=5 * session.pk % 30),
                ends_at=at(11),
                microlocation=room,
            )
            return "placed"
        except services.ValidationError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(len(sessions)) as pool:
        outcomes = list(pool.map(place_at_ten, sessions))
    assert sorted(outcomes) == ["placed"] + ["refused"] * (len(sessions) - 1)
    assert Session.objects.filter(microlocation=room, starts_at__isnull=False).count() == 1


def at_once(*calls) -> None:
    """Run the calls in threads released together; a refusal is one of the outcomes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            call()
        except services.ValidationError:
            pass
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        list(pool.map(run, calls))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
def test_an_event_shrunk_while_a_session_is_placed_at_its_edge_never_strands_it(owner, event):
    """Each round, one organizer moves the event's end to 17:00 while another places a session at
    17:15: whichever comes second is refused."""
    for round_number in range(10):
        Event.objects.filter(pk=event.pk).update(ends_at=at(18))
        session = SessionFactory(event=event, title=f"Late {round_number}", state=Session.State.ACCEPTED)
        at_once(
            partial(event_services.update_event, owner, Event.objects.get(pk=event.pk), ends_at=at(17)),
            partial(services.update_session, owner, session, starts_at=at(17, 15), ends_at=at(17, 45)),
        )
        session.refresh_from_db()
        ends_at = Event.objects.get(pk=event.pk).ends_at
        assert session.ends_at is None or session.ends_at <= ends_at, f"round {round_number}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
def test_the_admin_and_the_api_placing_one_session_at_once_take_their_locks_in_one_order(
    owner, event, room, admin_saves_after
):
    """An organizer places a session in the admin; between the admin's check of the form and its
    save, another moves it through the API, in the same room. The API's request finishes first or
    waits for the admin's: neither holds a lock the other waits for (a deadlock)."""
    session = SessionFactory(event=event, title="Talk", state=Session.State.ACCEPTED)
    answers = {}

    def moved_through_the_api():
        answers["api"] = place(JSONClient(), owner, session, starts_at=at(11), ends_at=at(12), room=room)
        connection.close()

    def api_request_meanwhile():
        request = threading.Thread(target=moved_through_the_api)
        request.start()
        request.join(timeout=3)  # done, or waiting for a lock the admin holds

    admin_saves_after(Session, api_request_meanwhile)
    admin = Client()
    admin.force_login(owner)
    typed = {
        "title": session.title,
        "state": session.state,
        "microlocation": room.pk,
        "complex_field_values": "{}",
        "starts_at_0": "2031-03-14",
        "starts_at_1": "10:00:00",
        "ends_at_0": "2031-03-14",
        "ends_at_1": "10:30:00",
    }
    answers["admin"] = admin.post(f"/admin/speakers/session/{session.pk}/change/", typed)
    assert (answers["admin"].status_code, answers["api"].status_code) == (302, 200), answers["api"].json()
    session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == (at(10), at(10, 30))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
def test_a_speakers_sessions_linked_while_one_is_placed_never_deadlock(owner, event, room):
    """Linking a speaker to sessions checks their rows (and the event's) at commit; placing a
    session locks its row, then the event's: the locks taken must not wait for each other."""
    sessions = [
        SessionFactory(event=event, title=f"Talk {n}", state=Session.State.ACCEPTED) for n in range(6)
    ]
    speaker = SpeakerFactory(event=event, name="Ada", sessions=[])
    for round_number in range(40):
        moved = sessions[round_number % len(sessions)]
        at_once(
            partial(
                services.update_speaker,
                owner,
                speaker,
                sessions[: 1 + round_number % 6],
                name=f"Ada {round_number}",
            ),
            partial(
                services.update_session,
                owner,
                moved,
                starts_at=at(10 + round_number % 6),
                ends_at=at(11 + round_number % 6),
                microlocation=room,
            ),
            partial(
                services.create_speaker, owner, Speaker(event=event, name=f"Bea {round_number}"), sessions
            ),
        )


def test_changing_a_session_or_speaker_deleted_meanwhile_is_not_found(owner, event, api):
    """The API answers 404 (the row is read again, locked, once the request was checked)."""
    session = SessionFactory(event=event, title="Talk", state=Session.State.ACCEPTED)
    speaker = SpeakerFactory(event=event, name="Ada", sessions=[])
    Session.objects.filter(pk=session.pk).delete()
    Speaker.objects.filter(pk=speaker.pk).delete()
    with pytest.raises(NotFound, match="The session no longer exists"):
        services.update_session(owner, session, title="Renamed")
    with pytest.raises(NotFound, match="The speaker no longer exists"):
        services.update_speaker(owner, speaker, name="Bea")


def in_another_request(action) -> None:
    """Run `action` on a connection of its own, committed before this returns (or re-raise)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: [action(), connection.close()]).result()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
def test_a_session_placed_in_a_room_deleted_meanwhile_is_a_conflict(owner, event, room, monkeypatch):
    session = SessionFactory(event=event, title="Talk", state=Session.State.ACCEPTED)
    check_room_is_free = services.check_room_is_free

    def checked_then_deleted(placed):
        check_room_is_free(placed)
        in_another_request(lambda: services.delete_event_part(owner, Microlocation.objects.get(pk=room.pk)))

    monkeypatch.setattr(services, "check_room_is_free", checked_then_deleted)
    with pytest.raises(Conflict, match="deleted meanwhile"):
        services.update_session(owner, session, starts_at=at(10), ends_at=at(11), microlocation=room)
    session.refresh_from_db()
    assert session.microlocation is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
@pytest.mark.parametrize(
    ("field", "make_part"),
    [
        ("microlocation", MicrolocationFactory),
        ("session_type", SessionTypeFactory),
        ("track", TrackFactory),
    ],
)
def test_a_part_deleted_as_a_session_naming_it_commits_is_deleted_and_the_session_refused(
    owner, event, field, make_part
):
    """A session that names a room, type or track committed right before Django's DELETE of that
    row (after it set the references it found to null) broke the deletion's commit: a 500."""
    part = make_part(event=event)
    session = SessionFactory(event=event, title="Talk", state=Session.State.ACCEPTED)
    delete = services.delete_track if field == "track" else services.delete_event_part
    placing = run_just_before_the_delete(
        lambda: delete(owner, type(part).objects.get(pk=part.pk)),
        type(part),
        lambda: services.update_session(owner, session, starts_at=at(10), ends_at=at(11), **{field: part}),
    )
    with pytest.raises(Conflict, match="deleted meanwhile"):
        placing.result()
    assert not type(part).objects.filter(pk=part.pk).exists()
    session.refresh_from_db()
    assert (session.starts_at, getattr(session, f"{field}_id")) == (None, None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
@pytest.mark.parametrize("deleted", ["session", "session of a new speaker", "speaker"])
def test_a_session_or_speaker_deleted_as_a_link_between_them_commits_is_deleted_and_the_link_refused(
    owner, event, deleted
):
    """A speaker's link to a session committed right before Django's DELETE of either (after it
    deleted the links it found) broke the deletion's commit: a 500."""
    session = SessionFactory(event=event, title="Talk", state=Session.State.ACCEPTED)
    speaker = SpeakerFactory(event=event, name="Ada", sessions=[])
    link = partial(services.update_speaker, owner, speaker, sessions=[session])
    refusal = pytest.raises(Conflict, match="A session of the speaker's was deleted meanwhile")
    if deleted == "speaker":
        delete, model = partial(services.delete_speaker, owner, Speaker.objects.get(pk=speaker.pk)), Speaker
        refusal = pytest.raises(NotFound, match="The speaker no longer exists")
    else:
        delete, model = partial(services.delete_session, owner, Session.objects.get(pk=session.pk)), Session
    if deleted == "session of a new speaker":
        link = partial(
            services.create_speaker,
            owner,
            Speaker(event=event, name="Bea", email="bea@example.com"),
            [session],
        )
    linking = run_just_before_the_delete(delete, model, link)
    with refusal:
        linking.result()
    assert not model.objects.exists()
    assert not Speaker.sessions.through.objects.exists()
