"""Drafts belong to their submitter: organizers review from `pending` on, in the API, the admin
and the services; and a speaker profile an organizer added is theirs only while they are one."""

import pytest

from accounts.factories import UserFactory
from events import services as event_services
from events.models import Role, UsersEventsRoles
from openevent.errors import Forbidden, NotFound
from speakers import permissions, services
from speakers.factories import SessionFactory, SpeakerFactory, TrackFactory
from speakers.models import Session, Speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(event, submitter):
    return SessionFactory(event=event, title="Half-baked idea", state="draft", creator=submitter)


@pytest.fixture
def pending(event, submitter):
    return SessionFactory(event=event, title="Finished proposal", state="pending", creator=submitter)


@pytest.fixture
def profile(event, submitter, draft, pending):
    """The submitter's speaker profile, on their draft and their pending session."""
    return SpeakerFactory(
        event=event,
        name="Sam",
        email="sam@example.com",
        user=submitter,
        creator=submitter,
        sessions=[draft, pending],
    )


def session_patch(session, **attributes):
    return {"data": {"type": "session", "id": str(session.pk), "attributes": attributes}}


def admin_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_organizer_does_not_see_a_speakers_draft_in_the_admin(client, organizer, draft, pending):
    client.force_login(organizer)
    listed = client.get("/admin/speakers/session/").context["cl"].result_list
    assert [session.title for session in listed] == [pending.title]
    for page in ["change", "history", "delete"]:
        assert client.get(f"/admin/speakers/session/{draft.pk}/{page}/").status_code == 404, page
    data = {"title": "Renamed", "state": "accepted", "track": "", "level": "", "language": ""}
    assert client.post(f"/admin/speakers/session/{draft.pk}/change/", data).status_code == 404
    draft.refresh_from_db()
    assert (draft.title, draft.state) == ("Half-baked idea", "draft")


def test_accept_selected_skips_drafts_and_says_so(client, event, organizer, draft, pending, mailoutbox):
    own_draft = SessionFactory(event=event, title="My idea", state="draft", creator=organizer)
    SpeakerFactory(event=event, name="Ada", email="ada@example.com", sessions=[draft, pending])
    client.force_login(organizer)
    response = client.post(
        "/admin/speakers/session/",
        {"action": "accept", "_selected_action": [draft.pk, pending.pk, own_draft.pk]},
        follow=True,
    )
    states = dict(Session.objects.values_list("title", "state"))
    assert states == {draft.title: "draft", pending.title: "accepted", own_draft.title: "draft"}
    assert "2 selected session(s) skipped: drafts" in " ".join(admin_messages(response))
    assert len(mailoutbox) == 1
    assert "Finished proposal" in mailoutbox[0].subject


def test_an_organizer_can_neither_read_nor_change_a_speakers_draft_through_the_api(
    api, event, organizer, draft, profile
):
    api.as_user(organizer)
    assert api.get(f"/v1/sessions/{draft.pk}").status_code == 404
    listed = [item["id"] for item in api.get(f"/v1/events/{event.pk}/sessions").json()["data"]]
    assert str(draft.pk) not in listed
    for attributes in [{"title": "Renamed"}, {"state": "accepted"}]:
        assert api.patch(f"/v1/sessions/{draft.pk}", session_patch(draft, **attributes)).status_code == 404
    assert api.delete(f"/v1/sessions/{draft.pk}").status_code == 404
    for path in [f"/v1/speakers/{profile.pk}", f"/v1/events/{event.pk}/speakers"]:
        data = api.get(path).json()["data"]
        linked = (data if isinstance(data, dict) else data[0])["relationships"]["sessions"]["data"]
        assert str(draft.pk) not in [item["id"] for item in linked], path
    draft.refresh_from_db()
    assert (draft.title, draft.state) == ("Half-baked idea", "draft")


def test_a_draft_stays_with_its_creator_until_they_send_it_for_review(api, client, organizer, draft):
    api.as_user(draft.creator)
    assert api.get(f"/v1/sessions/{draft.pk}").status_code == 200
    assert api.patch(f"/v1/sessions/{draft.pk}", session_patch(draft, title="Baked")).status_code == 200
    client.force_login(draft.creator)
    assert b"Baked" in client.get("/my-submissions/").content
    assert api.as_user(organizer).get(f"/v1/sessions/{draft.pk}").status_code == 404
    client.post(f"/sessions/{draft.pk}/submit/")
    assert api.get(f"/v1/sessions/{draft.pk}").json()["data"]["attributes"]["state"] == "pending"
    assert api.patch(f"/v1/sessions/{draft.pk}", session_patch(draft, state="accepted")).status_code == 200


def listed_in_the_admin(client, user) -> set[str]:
    client.force_login(user)
    return {session.title for session in client.get("/admin/speakers/session/").context["cl"].result_list}


def test_an_event_admin_sees_the_drafts_they_created_and_no_one_elses(api, client, event, organizer):
    document = {
        "data": {
            "type": "session",
            "attributes": {"title": "Keynote, to be confirmed"},
            "relationships": {"event": {"data": {"type": "event", "id": str(event.pk)}}},
        }
    }
    response = api.as_user(organizer).post("/v1/sessions", document)
    assert response.json()["data"]["attributes"]["state"] == "draft"
    keynote = Session.objects.get()
    assert api.get(f"/v1/sessions/{keynote.pk}").status_code == 200
    accept = session_patch(keynote, state="accepted")
    assert api.patch(f"/v1/sessions/{keynote.pk}", accept).status_code == 200
    second = SessionFactory(event=event, title="Another idea", state="draft", creator=organizer)
    assert listed_in_the_admin(client, organizer) == {keynote.title, second.title}
    assert client.get(f"/admin/speakers/session/{second.pk}/change/").status_code == 200
    fellow = UserFactory()
    event_services.grant_role(fellow, event, Role.COORGANIZER)
    assert api.as_user(fellow).get(f"/v1/sessions/{second.pk}").status_code == 404
    assert listed_in_the_admin(client, fellow) == {keynote.title}


