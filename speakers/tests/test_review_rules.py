"""Rules that keep speakers' data to the right people and reviewed sessions to the organizers."""

import pytest
from django.core.exceptions import ValidationError

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory
from events.models import Event, Role, UsersEventsRoles
from openevent.errors import Forbidden
from speakers import permissions, services
from speakers.factories import SessionFactory, SpeakerFactory, TrackFactory
from speakers.models import Speaker, Track

pytestmark = pytest.mark.django_db


def public_speaker(event, email="speaker@example.com", **fields) -> Speaker:
    session = SessionFactory(event=event, title="Public talk", state="accepted")
    return SpeakerFactory(event=event, name="Ada", email=email, sessions=[session], **fields)


def test_speaker_addresses_are_only_for_who_may_change_the_speaker(api, event, owner):
    speaker_user = UserFactory()
    speaker = public_speaker(event, user=speaker_user)
    for reader, sees in [(None, False), (UserFactory(), False), (speaker_user, True), (owner, True)]:
        if reader:
            api.as_user(reader)
        for path in [f"/v1/speakers/{speaker.pk}", f"/v1/events/{event.pk}/speakers"]:
            data = api.get(path).json()["data"]
            attributes = (data if isinstance(data, dict) else data[0])["attributes"]
            assert ("email" in attributes) == sees, (reader, path)


def test_a_speakers_sessions_show_only_the_visible_ones(api, event):
    speaker = public_speaker(event)
    hidden = SessionFactory(event=event, title="Rejected", state="rejected")
    speaker.sessions.add(hidden)
    linked = api.get(f"/v1/speakers/{speaker.pk}").json()["data"]["relationships"]["sessions"]["data"]
    assert str(hidden.pk) not in [item["id"] for item in linked]


def test_naming_a_track_organizer_does_not_reveal_addresses(api, event, owner):
    victim = UserFactory(email="secret@example.com")
    document = {
        "data": {
            "type": "track",
            "attributes": {"name": "Hardware"},
            "relationships": {
                "event": {"data": {"type": "event", "id": str(event.pk)}},
                "organizers": {"data": [{"type": "user", "id": str(victim.pk)}]},
            },
        }
    }
    response = api.as_user(owner).post("/v1/tracks", document)
    assert response.status_code == 404
    assert response.json()["errors"][0]["source"] == {"pointer": "/data/relationships/organizers"}
    assert b"secret@example.com" not in response.content


def test_a_draft_events_page_has_no_programme_even_for_its_team(client, owner):
    draft = EventFactory(owner=owner, state=Event.State.DRAFT)
    SessionFactory(event=draft, title="Secret accepted talk", state="accepted")
    attendee = UserFactory()
    event_services.grant_role(attendee, draft, Role.ATTENDEE)
    client.force_login(attendee)
    assert b"Secret accepted talk" not in client.get(f"/events/{draft.pk}/").content


def test_a_submitter_cannot_rewrite_a_reviewed_session_but_may_withdraw_it(api, event):
    submitter = UserFactory()
    session = SessionFactory(event=event, title="Good talk", state="accepted", creator=submitter)
    document = {"data": {"type": "session", "id": str(session.pk), "attributes": {"title": "Buy crypto"}}}
    assert api.as_user(submitter).patch(f"/v1/sessions/{session.pk}", document).status_code == 403
    assert api.delete(f"/v1/sessions/{session.pk}").status_code == 403
    session.refresh_from_db()
    assert session.title == "Good talk"
    services.change_state(submitter, session, "withdrawn")


def test_a_submitter_deletes_their_drafts(api, event):
    submitter = UserFactory()
    draft = SessionFactory(event=event, title="Idea", state="draft", creator=submitter)
    assert api.as_user(submitter).delete(f"/v1/sessions/{draft.pk}").status_code == 204


def test_speakers_cannot_be_added_to_reviewed_or_foreign_sessions(api, event):
    submitter = UserFactory()
    accepted = SessionFactory(event=event, title="Reviewed", state="accepted", creator=submitter)
    with pytest.raises(ValidationError, match="is accepted"):
        services.create_speaker(
            submitter, Speaker(event=event, name="Linus", email="l@example.com"), [accepted]
        )
    mine = SessionFactory(event=event, title="Mine", state="pending", creator=submitter)
    theirs = SessionFactory(
        event=event,
        title="Theirs",
        state="pending",
    )
    speaker = services.create_speaker(
        submitter, Speaker(event=event, name="Me", email="me@example.com"), [mine]
    )
    document = {
        "data": {
            "type": "speaker",
            "id": str(speaker.pk),
            "relationships": {"sessions": {"data": [{"type": "session", "id": str(theirs.pk)}]}},
        }
    }
    response = api.as_user(submitter).patch(f"/v1/speakers/{speaker.pk}", document)
    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == f"Session: {theirs.pk} not found"
    assert list(speaker.sessions.all()) == [mine]


