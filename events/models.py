import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import NormalizedEmailField
from openevent.validators import EARLIEST_DATETIME, LATEST_DATETIME, validate_datetime_in_range

# The currencies OpenEvent takes payment in (ISO 4217), each supported by Stripe and PayPal.
CURRENCIES = [
    (code, code)
    for code in [
        "AUD",
        "BRL",
        "CAD",
        "CHF",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "ILS",
        "INR",
        "JPY",
        "MXN",
        "MYR",
        "NOK",
        "NZD",
        "PHP",
        "PLN",
        "SEK",
        "SGD",
        "THB",
        "TWD",
        "USD",
    ]
]


# IANA zone names, without the server-dependent "localtime" and the placeholder "Factory".
TIMEZONES = frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_timezone(value: str) -> None:
    if value not in TIMEZONES:
        raise ValidationError(f'"{value}" is not a known time zone.')


class EventTopic(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """An event. Drafts are seen only by people with a role on them (see events.permissions)."""

    class State(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    name = models.CharField(max_length=200)
    description = models.TextField(max_length=20_000, blank=True)  # Markdown, rendered on each view
    starts_at = models.DateTimeField(validators=[validate_datetime_in_range])
    ends_at = models.DateTimeField(validators=[validate_datetime_in_range])
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], verbose_name="time zone"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    payment_currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    location_name = models.CharField(max_length=200, blank=True)
    can_pay_by_stripe = models.BooleanField(default=False, verbose_name="accept payment by Stripe")
    can_pay_by_paypal = models.BooleanField(default=False, verbose_name="accept payment by PayPal")
    can_pay_onsite = models.BooleanField(default=False, verbose_name="accept payment on site")
    event_topic = models.ForeignKey(
        EventTopic, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_it_starts")
        ]
        indexes = [models.Index(fields=["state", "ends_at"])]
        # Beyond Django's view/change/delete: what roles grant on one event (events.permissions).
        permissions = [
            ("organize_tracks", "See the sessions of the tracks one organizes"),
            ("register_attendees", "See the event's orders and attendees, and take payment at the venue"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The event must end after it starts."})
        dates = (self.starts_at, self.ends_at)
        if self.pk and all(date and EARLIEST_DATETIME <= date < LATEST_DATETIME for date in dates):
            self._check_the_schedule_fits()  # queried only with dates the databases hold

    def _check_the_schedule_fits(self) -> None:
        """New dates keep every scheduled session within them: the organizers move them first."""
        outside = self.sessions.filter(
            Q(starts_at__lt=self.starts_at) | Q(ends_at__gt=self.ends_at), starts_at__isnull=False
        ).order_by("starts_at")
        first = outside.first()
        if first is None:
            return
        zone = zoneinfo.ZoneInfo(self.timezone)
        starts, ends = first.starts_at.astimezone(zone), first.ends_at.astimezone(zone)
        others = outside.count() - 1
        which = f'"{first}" ({starts:%a %d %b %H:%M} to {ends:%H:%M})' + (
            f" and {others} more" if others else ""
        )
        verb, them = ("are", "them") if others else ("is", "it")
        field = "starts_at" if first.starts_at < self.starts_at else "ends_at"
        message = f"{which} {verb} scheduled outside these dates: move {them} or take {them} off the schedule"
        raise ValidationError({field: f"{message} first."})


class EventUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's per-user permissions on events, with a real foreign key for fast joins."""

    content_object = models.ForeignKey(Event, on_delete=models.CASCADE)


class EventGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Event, on_delete=models.CASCADE)


class Role(models.Model):
    """One of the seven event roles; the rows are made by this app's migrations."""

    OWNER = "owner"
    ORGANIZER = "organizer"
    COORGANIZER = "coorganizer"
    TRACK_ORGANIZER = "track_organizer"
    MODERATOR = "moderator"
    REGISTRAR = "registrar"
    ATTENDEE = "attendee"
    NAMES = (OWNER, ORGANIZER, COORGANIZER, TRACK_ORGANIZER, MODERATOR, REGISTRAR, ATTENDEE)

    name = models.CharField(max_length=32, unique=True)
    title_name = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title_name


class UsersEventsRoles(models.Model):
    """A user's role on an event. Only events.services writes these, keeping guardian in step."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_roles")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="user_roles")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name = "role on the event"
        verbose_name_plural = "roles on the event"
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "role"], name="one_row_per_user_event_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.event}"


class RoleInvite(models.Model):
    """An emailed offer of a role. Only the SHA-256 of its token is stored; the address is
    stored normalized, as an account's is, so one pending invite per address holds."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        DECLINED = "declined"

    email = NormalizedEmailField()
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="role_invites")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    answered_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "event", "role"],
                condition=Q(status="pending"),
                name="one_pending_invite_per_email_event_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} invited as {self.role} of {self.event}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= now()


class Settings(models.Model):
    """The site's settings: a single row. Secrets live in the environment, never here."""

    # Shown to anyone, with STRIPE_PUBLISHABLE_KEY (the environment's, as every key).
    PUBLIC_FIELDS = [
        "app_name",
        "tagline",
        "analytics_key",
        "google_url",
        "github_url",
        "twitter_url",
        "support_url",
        "facebook_url",
        "youtube_url",
        "android_app_url",
        "web_app_url",
    ]

    app_name = models.CharField(max_length=100, default="OpenEvent")
    tagline = models.CharField(max_length=200, blank=True, default="Run your event in the open")
    analytics_key = models.CharField(max_length=100, blank=True)
    google_url = models.URLField(blank=True)
    github_url = models.URLField(blank=True)
    twitter_url = models.URLField(blank=True)
    support_url = models.URLField(blank=True)
    facebook_url = models.URLField(blank=True)
    youtube_url = models.URLField(blank=True)
    android_app_url = models.URLField(blank=True)
    web_app_url = models.URLField(blank=True)
    admin_contact_email = models.EmailField(blank=True, help_text="Where the site's admins are reached.")
    admin_notes = models.TextField(blank=True, help_text="Notes for the site's admins only.")

    class Meta:
        verbose_name = verbose_name_plural = "settings"

    def __str__(self) -> str:
        return "Site settings"

    @classmethod
    def load(cls) -> "Settings":
        return cls.objects.get_or_create(pk=1)[0]
