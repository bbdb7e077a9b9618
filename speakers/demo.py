"""Demo programme for `make run`: a track, sessions in every state, their speakers, sponsors."""

from accounts.demo import DEMO_PASSWORD, demo_user
from events.models import Event, Role, UsersEventsRoles

from .factories import SessionFactory, SpeakerFactory, SponsorFactory, TrackFactory
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
    tracks = {name: TrackFactory(event=event, name=name) for name in ("Hardware", "Open data")}
    # Made as the organizer would see them after review; each state shows in the demo.
    sessions = [
        SessionFactory(event=event, track=tracks[track], title=title, state=state, creator=speaker_user)
        for title, state, track in SESSIONS
    ]
    SpeakerFactory(
        event=event,
        user=speaker_user,
        creator=speaker_user,
        name="Sam Speaker",
        email=speaker_user.email,
        organisation="Pocket Science Lab",
        short_biography="Builds instruments that fit in a pocket and teaches with them.",
        sessions=sessions,
    )
    for name, level, kind, url in SPONSORS:
        SponsorFactory(event=event, name=name, level=level, sponsor_type=kind, url=url)
    stdout.write(f"Demo speaker: {speaker_user.email} (password {DEMO_PASSWORD}), sessions in every state")
    stdout.write(f"  reviewed by {organizer.email} in the admin")