def test_submitting_again_keeps_sessions_the_organizers_linked(client, event, owner):
    submitter = UserFactory()
    client.force_login(submitter)
    proposal = {"title": "One", "speaker-name": "Sam", "speaker-email": "sam@example.com"}
    client.post(f"/events/{event.pk}/call-for-speakers/", proposal)
    speaker = Speaker.objects.get()
    keynote = SessionFactory(event=event, title="Keynote", state="accepted", creator=owner)
    services.update_speaker(owner, speaker, [*speaker.sessions.all(), keynote])
    response = client.post(f"/events/{event.pk}/call-for-speakers/", proposal | {"title": "Two"})
    assert response.status_code == 302
    assert {session.title for session in speaker.sessions.all()} == {"One", "Two", "Keynote"}


def test_losing_the_track_organizer_role_hides_the_tracks_sessions(event, owner):
    organizer = UserFactory()
    event_services.grant_role(organizer, event, Role.TRACK_ORGANIZER)
    track = TrackFactory(event=event, name="Hardware")
    track.organizers.add(organizer)
    pending = SessionFactory(event=event, track=track, title="Pending", state="pending")
    assert pending in permissions.visible_sessions(organizer)
    event_services.remove_role(owner, UsersEventsRoles.objects.get(user=organizer))
    assert pending not in permissions.visible_sessions(organizer)


def test_a_session_keeps_to_tracks_of_its_event_when_changed(event, owner):
    elsewhere = TrackFactory(event=EventFactory(owner=owner), name="Elsewhere")
    session = SessionFactory(event=event, title="Talk", state="pending")
    with pytest.raises(Exception, match="another event"):
        services.update_session(owner, session, track=elsewhere)


def test_a_title_with_a_newline_still_mails_its_speakers(event, owner, mailoutbox):
    session = SessionFactory(event=event, title="Line one\nBcc: x@example.com", state="pending")
    SpeakerFactory(event=event, name="Ada", email="ada@example.com", sessions=[session])
    services.change_state(owner, session, "accepted")
    assert len(mailoutbox) == 1
    assert "\n" not in mailoutbox[0].subject


def test_the_admin_shows_refusals_as_form_errors_and_only_the_users_events(client, event, owner):
    other = EventFactory(name="Top secret draft", state=Event.State.DRAFT)
    TrackFactory(event=other, name="Secret track")
    session = SessionFactory(event=event, title="Withdrawn", state="withdrawn")
    client.force_login(owner)
    assert b"Top secret draft" not in client.get("/admin/speakers/session/").content
    form = client.get(f"/admin/speakers/session/{session.pk}/change/")
    assert b"Secret track" not in form.content
    data = {"title": "Withdrawn", "state": "accepted", "track": "", "level": "", "language": ""}
    response = client.post(f"/admin/speakers/session/{session.pk}/change/", data)
    assert response.status_code == 200
    assert 'from "withdrawn" to "accepted"' in " ".join(response.context["adminform"].form.non_field_errors())
    session.refresh_from_db()
    assert session.state == "withdrawn"


def test_the_admin_refuses_a_track_organizer_without_the_role(client, event, owner):
    outsider = UserFactory()
    event_services.grant_role(outsider, EventFactory(owner=owner), Role.TRACK_ORGANIZER)  # of another event
    client.force_login(owner)
    response = client.post(
        "/admin/speakers/track/add/",
        {"event": event.pk, "name": "Hardware", "color": "#123456", "organizers": [outsider.pk]},
    )
    assert response.status_code == 200
    assert not Track.objects.filter(event=event).exists()


def test_services_refuse_what_the_admin_form_checks(event, owner):
    outsider = UserFactory()
    with pytest.raises(Forbidden):
        services.change_state(outsider, SessionFactory(event=event, title="T", state="pending"), "accepted")


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_track_name_taken_meanwhile_is_a_422_not_a_500(api, event, owner, monkeypatch, method):
    """Two requests naming tracks alike at once: the other one saves after this one's checks."""
    track = TrackFactory(event=event, name="Software")
    document = {"data": {"type": "track", "attributes": {"name": "Hardware"}}}
    if method == "post":
        path = "/v1/tracks"
        document["data"]["relationships"] = {"event": {"data": {"type": "event", "id": str(event.pk)}}}
    else:
        path = f"/v1/tracks/{track.pk}"
        document["data"]["id"] = str(track.pk)
    checked = Track.full_clean

    def checked_then_taken(self, *args, **kwargs):
        checked(self, *args, **kwargs)
        TrackFactory(event=event, name="Hardware")

    monkeypatch.setattr(Track, "full_clean", checked_then_taken)
    response = getattr(api.as_user(owner), method)(path, document)
    assert response.status_code == 422, response.content
    assert "already exists" in response.json()["errors"][0]["detail"]
    # Nothing of the request is saved: "Software" stays (the other request's "Hardware", made in
    # this test's one transaction, is rolled back with it here; another connection's would stay).
    assert list(Track.objects.filter(event=event).values_list("name", flat=True)) == ["Software"]


def test_a_submitter_cannot_take_their_speaker_off_a_reviewed_session(api, event):
    submitter = UserFactory()
    confirmed = SessionFactory(event=event, state="confirmed", creator=submitter)
    speaker = SpeakerFactory(event=event, user=submitter, creator=submitter, sessions=[confirmed])
    document = {
        "data": {"type": "speaker", "id": str(speaker.pk), "relationships": {"sessions": {"data": []}}}
    }
    response = api.as_user(submitter).patch(f"/v1/speakers/{speaker.pk}", document)
    assert response.status_code == 403
    assert list(speaker.sessions.all()) == [confirmed]
