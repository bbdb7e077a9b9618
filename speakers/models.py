from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from events.models import Event
from openevent.validators import validate_storable_json


class Track(models.Model):
    """A strand of an event's programme. Its organizers (users holding the track organizer
    role on the event) see and review every session on it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    color = models.CharField(
        max_length=7,
        default="#1d4ed8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #1d4ed8.")],
        help_text="A colour such as #1d4ed8.",
    )
    organizers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="organized_tracks")

    class Meta:
        ordering = ["event", "name"]
        constraints = [models.UniqueConstraint(fields=["event", "name"], name="track_name_unique_in_event")]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """A talk, workshop or other item submitted to an event. Its state changes only through
    speakers.services.change_state."""

    class State(models.TextChoices):
        DRAFT = "draft"
        PENDING = "pending"
        ACCEPTED = "accepted"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"
        WITHDRAWN = "withdrawn"
        CANCELED = "canceled"

    PUBLIC_STATES = (State.ACCEPTED, State.CONFIRMED)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=200, blank=True)
    short_abstract = models.TextField(max_length=1000, blank=True)
    long_abstract = models.TextField(max_length=10000, blank=True)
    level = models.CharField(max_length=50, blank=True, help_text="e.g. beginner, intermediate, advanced")
    language = models.CharField(max_length=50, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    complex_field_values = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_storable_json],
        help_text="Answers to the event's own session questions, by field identifier.",
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_sessions",
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["event", "title", "pk"]
        indexes = [models.Index(fields=["event", "state"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.track_id and self.event_id and self.track.event_id != self.event_id:
            raise ValidationError({"track": "This track belongs to another event."})


class Speaker(models.Model):
    """A speaker's profile on one event, linked to the sessions they give."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speakers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speaker_profiles",
        help_text="The account of the person who speaks, if they have one.",
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_speakers",
    )
    created_as_event_admin = models.BooleanField(
        default=False,
        editable=False,
        help_text="Its creator was an event admin of its event then: their rights over it come from "
        "that role, and end with it.",
    )
    sessions = models.ManyToManyField(Session, blank=True, related_name="speakers")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    short_biography = models.TextField(max_length=1000, blank=True)
    long_biography = models.TextField(max_length=10000, blank=True)
    photo_url = models.URLField(blank=True)
    website = models.URLField(blank=True)
    twitter = models.URLField(blank=True)
    github = models.URLField(blank=True)
    linkedin = models.URLField(blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=100, blank=True)
    complex_field_values = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_storable_json],
        help_text="Answers to the event's own speaker questions, by field identifier.",
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["event", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(user__isnull=False),
                name="one_speaker_profile_per_user_event",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Sponsor(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sponsors")
    name = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    level = models.PositiveSmallIntegerField(
        default=1, help_text="1 is the top tier; higher numbers come later."
    )
    sponsor_type = models.CharField(max_length=100, blank=True, help_text="e.g. Gold, Silver, Media partner")
    description = models.TextField(blank=True)
    logo_url = models.URLField(blank=True)

    class Meta:
        ordering = ["event", "level", "name", "pk"]

    def __str__(self) -> str:
        return self.name
