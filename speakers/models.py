from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

from events.models import Event
from openevent.validators import (
    NO_CONTROL_CHARACTERS,
    SMALL_INTEGER,
    validate_datetime_in_range,
    validate_storable_json,
)


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


class Microlocation(models.Model):
    """A room of the event's venue, where sessions take place."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="microlocations")
    name = models.CharField(max_length=100)
    floor = models.SmallIntegerField(
        null=True, blank=True, validators=SMALL_INTEGER, help_text="0 is the ground floor."
    )
    position = models.PositiveSmallIntegerField(
        default=0, validators=SMALL_INTEGER, help_text="Rooms are listed in this order."
    )

    class Meta:
        verbose_name = "room"
        ordering = ["event", "position", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="microlocation_name_unique_in_event")
        ]

    def __str__(self) -> str:
        return self.name


class SessionType(models.Model):
    """A kind of session (talk, workshop, lightning talk) and how long one usually lasts."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="session_types")
    name = models.CharField(max_length=100)
    length = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="Minutes a session of this type usually lasts: a session placed without an end gets it.",
    )

    class Meta:
        ordering = ["event", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="session_type_name_unique_in_event")
        ]

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
    session_type = models.ForeignKey(
        SessionType, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    microlocation = models.ForeignKey(
        Microlocation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name="room",
    )
    starts_at = models.DateTimeField(null=True, blank=True, validators=[validate_datetime_in_range])
    ends_at = models.DateTimeField(null=True, blank=True, validators=[validate_datetime_in_range])
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
        indexes = [
            models.Index(fields=["event", "state"]),
            models.Index(fields=["microlocation", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_it_starts",
                violation_error_message="A scheduled session has a start and a later end.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_scheduled(self) -> bool:
        return self.starts_at is not None

    def clean(self) -> None:
        """What the session itself must hold; the rules that read other sessions (a room holds one
        at a time) are speakers.services'."""
        for name in ("track", "microlocation", "session_type"):
            related = getattr(self, name)
            if related is not None and self.event_id and related.event_id != self.event_id:
                raise ValidationError({name: f"This {related._meta.verbose_name} belongs to another event."})
        if (self.starts_at is None) != (self.ends_at is None):
            raise ValidationError({"ends_at": "A scheduled session has a start and an end."})
        if self.starts_at is None:
            return
        if self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The session must end after it starts."})
        if self.state not in self.PUBLIC_STATES:
            raise ValidationError({"starts_at": "Only accepted and confirmed sessions are scheduled."})
        if self.event_id and not (
            self.event.starts_at <= self.starts_at and self.ends_at <= self.event.ends_at
        ):
            raise ValidationError({"starts_at": "The session must lie within the event's dates."})


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
    name = models.CharField(max_length=200, validators=[NO_CONTROL_CHARACTERS])
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
        default=1, validators=SMALL_INTEGER, help_text="1 is the top tier; higher numbers come later."
    )
    sponsor_type = models.CharField(max_length=100, blank=True, help_text="e.g. Gold, Silver, Media partner")
    description = models.TextField(blank=True)
    logo_url = models.URLField(blank=True)

    class Meta:
        ordering = ["event", "level", "name", "pk"]

    def __str__(self) -> str:
        return self.name
