"""Ticketing in the organizers' admin: each organizer sees the tickets, discount codes, orders
and attendees of the events they run. Orders are made by checkouts; here they are marked paid or
cancelled (refunded, when paid), their payments and refunds read, attendees refunded one by one
and exported. Every change goes through orders.services and orders.payments.services."""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.fields.json import KeyTransform
from django.http import HttpResponse
from django.utils.timezone import localtime, now

from events import permissions as event_permissions
from events.admin import EventChildAdmin
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from openevent.errors import DomainError
from openevent.forms import changed_list, changes_of

from . import services
from .models import Attendee, DiscountCode, Order, Payment, Refund, Ticket, holding_orders
from .payments import services as payment_services


@admin.register(Ticket)
class TicketAdmin(EventChildAdmin):
    delete_service = staticmethod(services.delete_ticket)
    list_display = ["name", "event", "ticket_type", "price", "quantity", "sold", "sales_ends_at", "is_hidden"]
    list_filter = ["ticket_type", "is_hidden", ("event", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]

    def get_queryset(self, request):
        return services.with_held(super().get_queryset(request))

    @admin.display(description="Sold or held", ordering="held")
    def sold(self, ticket):
        return ticket.held

    def save_model(self, request, obj, form, change):
        services.save_ticket(request.user, obj, **changes_of(form) if change else {})


class DiscountCodeForm(forms.ModelForm):
    """The start may be left empty, meaning from when the code is saved, and is so on an add page,
    which cannot show a time in the event's zone before the event is chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        start = self.fields["valid_from"]
        start.required = False
        start.help_text = f"{start.help_text} Empty: from when it is saved."
        if self.instance._state.adding:
            self.initial["valid_from"] = None

    def clean_valid_from(self):
        return self.cleaned_data["valid_from"] or now()


@admin.register(DiscountCode)
class DiscountCodeAdmin(EventChildAdmin):
    form = DiscountCodeForm
    delete_service = staticmethod(services.delete_discount_code)
    list_display = [
        "code",
        "event",
        "discount_type",
        "value",
        "uses",
        "tickets_number",
        "valid_till",
        "is_active",
    ]
    list_filter = ["is_active", "discount_type", ("event", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code"]
    filter_horizontal = ["tickets"]

    def get_queryset(self, request):
        used = Count(
            "orders__attendees",
            filter=holding_orders("orders__")
            & Q(orders__attendees__discounted=True, orders__attendees__refund=None),
        )
        return super().get_queryset(request).annotate(uses=used)

    @admin.display(description="Tickets discounted", ordering="uses")
    def uses(self, code):
        return code.uses

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tickets":
            events = event_permissions.administered_events(request.user)
            kwargs["queryset"] = Ticket.objects.filter(event__in=events).select_related("event")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def check_form(self, request, stored, cleaned):
        event = self.event_of_form(stored, cleaned)
        if event and any(ticket.event_id != event.pk for ticket in cleaned.get("tickets", [])):
            raise ValidationError("A discount code applies to tickets of its own event.")

    def save_model(self, request, obj, form, change):
        pass  # saved with its tickets in save_related, through the service

    def save_related(self, request, form, formsets, change):
        changes = changes_of(form, "tickets") if change else {}
        services.save_discount_code(request.user, form.instance, changed_list(form, "tickets"), **changes)


class ReadOnlyInline(admin.TabularInline):
    """An order's rows, shown to whoever may see the order (its event's admins)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return event_permissions.may_use_admin(request.user)
        return event_permissions.is_event_admin(request.user, obj.event)

    def has_add_permission(self, request, obj=None):
        return False


class AttendeeInline(ReadOnlyInline):
    model = Attendee
    fields = ["firstname", "lastname", "email", "ticket", "price", "discounted", "refund"]


