import pytest

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory
from events.models import Event, Role
from forms_builder.tests.conftest import ask
from speakers.factories import SessionFactory, SpeakerFactory, SponsorFactory, TrackFactory
from speakers.models import Session, Speaker

pytestmark = pytest.mark.django_db


def test_the_event_page_shows_the_public_programme_only(client, user):
    event = EventFactory(owner=user)
    for title, state in [
        ("Shown talk", "accepted"),
        ("Confirmed talk", "confirmed"),
        ("Hidden talk", "pending"),
    ]:
        session = SessionFactory(event=event, title=title, state=state)
        SpeakerFactory(event=event, name=f"Speaker of {title}", email="s@example.com", sessions=[session])
    SponsorFactory(event=event, name="Kind Sponsor", url="https://sponsor.example.com")
    content = client.get(f"/events/{event.pk}/").content.decode()
    assert "Shown talk" in content
    assert "Confirmed talk" in content
    assert "Speaker of Shown talk" in content
    assert "Kind Sponsor" in content
    assert "Hidden talk" not in content
    assert "Speaker of Hidden talk" not in content


def proposal(**fields) -> dict:
    return {
        "title": "My first talk",
        "short_abstract": "Short",
        "speaker-name": "Grace Hopper",
        "speaker-email": "grace@example.com",
        "speaker-short_biography": "Compilers.",
    } | fields


def test_the_call_for_speakers_takes_a_session_and_a_profile(client, user, mailoutbox):
    event = EventFactory()
    track = TrackFactory(event=event, name="Languages")
    client.force_login(user)
    page = client.get(f"/events/{event.pk}/call-for-speakers/")
    assert page.status_code == 200
    assert page.context["speaker_form"]["email"].value() == user.email
    response = client.post(f"/events/{event.pk}/call-for-speakers/", proposal(track=track.pk), follow=True)
    assert response.redirect_chain[-1][0] == "/my-submissions/"
    session = Session.objects.get()
    assert (session.state, session.creator, session.track) == ("pending", user, track)
    speaker = Speaker.objects.get()
    assert (speaker.user, speaker.name, list(speaker.sessions.all())) == (user, "Grace Hopper", [session])
    assert b"My first talk" in response.content


def test_saving_a_draft_then_sending_it_for_review_then_withdrawing(client, user):
    event = EventFactory()
    client.force_login(user)
    client.post(f"/events/{event.pk}/call-for-speakers/", proposal(save_draft="1"))
    session = Session.objects.get()
    assert session.state == "draft"
    client.post(f"/sessions/{session.pk}/submit/")
    session.refresh_from_db()
    assert session.state == "pending"
    client.post(f"/sessions/{session.pk}/withdraw/")
    session.refresh_from_db()
    assert session.state == "withdrawn"


def test_nobody_withdraws_someone_elses_session(client, user):
    session = SessionFactory(event=EventFactory(), title="Theirs", state="pending")
    client.force_login(user)
    assert client.post(f"/sessions/{session.pk}/withdraw/").status_code == 404
    session.refresh_from_db()
    assert session.state == "pending"


def test_the_call_for_speakers_of_a_draft_event_is_404_except_for_its_admins(client, user):
    owner = UserFactory()
    draft = EventFactory(owner=owner, state=Event.State.DRAFT)
    event_services.grant_role(user, draft, Role.ATTENDEE)
    client.force_login(user)
    assert client.get(f"/events/{draft.pk}/call-for-speakers/").status_code == 404
    client.force_login(owner)
    assert client.get(f"/events/{draft.pk}/call-for-speakers/").status_code == 200


def test_the_call_for_speakers_shows_errors_next_to_fields(client, user):
    event = EventFactory()
    client.force_login(user)
    response = client.post(
        f"/events/{event.pk}/call-for-speakers/", proposal(title="", **{"speaker-email": "x"})
    )
    assert "title" in response.context["session_form"].errors
    assert "email" in response.context["speaker_form"].errors
    assert not Session.objects.exists()


def test_the_call_for_speakers_needs_login(client, db):
    event = EventFactory()
    assert client.get(f"/events/{event.pk}/call-for-speakers/")["Location"].startswith("/login/")


# --- My sessions: editing before review, and withdrawing ----------------------------------------


