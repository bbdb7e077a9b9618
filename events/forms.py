import copy
import zoneinfo
from datetime import datetime

from django import forms
from django.forms.utils import from_current_timezone
from django.utils import timezone

from openevent.forms import MultilineField, TimesCheckedTogetherMixin, changes_of, show_initial_values

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


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=LOCAL_DATETIME)


class HiddenLocalDateTimeInput(LocalDateTimeInput):
    input_type = "hidden"


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time as a datetime-local input sends it, to the minute or the second and with
    no offset: naive, for the form to read in the event's zone."""

    widget = LocalDateTimeInput
    hidden_widget = HiddenLocalDateTimeInput
    input_formats = [LOCAL_DATETIME, f"{LOCAL_DATETIME}:%S"]

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, datetime):
            return value or None
        return forms.fields.BaseTemporalField.to_python(self, value)  # the input formats alone


TIMES = ("starts_at", "ends_at")


def changed_fields(form) -> dict:
    """What the user changed on an event's form, for events.services.update_event: a new time
    zone reads both times anew in it."""
    times = {name: form.cleaned_data[name] for name in TIMES} if "timezone" in form.changed_data else {}
    return changes_of(form) | times


class EventForm(TimesCheckedTogetherMixin, forms.ModelForm):
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
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        labels = {"starts_at": "Starts", "ends_at": "Ends", "location_name": "Location"}
        field_classes = {
            "starts_at": LocalDateTimeField,
            "ends_at": LocalDateTimeField,
            "description": MultilineField,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = copy.copy(self.instance)  # before the typed values are put on it
        if self.instance.pk:
            show_initial_values(self)
            zone = zoneinfo.ZoneInfo(self.instance.timezone)
            for field in TIMES:
                self.initial[field] = getattr(self.instance, field).astimezone(zone).replace(tzinfo=None)

    def clean(self):
        """The times are read in the chosen zone (in UTC while it is refused, for the rest of the
        form to be checked); shown in the stored zone and sent back unchanged, they keep their
        instants."""
        cleaned = super().clean()
        chosen = cleaned.get("timezone") if cleaned.get("timezone") in TIMEZONES else "UTC"
        zone, unmoved = zoneinfo.ZoneInfo(chosen), self.instance.pk and chosen == self.stored.timezone
        for field in TIMES:
            if cleaned.get(field) is None:
                continue
            stored = getattr(self.stored, field) if unmoved else None
            try:
                cleaned[field] = typed_instant(cleaned[field], zone, stored, to_the_minute=True)
            except forms.ValidationError as error:
                self.add_error(field, error)  # which takes it out of cleaned_data
        return cleaned


class EventSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search events by name")


class InviteAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accepted", "Accept"), ("declined", "Decline")])
    # The invite the page showed: the session holds the link opened last, maybe in another tab.
    invite = forms.IntegerField(widget=forms.HiddenInput, required=False)