def test_site_admins_do_not_see_speakers_drafts_either(api, draft):
    assert api.as_user(UserFactory(is_staff=True)).get(f"/v1/sessions/{draft.pk}").status_code == 404


def test_track_organizers_do_not_see_drafts_of_their_tracks(api, event, submitter, draft):
    track_organizer = UserFactory()
    event_services.grant_role(track_organizer, event, Role.TRACK_ORGANIZER)
    track = TrackFactory(event=event, name="Hardware")
    track.organizers.add(track_organizer)
    Session.objects.filter(pk=draft.pk).update(track=track)
    speaker = SpeakerFactory(
        event=event, name="Sam", email="sam@example.com", creator=submitter, sessions=[draft]
    )
    assert draft not in permissions.visible_sessions(track_organizer)
    assert speaker not in permissions.visible_speakers(track_organizer)
    api.as_user(track_organizer)
    assert api.get(f"/v1/sessions/{draft.pk}").status_code == 404
    assert api.get(f"/v1/speakers/{speaker.pk}").status_code == 404


@pytest.mark.parametrize(
    "act",
    [
        lambda organizer, draft: services.change_state(organizer, draft, "accepted"),
        lambda organizer, draft: services.update_session(organizer, draft, title="Mine now"),
        services.delete_session,
    ],
    ids=["accept", "rename", "delete"],
)
def test_the_services_refuse_an_organizer_a_speakers_draft(organizer, draft, act):
    with pytest.raises(Forbidden):
        act(organizer, draft)
    draft.refresh_from_db()
    assert (draft.title, draft.state) == ("Half-baked idea", "draft")


def test_an_organizer_cannot_link_a_speaker_to_someone_elses_draft(api, event, organizer, draft):
    speaker = SpeakerFactory(event=event, name="Ada", email="ada@example.com", creator=organizer)
    document = {
        "data": {
            "type": "speaker",
            "id": str(speaker.pk),
            "relationships": {"sessions": {"data": [{"type": "session", "id": str(draft.pk)}]}},
        }
    }
    response = api.as_user(organizer).patch(f"/v1/speakers/{speaker.pk}", document)
    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == f"Session: {draft.pk} not found"
    assert not speaker.sessions.exists()
    with pytest.raises(NotFound):
        services.create_speaker(organizer, Speaker(event=event, name="Bo", email="bo@example.com"), [draft])


def test_saving_a_speaker_in_the_admin_keeps_the_drafts_the_organizer_cannot_see(
    client, organizer, draft, pending, profile
):
    client.force_login(organizer)
    form = client.get(f"/admin/speakers/speaker/{profile.pk}/change/")
    assert b"Half-baked idea" not in form.content
    data = {"name": "Sam S.", "email": "sam@example.com", "sessions": [pending.pk]}
    response = client.post(f"/admin/speakers/speaker/{profile.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.name == "Sam S."
    assert set(profile.sessions.all()) == {draft, pending}


def test_an_organizer_who_lost_the_role_no_longer_changes_a_speaker_they_added(api, event, owner, organizer):
    keynote = SessionFactory(event=event, title="Keynote", state="accepted", creator=organizer)
    document = {
        "data": {
            "type": "speaker",
            "attributes": {"name": "Grace", "email": "grace@example.com"},
            "relationships": {
                "event": {"data": {"type": "event", "id": str(event.pk)}},
                "sessions": {"data": [{"type": "session", "id": str(keynote.pk)}]},
            },
        }
    }
    assert api.as_user(organizer).post("/v1/speakers", document).status_code == 201
    speaker = Speaker.objects.get()
    event_services.remove_role(owner, UsersEventsRoles.objects.get(user=organizer, event=event))
    rename = {"data": {"type": "speaker", "id": str(speaker.pk), "attributes": {"name": "Mine"}}}
    assert api.patch(f"/v1/speakers/{speaker.pk}", rename).status_code == 403
    assert api.delete(f"/v1/speakers/{speaker.pk}").status_code == 403
    assert "email" not in api.get(f"/v1/speakers/{speaker.pk}").json()["data"]["attributes"]
    speaker.refresh_from_db()
    assert speaker.name == "Grace"


def test_an_organizers_own_call_for_speakers_profile_stays_theirs(api, client, event, owner, organizer):
    client.force_login(organizer)
    proposal = {"title": "One", "speaker-name": "Olga", "speaker-email": "olga@example.com"}
    client.post(f"/events/{event.pk}/call-for-speakers/", proposal)
    client.post(f"/events/{event.pk}/call-for-speakers/", proposal | {"title": "Two"})
    speaker = Speaker.objects.get()
    assert speaker.user == organizer
    event_services.remove_role(owner, UsersEventsRoles.objects.get(user=organizer, event=event))
    rename = {"data": {"type": "speaker", "id": str(speaker.pk), "attributes": {"name": "Olga O."}}}
    assert api.as_user(organizer).patch(f"/v1/speakers/{speaker.pk}", rename).status_code == 200
