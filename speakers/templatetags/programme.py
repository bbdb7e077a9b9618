from django import template
from django.db.models import Prefetch

from speakers.models import Session, Speaker, Sponsor

register = template.Library()


@register.inclusion_tag("speakers/programme.html")
def event_programme(event):
    """The public programme of an event: its accepted and confirmed sessions, who gives them,
    and its sponsors. Shown to everybody, so it holds nothing that is not public."""
    sessions = (
        Session.objects.filter(event=event, state__in=Session.PUBLIC_STATES)
        .select_related("track")
        .prefetch_related(Prefetch("speakers", queryset=Speaker.objects.order_by("name")))
        .order_by("track__name", "title")
    )
    speakers = Speaker.objects.filter(event=event, sessions__in=sessions).distinct().order_by("name")
    return {
        "event": event,
        "sessions": sessions,
        "speakers": speakers,
        "sponsors": Sponsor.objects.filter(event=event),
    }
