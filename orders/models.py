"""Tickets, attendees, discount codes and orders. Stock and discount uses are never stored as
counters: they are counted from the orders that hold them, inside the row locks that
orders.services takes (see `holding_attendees`)."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.timezone import now

from events.models import Event
from openevent.validators import NO_CONTROL_CHARACTERS, validate_datetime_in_range, validate_storable_json

MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_QUANTITY = 1_000_000  # of a ticket, of a discount code's uses
MAX_PER_ORDER = 1000


def _count(limit: int, **options):
    return models.PositiveIntegerField(validators=[MaxValueValidator(limit)], **options)


class Ticket(models.Model):
    """A kind of ticket an event sells: `quantity` of them in all, `min_order`…`max_order` per
    order, bought while on sale (between `sales_starts_at` and `sales_ends_at`, each optional).
    Hidden tickets are not listed and are ordered by the event's admins only."""

    class Type(models.TextChoices):
        FREE = "free"
        PAID = "paid"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tickets")
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    ticket_type = models.CharField(max_length=4, choices=Type.choices, default=Type.FREE)
    price = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="0 for free tickets.",
    )
    quantity = _count(MAX_QUANTITY, help_text="How many are sold in all.")
    sales_starts_at = models.DateTimeField(null=True, blank=True, validators=[validate_datetime_in_range])
    sales_ends_at = models.DateTimeField(null=True, blank=True, validators=[validate_datetime_in_range])
    min_order = _count(MAX_PER_ORDER, default=1, help_text="The fewest one order may hold.")
    max_order = _count(MAX_PER_ORDER, default=10, help_text="The most one order may hold.")
    is_hidden = models.BooleanField(default=False, help_text="Not listed; only the event's admins order it.")

    class Meta:
        ordering = ["event", "price", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket_type="free", price=0) | Q(ticket_type="paid", price__gt=0),
                name="ticket_price_fits_its_type",
            ),
            models.CheckConstraint(
                condition=Q(min_order__gte=1, min_order__lte=F("max_order")), name="ticket_order_bounds"
            ),
            models.CheckConstraint(
                condition=Q(sales_starts_at__isnull=True)
                | Q(sales_ends_at__isnull=True)
                | Q(sales_ends_at__gt=F("sales_starts_at")),
                name="ticket_sales_end_after_they_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.ticket_type == self.Type.FREE and self.price:
            errors["price"] = "A free ticket costs 0."
        if self.ticket_type == self.Type.PAID and self.price is not None and self.price <= 0:
            errors["price"] = "A paid ticket costs more than 0."
        if self.min_order is not None and self.min_order < 1:
            errors["min_order"] = "An order holds at least one ticket."
        elif self.min_order is not None and self.max_order is not None and self.min_order > self.max_order:
            errors["max_order"] = "The most per order must not be less than the fewest."
        if self.sales_starts_at and self.sales_ends_at and self.sales_ends_at <= self.sales_starts_at:
            errors["sales_ends_at"] = "Sales must end after they start."
        if errors:
            raise ValidationError(errors)

    def is_on_sale(self, at=None) -> bool:
        return self.sale_state(at) == "on sale"

    def sale_state(self, at=None) -> str:
        """ "not yet", "on sale" or "ended", by the sales window alone."""
        at = at or now()
        if self.sales_starts_at is not None and at < self.sales_starts_at:
            return "not yet"
        return "ended" if self.sales_ends_at is not None and self.sales_ends_at <= at else "on sale"

    @property
    def left(self) -> int:
        """The seats left; the ticket must come with `held` (orders.services.with_held)."""
        return max(self.quantity - self.held, 0)


class DiscountCode(models.Model):
    """A code that takes `value` (an amount, or a percentage) off each ticket it applies to, for
    at most `tickets_number` tickets in all, and only in orders holding `min_quantity`…
    `max_quantity` of them. Its id is random: knowing it is as good as knowing the code."""

    class Type(models.TextChoices):
        AMOUNT = "amount"
        PERCENT = "percent"

    class UsedFor(models.TextChoices):
        TICKET = "ticket"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="discount_codes")
    code = models.CharField(
        max_length=100,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+\Z", "Letters, digits, - and _ only.")],
        help_text="What buyers type; matched ignoring case.",
    )
    discount_type = models.CharField(max_length=7, choices=Type.choices, default=Type.PERCENT)
    value = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    tickets_number = _count(
        MAX_QUANTITY,
        null=True,
        blank=True,
        help_text="How many tickets it discounts in all; empty: no limit.",
    )
    min_quantity = _count(
        MAX_PER_ORDER, default=1, help_text="The fewest tickets it applies to an order needs."
    )
    max_quantity = _count(
        MAX_PER_ORDER, null=True, blank=True, help_text="The most tickets it applies to an order may hold."
    )
    valid_from = models.DateTimeField(default=now, validators=[validate_datetime_in_range])
    valid_till = models.DateTimeField(null=True, blank=True, validators=[validate_datetime_in_range])
    is_active = models.BooleanField(default=True)
    used_for = models.CharField(max_length=6, choices=UsedFor.choices, default=UsedFor.TICKET)
    tickets = models.ManyToManyField(
        Ticket, blank=True, related_name="discount_codes", help_text="The tickets it applies to."
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["event", "code"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                "event",
                name="discount_code_unique_in_event",
                violation_error_message="The event has a discount code by that name already.",
            ),
            models.CheckConstraint(
                condition=~Q(discount_type="percent", value__gt=100), name="discount_percent_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(max_quantity__isnull=True) | Q(min_quantity__lte=F("max_quantity")),
                name="discount_quantity_bounds",
            ),
            models.CheckConstraint(
                condition=Q(valid_till__isnull=True) | Q(valid_till__gt=F("valid_from")),
                name="discount_valid_till_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors = {}
        if self.discount_type == self.Type.PERCENT and self.value is not None and self.value > 100:
            errors["value"] = "A percentage is at most 100."
        if (
            self.max_quantity is not None
            and self.min_quantity is not None
            and self.min_quantity > self.max_quantity
        ):
            errors["min_quantity"] = "The fewest tickets must not be more than the most."
        if (
            self.max_quantity is not None
            and self.tickets_number is not None
            and self.max_quantity > self.tickets_number
        ):
            errors["max_quantity"] = "The most tickets per order must not be more than it discounts in all."
        if self.valid_from and self.valid_till and self.valid_till <= self.valid_from:
            errors["valid_till"] = "It must be valid till after it is valid from."
        if errors:
            raise ValidationError(errors)

    def is_valid_at(self, at) -> bool:
        return self.valid_from <= at and (self.valid_till is None or at < self.valid_till)


class Order(models.Model):
    """One checkout: its attendees (one line each, with the price charged), their total and
    how it is paid. Its status changes only through orders.services."""

    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"
        CANCELLED = "cancelled"
        EXPIRED = "expired"

    class PaymentMode(models.TextChoices):
        FREE = "free"
        STRIPE = "stripe"
        PAYPAL = "paypal", "PayPal"
        ONSITE = "onsite"

    identifier = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="orders"
    )
    amount = models.DecimalField(**MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment_mode = models.CharField(max_length=6, choices=PaymentMode.choices, default=PaymentMode.FREE)
    # Null until there is one: a provider's page to pay on; how it was paid, once completed.
    payment_url = models.URLField(max_length=2000, null=True, blank=True, editable=False)  # noqa: DJ001
    paid_via = models.CharField(  # noqa: DJ001
        max_length=6, choices=PaymentMode.choices, null=True, blank=True, editable=False
    )
    discount_code = models.ForeignKey(
        DiscountCode, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it stops holding its tickets unless paid."
    )
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["buyer", "event", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return str(self.identifier)

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.pk])

    @property
    def is_stale(self) -> bool:
        """Pending past its expiry: it holds nothing any more, whatever its status says yet."""
        return self.status == self.Status.PENDING and self.expires_at is not None and self.expires_at <= now()


class Payment(models.Model):
    """One attempt to pay an order online: what was asked of the provider, the provider's
    references for it (its checkout, then the charge that refunds go against) and how it ended.
    Its state changes only through orders.payments.services, under the order's row lock."""

    class State(models.TextChoices):
        CREATED = "created", "waiting for the buyer"
        CONFIRMED = "confirmed", "paid the order"
        MISMATCHED = "mismatched", "paid, but not the order's amount"
        REJECTED = "rejected", "paid, but the order could not take it"
        FAILED = "failed", "not paid"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=6, choices=Order.PaymentMode.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATED)  # one confirmed
    amount = models.DecimalField(**MONEY, help_text="What the provider was asked to take.")
    currency = models.CharField(max_length=3)
    # Null until the provider answers: its checkout (Stripe session, PayPal payment), then its charge.
    reference = models.CharField(max_length=255, unique=True, null=True, blank=True)
    charge_reference = models.CharField(max_length=255, unique=True, null=True, blank=True)
    payment_url = models.URLField(max_length=2000, blank=True)
    paid_amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="What the provider took.")
    paid_currency = models.CharField(max_length=3, blank=True)
    note = models.TextField(blank=True, help_text="Why it failed, or what became of the money.")
    created_at = models.DateTimeField(default=now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.reference or self.pk}"

    @property
    def is_paid(self) -> bool:
        return self.state in (self.State.CONFIRMED, self.State.MISMATCHED, self.State.REJECTED)


