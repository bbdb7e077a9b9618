from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, mixins, permissions
from rest_framework import serializers as fields
from rest_framework.response import Response

from events import permissions as event_permissions
from openevent.api import PlainJSONView
from openevent.errors import Unavailable
from openevent.resources import wire_name
from openevent.schema import plain
from openevent.viewsets import ResourceModelViewSet, ResourceQueryMixin, ResourceViewSet
from orders import idempotency, services
from orders import permissions as order_permissions
from orders.payments import services as payment_services

from .serializers import (
    AttendeeSerializer,
    CalculateAmountSerializer,
    DiscountCodeSerializer,
    OrderSerializer,
    PaySerializer,
    TicketSerializer,
)

UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class TicketViewSet(ResourceModelViewSet):
    serializer_class = TicketSerializer
    error_answers = {"delete": {409: "The ticket has attendees or orders."}}
    summaries = {
        "list": "List tickets (anyone: those of the events they see, but hidden ones; registrars and event "
        "admins: all of their events')",
        "create": "Add a ticket to an event (event admins)",
        "retrieve": "Read a ticket (whoever the list shows it to)",
        "partial_update": "Change a ticket (event admins)",
        "destroy": "Delete a ticket nobody has ordered (event admins)",
    }
    ordering_fields = ["price", "name", "sales_starts_at", "sales_ends_at"]
    filter_fields = {"event": "event", "ticket-type": "ticket_type", "name": "name", "is-hidden": "is_hidden"}

    @classmethod
    def visible(cls, user):
        return services.with_held(order_permissions.visible_tickets(user))

    def perform_destroy(self, instance):
        services.delete_ticket(self.request.user, instance)


class DiscountCodeViewSet(ResourceModelViewSet):
    serializer_class = DiscountCodeSerializer
    lookup_value_regex = UUID_PATTERN
    error_answers = {"delete": {409: "An order used the discount code."}}
    summaries = {
        "list": "List discount codes (event admins: their events')",
        "create": "Add a discount code to an event (event admins)",
        "retrieve": "Read a discount code (event admins)",
        "partial_update": "Change a discount code (event admins)",
        "destroy": "Delete a discount code no order used (event admins)",
    }
    ordering_fields = ["code", "created_at", "valid_till"]
    filter_fields = {
        "event": "event",
        "code": "code",
        "discount-type": "discount_type",
        "is-active": "is_active",
    }

    @classmethod
    def visible(cls, user):
        return order_permissions.visible_discount_codes(user)

    def perform_destroy(self, instance):
        services.delete_discount_code(self.request.user, instance)


class DiscountCodeLookupView(ResourceQueryMixin, generics.RetrieveAPIView):
    """`GET /v1/events/{id}/discount-codes/{code}`: the code a buyer typed, with its id to order with."""

    serializer_class = DiscountCodeSerializer
    permission_classes = [permissions.IsAuthenticated]
    summaries = {"get": "Find an event's discount code by what a buyer typed (logged-in users; rate limited)"}
    error_answers = {"get": {429: "The caller looked up too many codes in the last hour."}}

    def get_object(self):
        user = self.request.user
        event = get_object_or_404(event_permissions.visible_events(user), pk=self.kwargs["pk"])
        return services.find_discount_code(user, event, self.kwargs["code"])


class AttendeeViewSet(ResourceModelViewSet):
    serializer_class = AttendeeSerializer
    error_answers = {"delete": {409: "The attendee is ordered: cancel the order instead."}}
    summaries = {
        "list": "List attendees (their creators; registrars and event admins: all of their events')",
        "create": "Add an attendee for a ticket on sale, to order it next (logged-in users; event admins: "
        "any ticket of their events)",
        "retrieve": "Read an attendee (its creator, the event's registrars and admins)",
        "partial_update": "Change an attendee (its creator until it is ordered; event admins)",
        "destroy": "Delete an attendee not ordered (its creator; event admins)",
    }
    ordering_fields = ["created_at", "lastname", "firstname"]
    filter_fields = {"event": "event", "ticket": "ticket", "order": "order", "email": "email"}
    search_fields = ["firstname", "lastname", "email"]

    @classmethod
    def visible(cls, user):
        return order_permissions.visible_attendees(user)

    def perform_destroy(self, instance):
        services.delete_attendee(self.request.user, instance)


class OrderViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    ResourceViewSet,
):
    serializer_class = OrderSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = UUID_PATTERN
    summaries = {
        "list": "List orders (buyers: their own; registrars and event admins: all of their events')",
        "create": "Order one's attendees (logged-in users; event admins may set amount and status)",
        "retrieve": "Read an order (its buyer, the event's registrars and admins)",
        "partial_update": "Cancel a pending order (its buyer), mark one paid (registrars, event admins), or "
        "change its status or a pending one's amount (event admins)",
    }
    error_answers = {
        "post": {
            409: "Sold out, too many unpaid orders for the event, or the Idempotency-Key's first request "
            "is still in flight.",
            422: "The body does not validate, or the Idempotency-Key was sent with another body.",
        }
    }
    ordering_fields = ["created_at", "amount", "completed_at"]
    filter_fields = {"status": "status", "event": "event", "payment-mode": "payment_mode"}
    idempotency_claim = None

    @classmethod
    def visible(cls, user):
        return order_permissions.visible_orders(user)

    def get_object(self):
        return services.expire_if_stale(super().get_object())

    @extend_schema(
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Any unique string up to 255 characters: a retry with the same key gets the "
                "first answer again and orders nothing twice (kept 24 hours).",
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        key = request.headers.get(idempotency.HEADER)
        if key is None:
            return super().create(request, *args, **kwargs)
        claim = idempotency.claim(request.user, key, request.data)
        if claim.replay is not None:
            return claim.replay
        self.idempotency_claim = claim.row
        return super().create(request, *args, **kwargs)

    def handle_exception(self, exc):
        try:
            return super().handle_exception(exc)
        except Exception:  # a crash: the key may be tried again
            if self.idempotency_claim is not None:
                idempotency.release(self.idempotency_claim)
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.idempotency_claim is not None:
            response.render()
            idempotency.store(self.idempotency_claim, response)
        return response


class MyOrdersViewSet(OrderViewSet):
    """`GET /v1/users/me/orders`."""

    http_method_names = ["get", "head", "options"]
    permission_classes = [permissions.IsAuthenticated]
    summaries = {"list": "List one's own orders, of every event (logged-in users)"}

    @classmethod
    def visible(cls, user):
        return order_permissions.visible_orders(user).filter(buyer=user)


AMOUNT = fields.DecimalField(max_digits=12, decimal_places=2)


class PayView(PlainJSONView):
    """`POST /v1/orders/{identifier}/pay`: a new checkout for a pending order paid online."""

    permission_classes = [permissions.IsAuthenticated]
    body_key = None
    error_answers = {
        "post": {
            403: "The caller is not the order's buyer.",
            404: "The order is not there for the caller.",
            409: "The order is not pending, is paid at the venue, or was tried too often.",
            422: "The event does not take that payment mode now.",
            429: "The caller started too many payments in the last hour.",
            503: "The provider cannot be reached: try again.",
        }
    }

    @extend_schema(
        summary="Start paying a pending order online, again or by another provider (its buyer)",
        request=PaySerializer,
        responses={
            200: plain(
                "OrderPayment",
                **{"payment-mode": fields.CharField(), "payment-url": fields.URLField()},
            )
        },
    )
    def post(self, request, identifier):
        body = self.validated(PaySerializer)
        order = get_object_or_404(
            order_permissions.visible_orders(request.user).select_related("event"), pk=identifier
        )
        try:
            payment = payment_services.start_payment(request.user, order, body.get("payment-mode"))
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"payment-mode": error.message_dict["payment_mode"]}) from error
        return Response({"payment-mode": payment.provider, "payment-url": payment.payment_url})


class StripeWebhookView(PlainJSONView):
    """`POST /v1/webhooks/stripe`: Stripe tells of a checkout paid or expired, or a refund made in
    its dashboard. Signed with STRIPE_WEBHOOK_SECRET; the objects are fetched from Stripe again."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    body_key = None
    error_answers = {
        "post": {
            400: "The Stripe-Signature does not verify, or the body is not an event.",
            503: "Stripe cannot be reached, or the order is busy: Stripe sends the event again.",
        }
    }

    @extend_schema(
        summary="Receive an event from Stripe (Stripe: signed with the webhook secret)",
        request=plain("StripeEvent", id=fields.CharField(), type=fields.CharField()),
        parameters=[OpenApiParameter("Stripe-Signature", location=OpenApiParameter.HEADER, required=True)],
        responses={200: plain("StripeEventReceived", received=fields.CharField())},
    )
    def post(self, request):
        signature = request.headers.get("Stripe-Signature", "")
        try:  # the body as it was signed, not as parsed
            received = payment_services.handle_stripe_event(request.body, signature)
        except ValueError as error:
            raise exceptions.ParseError(str(error)) from error
        except OperationalError as error:  # the order's row lock not had in time
            raise Unavailable("The order is busy: send the event again.") from error
        return Response({"received": received})


class CalculateAmountView(PlainJSONView):
    """`POST /v1/orders/calculate-amount`: what an order of these tickets would cost."""

    permission_classes = [permissions.AllowAny]
    body_key = None
    error_answers = {"post": {404: "A ticket, or the discount code, is not there for the caller."}}

    @extend_schema(
        summary="Preview an order's amount, with a discount code's (anyone; nothing is written)",
        request=CalculateAmountSerializer,
        responses={
            200: plain(
                "OrderAmount",
                **{"sub-total": AMOUNT, "discount": AMOUNT, "total": AMOUNT, "currency": fields.CharField()},
            )
        },
    )
    def post(self, request):
        body = self.validated(CalculateAmountSerializer)
        wanted = {}
        for line in body["tickets"]:
            wanted[line["id"]] = wanted.get(line["id"], 0) + line["quantity"]
        tickets = (
            order_permissions.visible_tickets(request.user).filter(pk__in=wanted).select_related("event")
        )
        found = {ticket.pk: ticket for ticket in tickets}
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise exceptions.NotFound(f"Ticket: {missing[0]} not found")
        events = {ticket.event for ticket in found.values()}
        if len(events) > 1:
            raise exceptions.ValidationError({"tickets": "The tickets must be of one event."})
        event = events.pop()
        code = None
        if body.get("discount-code") is not None:
            code = services.discount_code_by_id(body["discount-code"])
        quantities = {found[pk]: quantity for pk, quantity in wanted.items()}
        try:
            quote = services.calculate_amount(request.user, event, quantities, code)
        except DjangoValidationError as error:  # the service names fields as the model does
            raise exceptions.ValidationError(
                {wire_name(field): messages for field, messages in error.message_dict.items()}
            ) from error
        return Response(
            {
                "sub-total": str(quote.sub_total),
                "discount": str(quote.discount),
                "total": str(quote.total),
                "currency": event.payment_currency,
            }
        )
