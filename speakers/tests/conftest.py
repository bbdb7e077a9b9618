from dataclasses import dataclass
from datetime import timedelta

import pytest

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory
from events.models import Event, Role
from speakers import services
from speakers.factories import (
    MicrolocationFactory,
    SessionFactory,
    SessionTypeFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from speakers.models import Session, Speaker


@dataclass
class Programme:
    """Two events of one owner (published `P`, draft `D`) with sessions, speakers and sponsors.

    - `submitter` created every session but `other_pending` (a stranger's, on no track), among
      them a `draft` on P's track, which only `of_draft` speaks at; `speaker_user` speaks at the
      pending ones; `track_organizer` organizes each event's track.
    - `coorganizer` helps run both events; `other_event_organizer` owns a third one;
      `former_organizer` helped run P, added the speaker `added` (at `pending`), and left.
    - Each event has a room and a session type; `accepted` is placed in P's room for an hour
      from the event's start.
    """

    users: dict
    events: dict
    sessions: dict
    speakers: dict
    sponsors: dict
    tracks: dict
    rooms: dict
    session_types: dict


@pytest.fixture
def programme(db) -> Programme:
    owner = UserFactory(email="owner@example.com")
    stranger = UserFactory(email="stranger@example.com")  # submits too, but is none of the actors
    users = {
        "anonymous": None,
        "other_user": UserFactory(email="other@example.com"),
        "submitter": UserFactory(email="submitter@example.com"),
        "speaker_user": UserFactory(email="speaker@example.com"),
        "track_organizer": UserFactory(email="tracks@example.com"),
        "coorganizer": UserFactory(email="coorganizer@example.com"),
        "other_event_organizer": UserFactory(email="elsewhere@example.com"),
        "former_organizer": UserFactory(email="former@example.com"),
        "site_admin": UserFactory(email="admin@example.com", is_staff=True),
    }
    EventFactory(owner=users["other_event_organizer"])
    events = {
        "P": EventFactory(owner=owner, name="Published"),
        "D": EventFactory(owner=owner, state=Event.State.DRAFT, name="Draft"),
    }
    tracks = {}
    for key, event in events.items():
        event_services.grant_role(users["coorganizer"], event, Role.COORGANIZER)
        event_services.grant_role(users["track_organizer"], event, Role.TRACK_ORGANIZER)
        tracks[key] = TrackFactory(event=event, name=f"Track {key}")
        tracks[key].organizers.add(users["track_organizer"])

    def session(key, title, state, creator=users["submitter"], track=True):
        return SessionFactory(
            event=events[key], title=title, state=state, creator=creator, track=tracks[key] if track else None
        )

    sessions = {
        "accepted": session("P", "Accepted talk", Session.State.ACCEPTED),
        "pending": session("P", "Pending talk", Session.State.PENDING),
        "other_pending": session("P", "Someone else's talk", Session.State.PENDING, stranger, track=False),
        "draft_event_pending": session("D", "Talk at a draft event", Session.State.PENDING),
        # Accepted, yet not public: its event is a draft.
        "draft_event_accepted": session("D", "Accepted at a draft event", Session.State.ACCEPTED),
        "confirmed": session("P", "Confirmed talk", Session.State.CONFIRMED, stranger, track=False),
        "draft": session("P", "Draft talk", Session.State.DRAFT),
    }

    def speaker(key, name, session_key, user=None, creator=users["submitter"]):
        return SpeakerFactory(
            event=events[key], name=name, user=user, creator=creator, sessions=[sessions[session_key]]
        )

    speakers = {
        "accepted": speaker("P", "Ada", "accepted"),
        "pending": speaker("P", "Bea", "pending", user=users["speaker_user"]),
        "other_pending": speaker("P", "Cy", "other_pending", creator=stranger),
        "draft_event": speaker("D", "Dee", "draft_event_pending", user=users["speaker_user"]),
        "of_draft": speaker("P", "Eve", "draft"),
    }
    former_role = event_services.grant_role(users["former_organizer"], events["P"], Role.COORGANIZER)
    speakers["added"] = services.create_speaker(
        users["former_organizer"],
        Speaker(event=events["P"], name="Fay", email="fay@example.com"),
        [sessions["pending"]],
    )
    event_services.remove_role(owner, former_role)
    sponsors = {key: SponsorFactory(event=event, name=f"Sponsor {key}") for key, event in events.items()}
    rooms = {key: MicrolocationFactory(event=event, name=f"Room {key}") for key, event in events.items()}
    session_types = {
        key: SessionTypeFactory(event=event, name=f"Talk {key}") for key, event in events.items()
    }
    accepted = sessions["accepted"]
    accepted.microlocation, accepted.session_type = rooms["P"], session_types["P"]
    accepted.starts_at = events["P"].starts_at
    accepted.ends_at = accepted.starts_at + timedelta(hours=1)
    accepted.save()
    return Programme(users, events, sessions, speakers, sponsors, tracks, rooms, session_types)


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com")


@pytest.fixture
def event(owner):
    return EventFactory(owner=owner)


@pytest.fixture
def organizer(event):
    organizer = UserFactory(email="organizer@example.com")
    event_services.grant_role(organizer, event, Role.ORGANIZER)
    return organizer


@pytest.fixture
def submitter(db):
    return UserFactory(email="submitter@example.com")
