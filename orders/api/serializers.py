import contextlib

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as fields

from events.api.serializers import EventChildSerializer, VisibleEventField
from openevent.ratelimit import RateLimited
from openevent.resources import Relationship
from orders import permissions, services
from orders.models import Attendee, DiscountCode, Order, Ticket
from orders.payments import services as payment_services
from orders.payments.base import ProviderError

EVENT = "events.api.serializers.EventSerializer"
MAX_ID = 2**63 - 1  # the largest id a BigAutoField holds


class VisibleTicketField(Relationship):
    """Tickets the caller cannot see (hidden ones, of events they cannot see) do not exist for them."""

    def get_queryset(self):
        return permissions.visible_tickets(self.context["request"].user)


class TicketSerializer(EventChildSerializer):
    event = VisibleEventField()
    available = fields.SerializerMethodField(help_text="How many are left to order now.")

    included_serializers = {"event": EVENT}

    class Meta:
        model = Ticket
        resource_name = "ticket"
        fields = [
            "name",
            "description",
            "ticket_type",
            "price",
            "quantity",
            "available",
            "sales_starts_at",
            "sales_ends_at",
            "min_order",
            "max_order",
            "is_hidden",
            "event",
        ]

    @extend_schema_field(fields.IntegerField(min_value=0))
    def get_available(self, ticket) -> int:
        """Counted for a whole list in its query (TicketViewSet), else for this one ticket."""
        held = getattr(ticket, "held", None)
        if held is None:
            held = services.tickets_held([ticket.pk])[ticket.pk]
        return max(ticket.quantity - held, 0)

    def create(self, validated_data):
        return services.save_ticket(self.actor, Ticket(**validated_data))

    def update(self, instance, validated_data):
        return services.save_ticket(self.actor, instance, **validated_data)


class DiscountCodeSerializer(EventChildSerializer):
    event = VisibleEventField()
    tickets = VisibleTicketField(many=True, required=False)

    included_serializers = {"event": EVENT, "tickets": TicketSerializer}

    class Meta:
        model = DiscountCode
        resource_name = "discount-code"
        fields = [
            "code",
            "discount_type",
            "value",
            "tickets_number",
            "min_quantity",
            "max_quantity",
            "valid_from",
            "valid_till",
            "is_active",
            "used_for",
            "created_at",
            "event",
            "tickets",
        ]

    def create(self, validated_data):
        tickets = validated_data.pop("tickets", [])
        return services.save_discount_code(self.actor, DiscountCode(**validated_data), tickets)

    def update(self, instance, validated_data):
        return services.save_discount_code(self.actor, instance, **validated_data)


class AttendeeSerializer(EventChildSerializer):
    event = VisibleEventField()
    ticket = VisibleTicketField()
    order = Relationship(read_only=True)
    complex_field_values = fields.DictField(
        required=False, help_text="Answers to the event's own attendee questions, by field identifier."
    )

    included_serializers = {
        "event": EVENT,
        "ticket": TicketSerializer,
        "order": "orders.api.serializers.OrderSerializer",
    }

    class Meta:
        model = Attendee
        resource_name = "attendee"
        fields = [
            "firstname",
            "lastname",
            "email",
            "complex_field_values",
            "price",
            "discounted",
            "created_at",
            "event",
            "ticket",
            "order",
        ]

    def create(self, validated_data):
        return services.create_attendee(self.actor, Attendee(**validated_data))

    def update(self, instance, validated_data):
        return services.update_attendee(self.actor, instance, **validated_data)


class VisibleAttendeeField(Relationship):
    """Attendees the caller cannot see do not exist for them; each is read by its id and asked of
    orders.permissions, which takes no query for the caller's own."""

    def get_queryset(self):
        return Attendee.objects.all()

    def to_internal_value(self, data):
        return self.find_all([data])[0]

    def find_all(self, items: list) -> list:
        attendees = super().find_all(items)
        for attendee in attendees:
            if not permissions.can_see_attendee(self.context["request"].user, attendee):
                raise self.not_found(attendee.pk)
        return attendees


class OrderSerializer(EventChildSerializer):
    """An order. Its buyer's `amount` and `status` are the server's (ignored when sent on
    create); an event admin sets them. Attendees, discount code and payment mode are given when
    it is made."""

    event = VisibleEventField()
    attendees = VisibleAttendeeField(many=True)
    # Any code by its random id: knowing it is knowing the code (GET /v1/events/{id}/discount-codes/{code}).
    discount_code = Relationship(queryset=DiscountCode.objects.all(), required=False, allow_null=True)
    buyer = Relationship(read_only=True)
    status = fields.ChoiceField(
        choices=Order.Status.choices,
        required=False,
        help_text="A buyer's order is pending (completed at once when free); on a PATCH a buyer may "
        "only cancel a pending order; event admins and registrars mark orders completed.",
    )

    create_only_fields = ("event", "attendees", "discount_code", "payment_mode")
    seen_with_parent = {"attendees"}  # an order's attendees are its buyer's (services.create_order)
    included_serializers = {
        "event": EVENT,
        "attendees": AttendeeSerializer,
        "discount_code": DiscountCodeSerializer,
    }

    class Meta:
        model = Order
        resource_name = "order"
        fields = [
            "identifier",
            "amount",
            "status",
            "payment_mode",
            "payment_url",
            "paid_via",
            "created_at",
            "expires_at",
            "completed_at",
            "cancelled_at",
            "event",
            "attendees",
            "discount_code",
            "buyer",
        ]
        extra_kwargs = {
            "amount": {"required": False},
            "payment_url": {
                "help_text": "Where the buyer pays: the Stripe Checkout or PayPal page of the latest "
                "attempt. Null for free and onsite orders, and when the provider could not be reached: "
                "POST /v1/orders/{identifier}/pay tries again."
            },
        }

    def create(self, validated_data):
        """The order, and for one paid online its checkout at the provider (`payment-url`); a
        provider that cannot be reached leaves it null, to try again (`/v1/orders/{id}/pay`)."""
        order = services.create_order(
            self.actor,
            validated_data["event"],
            validated_data["attendees"],
            payment_mode=validated_data.get("payment_mode", Order.PaymentMode.FREE),
            discount_code=validated_data.get("discount_code"),
            amount=validated_data.get("amount"),
            status=validated_data.get("status"),
        )
        if order.status == Order.Status.PENDING and order.payment_mode in services.ONLINE_MODES:
            with contextlib.suppress(ProviderError, RateLimited):
                payment_services.start_payment(self.actor, order)
        return order

    def update(self, instance, validated_data):
        return services.change_order(
            self.actor, instance, status=validated_data.get("status"), amount=validated_data.get("amount")
        )


class TicketQuantitySerializer(fields.Serializer):
    id = fields.IntegerField(min_value=1, max_value=MAX_ID, help_text="A ticket's id.")
    quantity = fields.IntegerField(min_value=1, max_value=1000)


class CalculateAmountSerializer(fields.Serializer):
    """`{"tickets": [{"id", "quantity"}], "discount-code": "<id>"}`."""

    def get_fields(self):
        return {
            "tickets": fields.ListField(child=TicketQuantitySerializer(), min_length=1, max_length=100),
            "discount-code": fields.UUIDField(
                required=False, allow_null=True, help_text="A discount code's id, to see what it takes off."
            ),
        }


class PaySerializer(fields.Serializer):
    """`POST /v1/orders/{identifier}/pay`: by which provider (the order's payment mode if left out)."""

    def get_fields(self):
        return {
            "payment-mode": fields.ChoiceField(
                choices=services.ONLINE_MODES, required=False, help_text="stripe or paypal."
            )
        }