class PaymentInline(ReadOnlyInline):
    """Each attempt to pay, with what the provider took and, for one the order did not take, why."""

    model = Payment
    fields = [
        "created_at",
        "provider",
        "state",
        "amount",
        "paid_amount",
        "paid_currency",
        "note",
        "reference",
    ]


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = [
        "created_at",
        "amount",
        "state",
        "refunded_attendees",
        "note",
        "payment",
        "source",
        "reason",
        "reference",
    ]

    @admin.display(description="Attendees")
    def refunded_attendees(self, refund):
        return (
            ", ".join(str(attendee) for attendee in Attendee.objects.filter(pk__in=refund.attendee_ids))
            or "—"
        )


@admin.register(Order)
class OrderAdmin(EventChildAdmin):
    """Orders as checkouts made them: read here, marked paid or cancelled by the actions."""

    list_display = ["identifier", "event", "buyer", "amount", "status", "payment_mode", "created_at"]
    list_filter = [
        "status",
        "payment_mode",
        ("payments__state", admin.ChoicesFieldListFilter),
        ("event", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["event", "buyer"]
    search_fields = ["identifier", "buyer__email", "attendees__email"]
    date_hierarchy = "created_at"
    fields = [
        "identifier",
        "event",
        "buyer",
        "amount",
        "status",
        "payment_mode",
        "paid_via",
        "discount_code",
        "created_at",
        "expires_at",
        "completed_at",
        "cancelled_at",
    ]
    readonly_fields = fields
    inlines = [AttendeeInline, PaymentInline, RefundInline]
    actions = ["mark_paid", "cancel", "refund_payments"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an order is cancelled, never deleted: it is the record of a sale

    def _each(self, request, queryset, service, done: str):
        changed = 0
        for order in queryset.select_related("event"):
            try:
                service(request.user, order)
                changed += 1
            except DomainError as error:
                messages.warning(request, f"{order}: {error}")
        if changed:
            messages.success(request, f"{changed} order(s) {done}; their buyers were emailed.")

    @admin.action(description="Mark the selected pending orders paid (payment taken at the venue)")
    def mark_paid(self, request, queryset):
        self._each(request, queryset, services.mark_paid, "marked paid")

    @admin.action(
        description="Cancel the selected orders (paid ones are refunded; their tickets go back on sale)"
    )
    def cancel(self, request, queryset):
        self._each(request, queryset, services.cancel_order, "cancelled")

    @admin.action(
        description="Refund the payments the selected orders did not take (another amount, too late)"
    )
    def refund_payments(self, request, queryset):
        refunded = 0
        unwanted = Payment.objects.filter(
            order__in=queryset, state__in=[Payment.State.MISMATCHED, Payment.State.REJECTED]
        ).select_related("order__event")
        for payment in unwanted:
            try:
                payment_services.refund_payment(request.user, payment, reason="Not taken by its order.")
                refunded += 1
            except DomainError as error:
                messages.warning(request, f"{payment.order}, {payment}: {error}")
        if refunded:
            messages.success(request, f"{refunded} payment(s) refunded.")


class AnswerFilter(admin.SimpleListFilter):
    """Attendees by their answer to a select question of the user's events (of the event chosen
    in the event filter, once one is)."""

    title = "answer"
    parameter_name = "answer"

    def _questions(self, request):
        events = event_permissions.administered_events(request.user)
        if chosen := request.GET.get("event__id__exact"):
            events = events.filter(pk=chosen) if chosen.isdigit() else events.none()
        return CustomForm.objects.filter(
            event__in=events, form=CustomForm.Form.ATTENDEE, field_type=CustomForm.Type.SELECT, is_fixed=False
        ).select_related("event")

    def lookups(self, request, model_admin):
        questions = list(self._questions(request).order_by("event", "position", "pk"))
        several_events = len({question.event_id for question in questions}) > 1
        choices = []
        for question in questions:
            asked = f"{question.event}: {question.name}" if several_events else question.name
            choices += [(f"{question.pk}:{option}", f"{asked}: {option}") for option in question.options]
        return choices

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        pk, _, option = self.value().partition(":")
        question = self._questions(request).filter(pk=pk).first() if pk.isdigit() else None
        if question is None:
            raise IncorrectLookupParameters(f"No select question {pk} to filter by.")
        answer = KeyTransform(question.field_identifier, "complex_field_values")
        return queryset.filter(event_id=question.event_id).alias(answer=answer).filter(answer=option)


@admin.register(Attendee)
class AttendeeAdmin(EventChildAdmin):
    """Who comes: names, addresses and answers are corrected here; attendees are added by checkouts."""

    delete_service = staticmethod(services.delete_attendee)
    answers_form = CustomForm.Form.ATTENDEE
    list_display = ["firstname", "lastname", "email", "ticket", "event", "order_status", "price"]
    list_filter = [
        ("event", admin.RelatedOnlyFieldListFilter),
        ("ticket", admin.RelatedOnlyFieldListFilter),
        "order__status",
        AnswerFilter,
    ]
    list_select_related = ["event", "ticket", "order"]
    search_fields = ["firstname", "lastname", "email"]
    fields = [
        "event",
        "ticket",
        "order",
        "firstname",
        "lastname",
        "email",
        "complex_field_values",
        "price",
        "discounted",
        "refund",
    ]
    readonly_fields = ["event", "ticket", "order", "price", "discounted", "refund"]
    actions = ["export_csv", "refund_tickets"]

    def has_add_permission(self, request):
        return False

    def get_deleted_objects(self, objs, request):
        """Ordered attendees show as protected: Django's delete pages then refuse them, and say why."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = [refusal for attendee in objs if (refusal := services.attendee_deletion_refusal(attendee))]
        return deleted, counts, perms_needed, [*protected, *refusals]

    @admin.display(description="Order", ordering="order__status")
    def order_status(self, attendee):
        if attendee.refund_id is not None:
            return "refunded"
        return attendee.order.get_status_display() if attendee.order else "not ordered"

    @admin.action(description="Refund the selected attendees' tickets (the rest of their orders stays valid)")
    def refund_tickets(self, request, queryset):
        by_order = {}
        for attendee in queryset.filter(order__isnull=False).select_related("order__event"):
            by_order.setdefault(attendee.order, []).append(attendee)
        for order, attendees in by_order.items():
            try:
                refund = payment_services.refund_order(request.user, order, attendees)
            except (DomainError, ValidationError) as error:
                messages.warning(request, f"{order}: {' '.join(getattr(error, 'messages', [str(error)]))}")
            else:
                messages.success(
                    request,
                    f"{order}: {refund.amount} {order.event.payment_currency} refunded, the buyer emailed.",
                )

    def save_model(self, request, obj, form, change):
        services.update_attendee(request.user, obj, **changes_of(form))

    @admin.action(description="Export the selected attendees as CSV (one column per question)")
    def export_csv(self, request, queryset):
        attendees = list(
            queryset.select_related("event", "ticket", "order").order_by("event", "lastname", "pk")
        )
        questions = forms_services.answer_columns(
            {attendee.event_id for attendee in attendees},
            CustomForm.Form.ATTENDEE,
            [attendee.complex_field_values for attendee in attendees],
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="attendees.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "First name",
                "Last name",
                "Email",
                "Event",
                "Ticket",
                "Price",
                "Order",
                "Order status",
                "Ordered at",
                *(_cell(heading) for _, heading in questions),
            ]
        )
        for attendee in attendees:
            order, answers = attendee.order, attendee.complex_field_values
            writer.writerow(
                [
                    *(_cell(value) for value in (attendee.firstname, attendee.lastname, attendee.email)),
                    _cell(attendee.event.name),
                    _cell(attendee.ticket.name),
                    attendee.price if attendee.price is not None else "",
                    order.pk if order else "",
                    order.status if order else "",
                    localtime(order.created_at).isoformat() if order else "",
                    *(_cell(forms_services.answer_text(answers.get(key))) for key, _ in questions),
                ]
            )
        return response


def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never runs it: a leading = + - @ is a formula to Excel."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
