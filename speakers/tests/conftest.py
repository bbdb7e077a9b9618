from dataclasses import dataclass

import pytest

from accounts.tests.factories import make_user
from events import services as event_services
from events.models import Event, Role
from events.tests.factories import make_event
from speakers import services
from speakers.models import Session, Speaker, Sponsor, Track


@dataclass
class Programme:
    """Two events of one owner (published `P`, draft `D`) with sessions, speakers and sponsors.

    - `submitter` created every session but `other_pending` (a stranger's, on no track), among
      them a `draft` on P's track, which only `of_draft` speaks at; `speaker_user` speaks at the
      pending ones; `track_organizer` organizes each event's track.
    - `coorganizer` helps run both events; `other_event_organizer` owns a third one;
      `former_organizer` helped run P, added the speaker `added` (at `pending`), and left.
    """

    users: dict
    events: dict
    sessions: dict
    speakers: dict
    sponsors: dict
    tracks: dict


@pytest.fixture
def programme(db) -> Programme:
    owner = make_user(email="owner@example.com")
    stranger = make_user(email="stranger@example.com")  # submits too, but is none of the actors
    users = {
        "anonymous": None,
        "other_user": make_user(email="other@example.com"),
        "submitter": make_user(email="submitter@example.com"),
        "speaker_user": make_user(email="speaker@example.com"),
        "track_organizer": make_user(email="tracks@example.com"),
        "coorganizer": make_user(email="coorganizer@example.com"),
        "other_event_organizer": make_user(email="elsewhere@example.com"),
        "former_organizer": make_user(email="former@example.com"),
        "site_admin": make_user(email="admin@example.com", is_staff=True),
    }
    make_event(users["other_event_organizer"])
    events = {
        "P": make_event(owner, name="Published"),
        "D": make_event(owner, state=Event.State.DRAFT, name="Draft"),
    }
    tracks = {}
    for key, event in events.items():
        event_services.grant_role(users["coorganizer"], event, Role.COORGANIZER)
        event_services.grant_role(users["track_organizer"], event, Role.TRACK_ORGANIZER)
        tracks[key] = Track.objects.create(event=event, name=f"Track {key}")
        tracks[key].organizers.add(users["track_organizer"])

    def session(key, title, state, creator=users["submitter"], track=True):
        return Session.objects.create(
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
        profile = Speaker.objects.create(
            event=events[key], name=name, email=f"{name.lower()}@example.com", user=user, creator=creator
        )
        profile.sessions.add(sessions[session_key])
        return profile

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
    sponsors = {
        key: Sponsor.objects.create(event=event, name=f"Sponsor {key}") for key, event in events.items()
    }
    return Programme(users, events, sessions, speakers, sponsors, tracks)


@pytest.fixture
def owner(db):
    return make_user(email="owner@example.com")


@pytest.fixture
def event(owner):
    return make_event(owner)


@pytest.fixture
def organizer(event):
    organizer = make_user(email="organizer@example.com")
    event_services.grant_role(organizer, event, Role.ORGANIZER)
    return organizer


@pytest.fixture
def submitter(db):
    return make_user(email="submitter@example.com")