def test_my_sessions_offers_what_the_transition_table_allows(client, user):
    event = EventFactory()
    for title, state in [
        ("Draft", "draft"),
        ("Pending", "pending"),
        ("Accepted", "accepted"),
        ("Gone", "withdrawn"),
    ]:
        SessionFactory(event=event, title=title, state=state, creator=user)
    client.force_login(user)
    offered = {
        session.title: (session.editable, set(session.moves))
        for session in client.get("/my-submissions/").context["sessions"]
    }
    assert offered == {
        "Draft": (True, {"pending", "withdrawn"}),
        "Pending": (True, {"withdrawn"}),
        "Accepted": (False, {"withdrawn"}),
        "Gone": (False, set()),
    }
    page = client.get("/my-submissions/").content.decode()
    assert page.count("Withdraw…") == 3
    assert page.count(">Edit</a>") == 2


def test_a_submitter_edits_a_pending_session_and_its_answers(client, user):
    event = EventFactory()
    ask(event, "session", "audience", "Audience", is_required=True)
    session = SessionFactory(
        event=event, title="Old", state="pending", creator=user, complex_field_values={"audience": "All"}
    )
    client.force_login(user)
    page = client.get(f"/sessions/{session.pk}/edit/")
    assert page.context["session_form"]["title"].value() == "Old"
    assert page.context["session_answers"]["audience"].value() == "All"
    response = client.post(
        f"/sessions/{session.pk}/edit/", {"title": "New", "session-answers-audience": "Experts"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/my-submissions/"
    session.refresh_from_db()
    assert (session.title, session.state, session.complex_field_values) == (
        "New",
        "pending",
        {"audience": "Experts"},
    )
    refused = client.post(f"/sessions/{session.pk}/edit/", {"title": "Newer", "session-answers-audience": ""})
    assert refused.status_code == 200
    assert refused.context["session_answers"].errors["audience"]
    session.refresh_from_db()
    assert session.title == "New"


def test_a_draft_is_saved_and_sent_for_review_from_its_edit_page(client, user):
    session = SessionFactory(event=EventFactory(), title="Draft", state="draft", creator=user)
    client.force_login(user)
    client.post(f"/sessions/{session.pk}/edit/", {"title": "Still a draft"})
    session.refresh_from_db()
    assert (session.title, session.state) == ("Still a draft", "draft")
    client.post(f"/sessions/{session.pk}/edit/", {"title": "Ready", "send_for_review": "1"})
    session.refresh_from_db()
    assert (session.title, session.state) == ("Ready", "pending")


def test_a_reviewed_session_is_not_edited_by_its_submitter(client, user):
    session = SessionFactory(event=EventFactory(), title="Accepted", state="accepted", creator=user)
    client.force_login(user)
    for response in (
        client.get(f"/sessions/{session.pk}/edit/"),
        client.post(f"/sessions/{session.pk}/edit/", {"title": "X"}),
    ):
        assert response.url == "/my-submissions/"
    session.refresh_from_db()
    assert session.title == "Accepted"
    theirs = SessionFactory(event=EventFactory(), state="pending")
    assert client.get(f"/sessions/{theirs.pk}/edit/").status_code == 404


def test_withdrawing_asks_first(client, user):
    session = SessionFactory(event=EventFactory(), title="Talk", state="accepted", creator=user)
    client.force_login(user)
    page = client.get(f"/sessions/{session.pk}/withdraw/")
    assert page.status_code == 200
    assert 'Withdraw "Talk"?' in page.content.decode()
    session.refresh_from_db()
    assert session.state == "accepted"
    client.post(f"/sessions/{session.pk}/withdraw/")
    session.refresh_from_db()
    assert session.state == "withdrawn"
    assert client.get(f"/sessions/{session.pk}/submit/").url == "/my-submissions/"


def test_a_withdrawn_session_is_not_offered_withdrawing_again(client, user):
    session = SessionFactory(event=EventFactory(), title="Talk", state="withdrawn", creator=user)
    client.force_login(user)

    response = client.get(f"/sessions/{session.pk}/withdraw/", follow=True)

    assert response.redirect_chain == [("/my-submissions/", 302)]
    page = response.content.decode()
    assert 'Withdraw "Talk"?' not in page
    assert "&quot;Talk&quot; is withdrawn already." in page
