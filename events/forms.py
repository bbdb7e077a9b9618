import zoneinfo

from django import forms
from django.utils import timezone

from .models import TIMEZONES, Event

LOCAL_DATETIME = "%Y-%m-%dT%H:%M"
TIMEZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(TIMEZONES)]


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            zone = zoneinfo.ZoneInfo(self.instance.timezone)
            for field in ("starts_at", "ends_at"):
                self.initial[field] = getattr(self.instance, field).astimezone(zone).replace(tzinfo=None)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("timezone") in TIMEZONES:
            zone = zoneinfo.ZoneInfo(cleaned["timezone"])
            for field in ("starts_at", "ends_at"):
                if cleaned.get(field):
                    cleaned[field] = timezone.make_aware(timezone.make_naive(cleaned[field]), zone)
                    setattr(self.instance, field, cleaned[field])
        return cleaned


class EventSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search events by name")


class InviteAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accepted", "Accept"), ("declined", "Decline")])
    # The invite the page showed: the session holds the link opened last, maybe in another tab.
    invite = forms.IntegerField(widget=forms.HiddenInput, required=False)
