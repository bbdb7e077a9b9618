"""factory_boy factories of the events app, for tests and the demo data."""

from datetime import timedelta

import factory
from django.utils import timezone
from django.utils.text import slugify

from accounts.factories import UserFactory

from . import services
from .models import Event, EventTopic


class EventTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventTopic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda topic: slugify(topic.name))


class EventFactory(factory.django.DjangoModelFactory):
    """An event saved by `services.create_event`, which makes `owner` its owner; by default
    published and starting `days_ahead` days from now, for a day."""

    class Meta:
        model = Event

    class Params:
        days_ahead = 30

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Event {n}")
    state = Event.State.PUBLISHED
    starts_at = factory.LazyAttribute(lambda event: timezone.now() + timedelta(days=event.days_ahead))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(days=1))

    @classmethod
    def _create(cls, model_class, *args, owner, **kwargs):
        return services.create_event(owner, model_class(*args, **kwargs))