class Refund(models.Model):
    """Money given back for an order: through the provider of a `payment`, or by hand (paid at the
    venue). Asked of the provider while `pending` (its id is the provider's idempotency key, so
    asking again never refunds twice); once done, the attendees it refunds hold their tickets no
    more."""

    class Source(models.TextChoices):
        ORGANIZER = "organizer", "by an organizer"
        PROVIDER = "provider", "in the provider's dashboard"
        AUTOMATIC = "automatic", "automatically"

    class State(models.TextChoices):
        PENDING = "pending", "asked of the provider, no answer yet"
        DONE = "done"
        FAILED = "failed", "refused by the provider"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    reference = models.CharField(max_length=255, unique=True, null=True, blank=True)
    source = models.CharField(max_length=9, choices=Source.choices)
    state = models.CharField(max_length=7, choices=State.choices, default=State.DONE)
    # The attendees it gives back: released (Attendee.refund) once it is done.
    attendee_ids = models.JSONField(default=list, blank=True, editable=False)
    reason = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True, help_text="What the provider said, when it refused.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["order", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.amount} {self.order.event.payment_currency} of {self.order}"


def holding_orders(prefix: str = "", at=None) -> Q:
    """The orders that hold their tickets and discount uses at `at` (now): completed ones, and
    pending ones not past their expiry; a filter on Order, or through `prefix` (`order__`)."""
    at = at or now()
    status, expires_at = f"{prefix}status", f"{prefix}expires_at"
    pending = Q(**{status: Order.Status.PENDING}) & (
        Q(**{f"{expires_at}__isnull": True}) | Q(**{f"{expires_at}__gt": at})
    )
    return Q(**{status: Order.Status.COMPLETED}) | pending


