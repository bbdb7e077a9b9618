"""Demo programme for `make run`: a track, sessions in every state, their speakers, sponsors."""

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from events.models import Event, Role, UsersEventsRoles

from .models import Session, Speaker, Sponsor, Track

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
    speaker_user, created = User.objects.get_or_create(email=SPEAKER["email"], defaults=SPEAKER)
    if created:
        speaker_user.set_password(DEMO_PASSWORD)
        speaker_user.save(update_fields=["password"])
    tracks = {name: Track.objects.create(event=event, name=name) for name in ("Hardware", "Open data")}
    # Made as the organizer would see them after review; each state shows in the demo.
    sessions = [
        Session.objects.create(
            event=event, track=tracks[track], title=title, state=state, creator=speaker_user
        )
        for title, state, track in SESSIONS
    ]
    speaker = Speaker.objects.create(
        event=event,
        user=speaker_user,
        creator=speaker_user,
        name="Sam Speaker",
        email=speaker_user.email,
        organisation="Pocket Science Lab",
        short_biography="Builds instruments that fit in a pocket and teaches with them.",
    )
    speaker.sessions.set(sessions)
    for name, level, kind, url in SPONSORS:
        Sponsor.objects.create(event=event, name=name, level=level, sponsor_type=kind, url=url)
    stdout.write(f"Demo speaker: {speaker_user.email} (password {DEMO_PASSWORD}), sessions in every state")
    stdout.write(f"  reviewed by {organizer.email} in the admin")
