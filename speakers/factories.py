"""factory_boy factories of the speakers app, for tests and the demo data: rows made directly, not
through the services."""

import factory
from django.utils.text import slugify

from accounts.factories import UserFactory
from events.factories import EventFactory

from .models import Microlocation, Session, SessionType, Speaker, Sponsor, Track


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Track {n}")


class SessionFactory(factory.django.DjangoModelFactory):
    """A session in the model's default state (draft) unless `state` is given."""

    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    creator = factory.SubFactory(UserFactory)


class SpeakerFactory(factory.django.DjangoModelFactory):
    """A speaker profile; `sessions=[...]` links it to those sessions."""

    class Meta:
        model = Speaker
        skip_postgeneration_save = True  # the hook adds the sessions; the row needs no saving again

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Speaker {n}")
    email = factory.LazyAttribute(lambda speaker: f"{slugify(speaker.name)}@example.com")
    creator = factory.SubFactory(UserFactory)

    @factory.post_generation
    def sessions(self, create, extracted, **kwargs):
        if create and extracted:
            self.sessions.add(*extracted)


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Sponsor {n}")


class MicrolocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Microlocation

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class SessionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionType

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Type {n}")
