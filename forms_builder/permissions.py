"""Who sees an event's forms: any logged-in user who sees the event (the questions are no secret
to someone about to answer them); anonymous callers none. Only event admins change them
(services)."""

from django.db.models import QuerySet

from events import permissions as event_permissions

from .models import CustomForm


def visible_fields(user) -> QuerySet[CustomForm]:
    if not user.is_authenticated:
        return CustomForm.objects.none()
    return CustomForm.objects.filter(event__in=event_permissions.visible_events(user))
