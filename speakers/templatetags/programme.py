from django import template
from django.db.models import Prefetch

from forms_builder.models import CustomForm
from speakers.models import Speaker, Sponsor
from speakers.permissions import public_sessions, public_speakers
from speakers.programme import with_public_answers

register = template.Library()


@register.inclusion_tag("speakers/programme.html")
def event_programme(event):
    """The public programme of an event: its accepted and confirmed sessions, who gives them,
    and its sponsors. Shown to everybody, so it holds nothing that is not public (a draft
    event has no programme yet): of the answers to the event's questions, the public ones."""
    sessions = (
        public_sessions()
        .filter(event=event)
        .select_related("track")
        .prefetch_related(Prefetch("speakers", queryset=Speaker.objects.order_by("name")))
        .order_by("track__name", "title")
    )
    speakers = public_speakers().filter(event=event).order_by("name")
    return {
        "sessions": with_public_answers(sessions, event, CustomForm.Form.SESSION),
        "speakers": with_public_answers(speakers, event, CustomForm.Form.SPEAKER),
        "event": event,
        "sponsors": Sponsor.objects.filter(event=event),
    }
