import pytest

from events.factories import EventFactory
from events.models import Event
from speakers.factories import SessionFactory, SpeakerFactory
from speakers.models import Session

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
