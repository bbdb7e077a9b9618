"""The attendees' pages: the checkout (tickets → who comes → how to pay → the provider's page, or
the order), their orders, each order's page, and the pages the providers send buyers back to.
Every change goes through orders.services and orders.payments.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import MultipleChoiceField
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from events import permissions as event_permissions
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from openevent.errors import DomainError, NotFound
from openevent.ratelimit import RateLimited

from . import payments, permissions, services
from .forms import AttendeeForm, PaymentForm, TicketSelectionForm
from .models import Attendee, Order, Payment, Refund, Ticket
from .payments import services as payment_services
from .payments.base import ProviderError


def tickets_on_offer(user, event) -> list[Ticket]:
    """The event's tickets the user may order, with the seats each has left."""
    tickets = services.with_held(permissions.visible_tickets(user).filter(event=event))
    if not event_permissions.is_event_admin(user, event):
        tickets = tickets.filter(is_hidden=False)
    return list(tickets.order_by("price", "name", "pk"))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def checkout(request, pk):
    """Tickets chosen on the event page (or here) → one form per seat, a discount code and how to
    pay → the order. "Apply" shows what the code takes off, keeping what was typed."""
    event = get_object_or_404(event_permissions.visible_events(request.user), pk=pk)
    tickets = [ticket for ticket in tickets_on_offer(request.user, event) if ticket.is_on_sale()]
    selection = TicketSelectionForm(request.GET or None, tickets=tickets)  # the form posts back to its URL
    context = {"event": event, "tickets": tickets, "selection": selection, "rows": selection.rows(tickets)}
    if not selection.is_valid():
        return render(request, "orders/checkout_tickets.html", context)
    quantities = selection.quantities()
    seats = [ticket for ticket, quantity in quantities.items() for _ in range(quantity)]
    posted = request.method == "POST"
    questions = forms_services.answers_form(event, CustomForm.Form.ATTENDEE)
    attendee_forms = [
        (ticket, _seat_form(request, index), _answers_form(request, questions, index))
        for index, ticket in enumerate(seats)
    ]
    payment = PaymentForm(request.POST if posted else None, modes=services.payment_modes(event))
    context |= {"attendee_forms": attendee_forms, "payment": payment}
    if posted and payment.is_valid():
        code = _discount_code(request.user, event, payment)
        try:
            if not payment.errors:
                context["quote"] = services.calculate_amount(request.user, event, quantities, code)
            if (
                "order" in request.POST
                and not payment.errors
                and all(form.is_valid() & answers.is_valid() for _, form, answers in attendee_forms)
            ):
                attendees = [
                    Attendee(
                        event=event,
                        ticket=ticket,
                        complex_field_values=forms_services.stored(answers.cleaned_data),
                        **form.cleaned_data,
                    )
                    for ticket, form, answers in attendee_forms
                ]
                mode = payment.cleaned_data["payment_mode"] or Order.PaymentMode.FREE
                order = services.checkout(request.user, event, attendees, mode, code)
                return _pay_online(request, order) if _payable(order) else redirect(order)
        except ValidationError as error:
            _add_errors(payment, error)
        except DomainError as error:
            payment.add_error(None, str(error))
    context.setdefault("quote", services.quote(quantities, None, set()))
    return render(request, "orders/checkout.html", context)


def _seat_form(request, index: int) -> AttendeeForm:
    """Seat `index`'s form: checked when the order is placed; otherwise showing what was typed
    (after "Apply", unchecked yet), or at first the buyer's own name in the first seat."""
    prefix = f"seat-{index}"
    if "order" in request.POST:
        return AttendeeForm(request.POST, prefix=prefix)
    if request.method == "POST":
        typed = {name: request.POST.get(f"{prefix}-{name}", "") for name in AttendeeForm.Meta.fields}
        return AttendeeForm(prefix=prefix, initial=typed)
    user = request.user
    me = {"firstname": user.first_name, "lastname": user.last_name, "email": user.email}
    return AttendeeForm(prefix=prefix, initial=me if index == 0 else {})


def _answers_form(request, questions, index: int):
    """Seat `index`'s answers to the event's own questions: checked when the order is placed,
    otherwise showing what was typed."""
    prefix = f"seat-{index}-answers"
    if "order" in request.POST:
        return questions(request.POST, prefix=prefix)
    typed = {}
    for name, field in questions.base_fields.items():
        key = f"{prefix}-{name}"
        if key in request.POST:
            typed[name] = (
                request.POST.getlist(key) if isinstance(field, MultipleChoiceField) else request.POST[key]
            )
    return questions(prefix=prefix, initial=typed)


