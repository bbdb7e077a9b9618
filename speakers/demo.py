"""Demo programme for `make run`: tracks, rooms and session types, sessions in every state with
their speakers, a first day fully scheduled, and sponsors."""

from datetime import timedelta

from accounts.demo import DEMO_PASSWORD, demo_user
from events.models import Event, Role, UsersEventsRoles

from .factories import (
    MicrolocationFactory,
    SessionFactory,
    SessionTypeFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from .models import Session

SPEAKER = {"email": "speaker@openevent.test", "first_name": "Sam", "last_name": "Speaker"}
SESSIONS = [
    ("Building a Pocket Science Lab", Session.State.CONFIRMED, "Hardware"),
    ("Open data for citizen science", Session.State.ACCEPTED, "Open data"),
    ("Measuring the air we breathe", Session.State.PENDING, "Hardware"),
    ("Firmware tips and tricks", Session.State.DRAFT, "Hardware"),
    ("Why we chose open licences", Session.State.REJECTED, "Open data"),
    ("An experiment that did not happen", Session.State.WITHDRAWN, "Open data"),
    ("The keynote that moved", Session.State.CANCELED, "Open data"),
]
ROOMS = [("Main hall", 0), ("Workshop room", 1)]
SESSION_TYPES = [("Keynote", 45), ("Talk", 30), ("Workshop", 90), ("Lightning talks", 30)]
# The first day, from the event's start: (minutes in, room, type, title, track, speaker, biography),
# "Sam" being the demo speaker's own sessions above.
FIRST_DAY = [
    (0, "Main hall", "Keynote", "Science in the open", "Open data", "Noor Rahman",
     "Runs an open lab for schools across **Southeast Asia**."),
    (60, "Main hall", "Talk", "Building a Pocket Science Lab", "Hardware", "Sam", ""),
    (90, "Main hall", "Talk", "Open data for citizen science", "Open data", "Sam", ""),
    (60, "Workshop room", "Workshop", "Your first PSLab experiment", "Hardware", "Mei Lin",
     "Teaches physics with instruments her students build."),
    (150, "Main hall", "Talk", "Sensors on a shoestring", "Hardware", "Arjun Mehta",
     "Hardware hacker; maintains an *open* air-quality network."),
    (270, "Main hall", "Talk", "Reproducible results with notebooks", "Open data", "Lena Vogel",
     "Research software engineer."),
    (270, "Workshop room", "Workshop", "Soldering for beginners", "Hardware", "Mei Lin", ""),
    (300, "Main hall", "Lightning talks", "Five minutes each", "Open data", "Noor Rahman", ""),
    (390, "Workshop room", "Workshop", "Publishing open datasets", "Open data", "Lena Vogel", ""),
    (420, "Main hall", "Keynote", "Closing panel: what we build next", "Hardware", "Arjun Mehta", ""),
]  # fmt: skip
SPONSORS = [
    ("FOSSASIA", 1, "Organizing partner", "https://fossasia.org"),
    ("Open Hardware Foundation", 2, "Gold", "https://example.org/open-hardware"),
]


def load(stdout) -> None:
    event = Event.objects.filter(name="Open Science Summit").first()
    if event is None or event.sessions.exists():
        return  # the events demo is missing, or the programme is loaded already
    organizer = UsersEventsRoles.objects.get(event=event, role__name=Role.OWNER).user
    speaker_user = demo_user(SPEAKER)
    tracks = {
        name: TrackFactory(event=event, name=name, color=color)
        for name, color in (("Hardware", "#b45309"), ("Open data", "#047857"))
    }
    # Made as the organizer would see them after review; each state shows in the demo.
    sessions = [
        SessionFactory(event=event, track=tracks[track], title=title, state=state, creator=speaker_user)
        for title, state, track in SESSIONS
    ]
    sam = SpeakerFactory(
        event=event,
        user=speaker_user,
        creator=speaker_user,
        name="Sam Speaker",
        email=speaker_user.email,
        organisation="Pocket Science Lab",
        short_biography="Builds instruments that fit in a pocket and teaches with them.",
        sessions=sessions,
    )
    _schedule_first_day(event, organizer, tracks, {session.title: session for session in sessions}, sam)
    for name, level, kind, url in SPONSORS:
        SponsorFactory(event=event, name=name, level=level, sponsor_type=kind, url=url)
    stdout.write(f"Demo speaker: {speaker_user.email} (password {DEMO_PASSWORD}), sessions in every state")
    stdout.write(f"  reviewed by {organizer.email} in the admin; the first day is scheduled")


def _schedule_first_day(event, organizer, tracks, sams_sessions, sam) -> None:
    rooms = {name: MicrolocationFactory(event=event, name=name, position=n) for name, n in ROOMS}
    types = {
        name: SessionTypeFactory(event=event, name=name, length=length) for name, length in SESSION_TYPES
    }
    speakers = {"Sam": sam}
    for minutes, room, kind, title, track, name, biography in FIRST_DAY:
        if name not in speakers:
            speakers[name] = SpeakerFactory(
                event=event, name=name, creator=organizer, long_biography=biography
            )
        session = sams_sessions.get(title) or SessionFactory(
            event=event,
            title=title,
            state=Session.State.CONFIRMED,
            creator=organizer,
            short_abstract=f"{title}, at {event.name}.",
        )
        session.track, session.microlocation, session.session_type = tracks[track], rooms[room], types[kind]
        session.starts_at = event.starts_at + timedelta(minutes=minutes)
        session.ends_at = session.starts_at + timedelta(minutes=types[kind].length)
        session.save()
        speakers[name].sessions.add(session)
