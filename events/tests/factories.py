import itertools
from datetime import timedelta

from django.utils import timezone

from events import services
from events.models import Event, EventTopic

_numbers = itertools.count(1)


def make_event(owner, state=Event.State.PUBLISHED, days_ahead=30, **fields) -> Event:
    starts_at = timezone.now() + timedelta(days=days_ahead)
    defaults = {
        "name": f"Event {next(_numbers)}",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(days=1),
        "state": state,
    }
    return services.create_event(owner, Event(**(defaults | fields)))


def make_topic(name="Science") -> EventTopic:
    return EventTopic.objects.create(name=name, slug=name.lower())
