"""Demo events for `make run`: a published and a draft event with their team."""

import zoneinfo
from datetime import timedelta

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, demo_user
from accounts.models import User

from . import services
from .factories import EventFactory
from .models import Event, EventTopic, Role

TOPICS = [("Science & Technology", "science-technology"), ("Community", "community")]
TEAM = [
    {"email": "organizer@openevent.test", "first_name": "Olga", "last_name": "Organizer"},
    {"email": "coorganizer@openevent.test", "first_name": "Cody", "last_name": "Coorganizer"},
]


def _demo_event(owner: User, name: str, **fields) -> Event:
    return Event.objects.filter(name=name).first() or EventFactory(owner=owner, name=name, **fields)


def load(stdout) -> None:
    topics = {
        slug: EventTopic.objects.get_or_create(slug=slug, defaults={"name": name})[0] for name, slug in TOPICS
    }
    organizer, coorganizer = (demo_user(fields) for fields in TEAM)
    singapore = zoneinfo.ZoneInfo("Asia/Singapore")
    start = (
        (timezone.now() + timedelta(days=60))
        .astimezone(singapore)
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    summit = _demo_event(
        organizer,
        "Open Science Summit",
        description="Three days of talks and workshops on open hardware, open data and open source.",
        starts_at=start,
        ends_at=start + timedelta(days=2, hours=9),
        timezone="Asia/Singapore",
        state=Event.State.PUBLISHED,
        location_name="Lifelong Learning Institute, Singapore",
        payment_currency="SGD",
        can_pay_by_stripe=True,
        can_pay_by_paypal=True,
        can_pay_onsite=True,
        event_topic=topics["science-technology"],
    )
    _demo_event(
        organizer,
        "PSLab Hackathon",
        description="A weekend of building experiments with the Pocket Science Lab. Still being planned.",
        starts_at=start + timedelta(days=30),
        ends_at=start + timedelta(days=31, hours=8),
        timezone="Europe/Berlin",
        state=Event.State.DRAFT,
        location_name="c-base, Berlin",
        payment_currency="EUR",
        can_pay_onsite=True,
        event_topic=topics["community"],
    )
    services.grant_role(coorganizer, summit, Role.COORGANIZER)
    stdout.write(f"Demo organizers (password for each: {DEMO_PASSWORD}):")
    stdout.write(f"  {organizer.email}  (owner of both demo events; one is a draft)")
    stdout.write(f"  {coorganizer.email}  (co-organizer of {summit.name})")