def holding_attendees(prefix: str = "") -> Q:
    """The attendees that hold a seat (and their discount use): of a holding order, not refunded;
    a filter on Attendee, or through `prefix` (`attendees__`)."""
    return holding_orders(f"{prefix}order__") & Q(**{f"{prefix}refund": None})


class Attendee(models.Model):
    """Who a ticket is for, made before the order; ordering it makes it the order's line, with
    the price charged for it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    # A ticket goes only with its event, and then its attendees go too.
    ticket = models.ForeignKey(Ticket, on_delete=models.RESTRICT, related_name="attendees")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="attendees", editable=False
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="created_attendees"
    )
    firstname = models.CharField(max_length=100, validators=[NO_CONTROL_CHARACTERS])
    lastname = models.CharField(max_length=100, validators=[NO_CONTROL_CHARACTERS])
    email = models.EmailField()
    complex_field_values = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_storable_json],
        help_text="Answers to the event's own attendee questions.",
    )
    price = models.DecimalField(
        **MONEY, null=True, blank=True, editable=False, help_text="What its order charges for the ticket."
    )
    discounted = models.BooleanField(
        default=False, editable=False, help_text="Its order's discount code took something off its price."
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="attendees", editable=False
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["ticket", "order"])]

    def __str__(self) -> str:
        return f"{self.firstname} {self.lastname}"


class IdempotencyKey(models.Model):
    """A `POST /v1/orders` by one user under one `Idempotency-Key`: the request's fingerprint and,
    once answered, the answer, which a retry gets again. Kept ORDER_IDEMPOTENCY_HOURS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(
        null=True, help_text="Empty while the request is in flight."
    )
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key
