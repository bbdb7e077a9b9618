import copy
import zoneinfo
from datetime import datetime

from django import forms
from django.forms.utils import from_current_timezone
from django.utils import timezone

from openevent.forms import MultilineField

from .models import TIMEZONES, Event

LOCAL_DATETIME = "%Y-%m-%dT%H:%M"
TIMEZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(TIMEZONES)]


def typed_instant(
    typed: datetime, zone: zoneinfo.ZoneInfo, stored: datetime | None = None, *, to_the_minute=False
):
    """The instant a wall-clock time typed in `zone` names. The stored one, shown in whole seconds
    (or minutes) and sent back unchanged, keeps its instant: its parts of a second, and which of
    the two times the autumn clock change repeats it is. One typed anew in an hour the clocks
    skip or repeat is refused: which instant is meant?"""
    if stored is not None:
        shown = stored.astimezone(zone).replace(tzinfo=None, microsecond=0)
        if (shown.replace(second=0) if to_the_minute else shown) == typed.replace(microsecond=0):
            return stored
    with timezone.override(zone):
        return from_current_timezone(typed)


class EventForm(forms.ModelForm):
    """Start and end are typed as wall-clock times in the event's own time zone."""

    timezone = forms.ChoiceField(
        choices=TIMEZONE_CHOICES,
        initial="UTC",
        label="Time zone",
    )

    class Meta:
        model = Event
        fields = [
            "name",
            "starts_at",
            "ends_at",
            "timezone",
            "location_name",
            "description",
            "event_topic",
            "state",
            "payment_currency",
            "can_pay_by_stripe",
            "can_pay_by_paypal",
            "can_pay_onsite",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_DATETIME),
            "description": forms.Textarea(attrs={"rows": 6}),
        }
        labels = {"starts_at": "Starts", "ends_at": "Ends", "location_name": "Location"}
        field_classes = {"description": MultilineField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = copy.copy(self.instance)  # as the page shows it, before the typed values are put on it
        if self.instance.pk:
            zone = zoneinfo.ZoneInfo(self.instance.timezone)
            for field in ("starts_at", "ends_at"):
                self.initial[field] = getattr(self.instance, field).astimezone(zone).replace(tzinfo=None)

    def clean(self):
        """The times are read in the chosen zone; shown in the stored zone and sent back unchanged,
        they keep their instants."""
        cleaned = super().clean()
        if cleaned.get("timezone") in TIMEZONES:
            zone = zoneinfo.ZoneInfo(cleaned["timezone"])
            unmoved = self.instance.pk and cleaned["timezone"] == self.stored.timezone
            for field in ("starts_at", "ends_at"):
                if cleaned.get(field):
                    stored = getattr(self.stored, field) if unmoved else None
                    try:
                        cleaned[field] = typed_instant(
                            timezone.make_naive(cleaned[field]), zone, stored, to_the_minute=True
                        )
                    except forms.ValidationError as error:
                        self.add_error(field, error)
        return cleaned

    def changes(self) -> dict:
        """What the user changed, for events.services.update_event: the fields whose value is not
        the one the page showed."""
        return {
            name: value for name, value in self.cleaned_data.items() if value != getattr(self.stored, name)
        }


class EventSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search events by name")


class InviteAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accepted", "Accept"), ("declined", "Decline")])
    # The invite the page showed: the session holds the link opened last, maybe in another tab.
    invite = forms.IntegerField(widget=forms.HiddenInput, required=False)