def _discount_code(user, event, payment: PaymentForm):
    """The code typed, if any; one the event does not have is the field's error."""
    typed = payment.cleaned_data["discount_code"].strip()
    if not typed:
        return None
    try:
        return services.find_discount_code(user, event, typed)
    except NotFound as error:
        payment.add_error("discount_code", str(error))
    except RateLimited as error:
        minutes = -(-error.retry_after // 60)
        payment.add_error("discount_code", f"Too many discount codes tried: try again in {minutes} minutes.")
    return None


def _add_errors(payment: PaymentForm, error: ValidationError) -> None:
    """A service's refusal beside the field it is about: the code's, the payment's, else the form's."""
    if not hasattr(error, "error_dict"):
        payment.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in ("discount_code", "payment_mode") else None
        for message in errors:
            payment.add_error(target, message)


@login_required
def my_orders(request):
    orders = (
        permissions.visible_orders(request.user)
        .filter(buyer=request.user)
        .select_related("event")
        .order_by("-created_at")
    )
    return render(request, "orders/my_orders.html", {"orders": orders})


def _order(request, identifier) -> Order:
    visible = permissions.visible_orders(request.user).select_related("event")
    return services.expire_if_stale(get_object_or_404(visible, pk=identifier))


def _payable(order: Order) -> bool:
    """Pending, not past its expiry, and paid online: its buyer can (still) pay it."""
    return (
        order.status == Order.Status.PENDING
        and not order.is_stale
        and order.payment_mode in services.ONLINE_MODES
    )


@login_required
def order_detail(request, identifier):
    order = _order(request, identifier)
    mine = order.buyer_id == request.user.pk
    context = {
        "order": order,
        "attendees": order.attendees.select_related("ticket", "refund"),
        "payments": order.payments.all(),
        "refunds": order.refunds.exclude(state=Refund.State.FAILED),
        "providers": payments.offered(order.event) if mine and _payable(order) else [],
        "may_cancel": order.status == Order.Status.PENDING and mine,
    }
    return render(request, "orders/order_detail.html", context)


@require_POST
@login_required
def cancel(request, identifier):
    order = _order(request, identifier)
    try:
        services.cancel_order(request.user, order)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your order is cancelled and its tickets are released.")
    return redirect(order)


@require_POST
@login_required
def pay(request, identifier):
    """ "Pay with …": a new checkout at the provider chosen, and off to its page."""
    return _pay_online(request, _order(request, identifier), request.POST.get("provider"))


def _pay_online(request, order: Order, provider: str | None = None):
    try:
        payment = payment_services.start_payment(request.user, order, provider)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:  # a provider down among them
        messages.error(request, str(error))
    except RateLimited as error:
        minutes = -(-error.retry_after // 60)
        messages.error(request, f"Too many payments started: try again in {minutes} minutes.")
    else:
        return redirect(payment.payment_url)
    return redirect(order)


RETURN_MESSAGES = {
    Payment.State.CONFIRMED: (messages.SUCCESS, "Paid: your tickets are on their way by email."),
    Payment.State.REJECTED: (
        messages.WARNING,
        "Your payment arrived, but the order could not take it. {note}. We have emailed you.",
    ),
    Payment.State.MISMATCHED: (
        messages.ERROR,
        "Your payment was not for the order's amount, so the order is not complete: the organizers "
        "will sort it out with you.",
    ),
    Payment.State.FAILED: (messages.ERROR, "The payment did not go through ({note}): try again."),
    Payment.State.CREATED: (messages.INFO, "Your payment is not finished: pay, or try again."),
}


def _buyers_payment(request, identifier, pk) -> tuple[Order, Payment]:
    order = _order(request, identifier)
    if order.buyer_id != request.user.pk:
        raise Http404
    return order, get_object_or_404(order.payments, pk=pk)


@login_required
def payment_return(request, identifier, pk):
    """Where a provider sends the buyer back after paying: the provider is asked (PayPal's payment
    is executed here), the order completes if the money is there, and the buyer sees the result."""
    order, payment = _buyers_payment(request, identifier, pk)
    try:
        payment = payment_services.settle_payment(payment, request.GET)
    except ProviderError as error:  # asked again from here: PayPal's payment is taken on this page only
        context = {"order": order, "error": error, "again": request.get_full_path()}
        return render(request, "orders/payment_unchecked.html", context, status=503)
    level, text = RETURN_MESSAGES[payment.state]
    messages.add_message(request, level, text.format(note=payment.note.rstrip(".")))
    return redirect(order)


@login_required
def payment_cancel(request, identifier, pk):
    """Where a provider sends the buyer who gave up paying: nothing changes."""
    order, _ = _buyers_payment(request, identifier, pk)
    messages.info(request, "Payment not finished: your order is still waiting, pay when you are ready.")
    return redirect(order)
