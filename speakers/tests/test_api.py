import pytest

from accounts.factories import UserFactory
from events.factories import EventFactory
from events.models import Event
from speakers.factories import SessionFactory, SpeakerFactory, SponsorFactory, TrackFactory
from speakers.models import Session

pytestmark = pytest.mark.django_db


def session_document(event, **attributes):
    return {
        "data": {
            "type": "session",
            "attributes": {"title": "A talk"} | attributes,
            "relationships": {"event": {"data": {"type": "event", "id": str(event.pk)}}},
        }
    }


def test_a_submitted_session_belongs_to_its_submitter(api, user):
    event = EventFactory()
    response = api.as_user(user).post("/v1/sessions", session_document(event, **{"short-abstract": "Why"}))
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["attributes"]["state"] == "draft"
    assert data["attributes"]["short-abstract"] == "Why"
    assert data["relationships"]["creator"]["data"] == {"type": "user", "id": str(user.pk)}
    assert Session.objects.get().creator == user


def test_a_forbidden_state_move_is_403_with_the_contracts_message(api, user):
    event = EventFactory()
    session = SessionFactory(event=event, title="Talk", state="pending", creator=user)
    document = {"data": {"type": "session", "id": str(session.pk), "attributes": {"state": "accepted"}}}
    response = api.as_user(user).patch(f"/v1/sessions/{session.pk}", document)
    assert response.status_code == 403
    assert (
        response.json()["errors"][0]["detail"]
        == 'You cannot change a session state from "pending" to "accepted"'
    )


def test_submitters_may_not_create_accepted_sessions(api, user):
    response = api.as_user(user).post("/v1/sessions", session_document(EventFactory(), state="accepted"))
    assert response.status_code == 403
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [({"state": "approved"}, "/data/attributes/state"), ({"title": ""}, "/data/attributes/title")],
)
def test_bad_session_attributes_are_422(api, user, attributes, pointer):
    response = api.as_user(user).post("/v1/sessions", session_document(EventFactory(), **attributes))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == pointer


def test_a_track_of_another_event_is_422(api, user):
    event = EventFactory()
    elsewhere = TrackFactory(event=EventFactory(), name="Elsewhere")
    document = session_document(event)
    document["data"]["relationships"]["track"] = {"data": {"type": "track", "id": str(elsewhere.pk)}}
    response = api.as_user(user).post("/v1/sessions", document)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/relationships/track"


def speaker_document(event, session_ids: list) -> dict:
    return {
        "data": {
            "type": "speaker",
            "attributes": {"name": "Me", "email": "me@example.com"},
            "relationships": {
                "event": {"data": {"type": "event", "id": str(event.pk)}},
                "sessions": {"data": [{"type": "session", "id": str(pk)} for pk in session_ids]},
            },
        }
    }


def test_a_speakers_name_holds_no_control_characters(api, user):
    """A name goes into emails, the speaker's page and the calendar: an escape in it was stored."""
    document = speaker_document(EventFactory(), [])
    document["data"]["attributes"]["name"] = "Ada\x1b[31m"
    response = api.as_user(user).post("/v1/speakers", document)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"


def test_an_unknown_session_for_a_speaker_is_404_like_someone_elses(api, user):
    response = api.as_user(user).post("/v1/speakers", speaker_document(EventFactory(), [999]))
    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == "Session: 999 not found"


@pytest.mark.parametrize("state", ["withdrawn", "accepted"])
def test_ones_own_reviewed_or_withdrawn_session_gets_no_speaker_and_says_why(api, user, state):
    event = EventFactory()
    session = SessionFactory(event=event, state=state, creator=user)
    response = api.as_user(user).post("/v1/speakers", speaker_document(event, [session.pk]))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["source"] == {"pointer": "/data/relationships/sessions"}
    assert error["detail"] == (
        f"Session {session.pk} is {state}: speakers are added to a session while it is a draft or pending."
    )


def test_the_event_of_a_session_cannot_be_moved(api, user):
    event, other = EventFactory(owner=user), EventFactory(owner=user)
    session = SessionFactory(event=event, title="Talk", creator=user)
    document = {
        "data": {
            "type": "session",
            "id": str(session.pk),
            "relationships": {"event": {"data": {"type": "event", "id": str(other.pk)}}},
        }
    }
    api.as_user(user).patch(f"/v1/sessions/{session.pk}", document)
    session.refresh_from_db()
    assert session.event == event


def fill(event, count):
    track = TrackFactory(event=event, name="Main")
    for number in range(count):
        submitter = UserFactory(email=f"submitter{number}@example.com")
        session = SessionFactory(
            event=event, track=track, title=f"Talk {number}", state="accepted", creator=submitter
        )
        SpeakerFactory(
            event=event,
            name=f"Speaker {number}",
            email=f"s{number}@example.com",
            user=submitter,
            creator=submitter,
            sessions=[session],
        )
        SponsorFactory(event=event, name=f"Sponsor {number}")


# The event, the count, the page, and one query per many-relationship (speakers, sessions).
QUERIES = {"sessions": 4, "speakers": 4, "sponsors": 3}
ANSWERING = {"sessions", "speakers"}  # one query more: which answers the reader sees


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize("kind", list(QUERIES))
@pytest.mark.parametrize("reader", ["anonymous", "organizer"])
def test_lists_take_the_same_queries_for_5_or_50(api, user, count, kind, reader, django_assert_num_queries):
    event = EventFactory(owner=user)
    fill(event, count)
    # Anonymous readers: the event's public questions; organizers: the events they administer.
    queries = QUERIES[kind] + (kind in ANSWERING)
    if reader == "organizer":
        api.as_user(user)
        queries += 1  # the user
    api.get(f"/v1/events/{event.pk}/{kind}")  # warm-up
    with django_assert_num_queries(queries):
        response = api.get(f"/v1/events/{event.pk}/{kind}?page[size]=100")
    assert len(response.json()["data"]) == count


def test_sponsors_of_a_draft_event_are_hidden(api, user):
    draft = EventFactory(owner=user, state=Event.State.DRAFT)
    SponsorFactory(event=draft, name="Secret sponsor")
    assert api.get("/v1/sponsors").json()["data"] == []
    assert api.get(f"/v1/events/{draft.pk}/sponsors").status_code == 404


def test_sessions_filter_by_state(api, user):
    event = EventFactory(owner=user)
    accepted = SessionFactory(event=event, title="In", state="accepted")
    SessionFactory(event=event, title="Out", state="pending")
    response = api.as_user(user).get(f"/v1/events/{event.pk}/sessions?filter[state]=accepted,confirmed")
    assert [item["id"] for item in response.json()["data"]] == [str(accepted.pk)]
    assert api.get("/v1/sessions?filter[creator]=1").status_code == 400
