import pytest

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory
from events.models import Event, Role
from openevent.errors import Forbidden, NotFound
from speakers import services
from speakers.factories import SessionFactory, SpeakerFactory, TrackFactory
from speakers.models import Session, Speaker, Track

pytestmark = pytest.mark.django_db

STATES = Session.State.values
ORGANIZER_MOVES = {
    ("draft", "pending"), ("draft", "accepted"), ("draft", "rejected"), ("draft", "canceled"),
    ("pending", "accepted"), ("pending", "rejected"), ("pending", "canceled"),
    ("accepted", "pending"), ("accepted", "confirmed"), ("accepted", "rejected"), ("accepted", "canceled"),
    ("confirmed", "accepted"), ("confirmed", "canceled"),
    ("rejected", "pending"), ("rejected", "accepted"),
    ("canceled", "pending"), ("canceled", "accepted"),
}  # fmt: skip
SUBMITTER_MOVES = {("draft", "pending")} | {(state, "withdrawn") for state in STATES if state != "withdrawn"}


def session_in(event, state, creator) -> Session:
    return SessionFactory(event=event, title="Talk", state=state, creator=creator)


@pytest.mark.parametrize("target", STATES)
@pytest.mark.parametrize("source", STATES)
@pytest.mark.parametrize(("side", "moves"), [("organizer", ORGANIZER_MOVES), ("submitter", SUBMITTER_MOVES)])
def test_transition_tables(event, organizer, submitter, side, moves, source, target):
    actor = organizer if side == "organizer" else submitter
    # A draft is its creator's alone: an organizer moves only their own, as its submitter too.
    own_draft = (side, source) == ("organizer", "draft")
    session = session_in(event, source, organizer if own_draft else submitter)
    if own_draft:
        moves = moves | SUBMITTER_MOVES
    if source == target or (source, target) in moves:
        assert services.change_state(actor, session, target).state == target
    else:
        with pytest.raises(Forbidden) as error:
            services.change_state(actor, session, target)
        assert str(error.value) == f'You cannot change a session state from "{source}" to "{target}"'
        session.refresh_from_db()
        assert session.state == source


def test_the_tables_are_published(api, db):
    response = api.get("/v1/sessions/states")
    assert response.status_code == 200
    tables = response.json()
    published = {
        side: {(a, b) for a, targets in table.items() for b in targets} for side, table in tables.items()
    }
    assert published == {"organizer": ORGANIZER_MOVES, "submitter": SUBMITTER_MOVES}


@pytest.mark.parametrize(("state", "word"), [("accepted", "accepted"), ("rejected", "did not accept")])
def test_accepting_or_rejecting_emails_every_speaker(event, organizer, submitter, mailoutbox, state, word):
    session = session_in(event, "pending", submitter)
    for name in ["Ada", "Bea"]:
        SpeakerFactory(event=event, name=name, sessions=[session])
    services.change_state(organizer, session, state)
    assert sorted(message.to[0] for message in mailoutbox) == ["ada@example.com", "bea@example.com"]
    assert all(word in message.body for message in mailoutbox)
    mailoutbox.clear()
    services.change_state(organizer, session, state)  # already there: no second mail
    services.change_state(organizer, session, "pending" if state == "rejected" else "confirmed")
    assert mailoutbox == []


def test_non_admins_submit_only_drafts_or_pending_sessions(event, submitter):
    with pytest.raises(Forbidden):
        services.create_session(submitter, Session(event=event, title="Sneaky", state="accepted"))
    assert (
        services.create_session(submitter, Session(event=event, title="Fine", state="pending")).creator
        == submitter
    )


def test_submitting_to_a_draft_event_is_for_its_admins(submitter):
    owner = UserFactory()
    draft = EventFactory(owner=owner, state=Event.State.DRAFT)
    with pytest.raises(NotFound):
        services.create_session(submitter, Session(event=draft, title="Early"))
    assert services.create_session(owner, Session(event=draft, title="Keynote", state="accepted"))


def test_a_session_stays_on_tracks_of_its_own_event(event, submitter):
    elsewhere = TrackFactory(event=EventFactory(), name="Elsewhere")
    with pytest.raises(Exception, match="another event"):
        services.create_session(submitter, Session(event=event, title="Lost", track=elsewhere))


def test_speakers_link_only_their_own_sessions_unless_admin(event, organizer, submitter):
    theirs = session_in(event, "pending", UserFactory())
    mine = session_in(event, "pending", submitter)
    with pytest.raises(NotFound, match=f"Session: {theirs.pk} not found"):
        services.create_speaker(submitter, Speaker(event=event, name="Me", email="me@example.com"), [theirs])
    speaker = services.create_speaker(
        submitter, Speaker(event=event, name="Me", email="me@example.com"), [mine]
    )
    assert speaker.user == submitter
    assert services.update_speaker(organizer, speaker, [mine, theirs]).sessions.count() == 2


def test_the_call_for_speakers_reuses_the_speaker_profile(event, submitter):
    profile = {"name": "Sam", "email": "sam@example.com"}
    first = services.submit_to_call(submitter, Session(event=event, title="One", state="pending"), profile)
    second = services.submit_to_call(
        submitter, Session(event=event, title="Two", state="draft"), profile | {"name": "Sam S."}
    )
    speaker = Speaker.objects.get(event=event, user=submitter)
    assert set(speaker.sessions.all()) == {first, second}
    assert speaker.name == "Sam S."


def test_track_organizers_must_hold_the_role(event, organizer):
    outsider = UserFactory()
    track = Track(event=event, name="Hardware")
    with pytest.raises(Exception, match="not a track organizer"):
        services.save_track(organizer, track, [outsider])
    event_services.grant_role(outsider, event, Role.TRACK_ORGANIZER)
    assert list(services.save_track(organizer, track, [outsider]).organizers.all()) == [outsider]
