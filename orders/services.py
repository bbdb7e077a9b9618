"""Ticketing (shared/docs/API.md, "Tickets, attendees, discount codes, orders"): tickets,
discount codes and attendees, and the orders that sell them.

Scarce things are counted, never stored as counters: a ticket's sold and held seats and a
discount code's uses are the attendees that hold them (models.holding_attendees).
An order is made in one transaction that locks, in this order, the buyer's row (their pending
orders and their attendees), the discount code and the tickets (by id), then counts and writes:
two checkouts can never both take the last seat. Services take the acting user and
check what events.permissions and orders.permissions allow.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    ProtectedError,
    QuerySet,
    RestrictedError,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.timezone import now

from accounts.models import User
from events import permissions as event_permissions
from events.models import Event
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from openevent import ratelimit
from openevent.errors import Conflict, Forbidden, NotFound
from openevent.locks import (
    changed_as_stored_now,
    delete_locked,
    lock_row,
    reference_kept,
    unique_checked_again,
)
from openevent.mail import send_templated_mail

from . import payments
from .models import Attendee, DiscountCode, Order, Payment, Refund, Ticket, holding_attendees, holding_orders
from .payments import services as payment_services

CENT = Decimal("0.01")
Form = CustomForm.Form
Status = Order.Status
Mode = Order.PaymentMode
ONLINE_MODES = (Mode.STRIPE, Mode.PAYPAL)
# Order status moves by who makes them; completing and cancelling have services of their own.
REGISTRAR_MOVES = {(Status.PENDING, Status.COMPLETED)}
ADMIN_MOVES = REGISTRAR_MOVES | {(Status.PENDING, Status.CANCELLED), (Status.COMPLETED, Status.CANCELLED)}
BUYER_MOVES = {(Status.PENDING, Status.CANCELLED)}
# Skips the row locks of create_order: only the concurrency tests set it, to show the race they stop.
SKIP_LOCKS_FOR_TESTS = False


def _require_event_admin(actor: User, event: Event, what: str) -> None:
    if not event_permissions.is_event_admin(actor, event):
        raise Forbidden(f"Only the event's owner and organizers may change its {what}.")


def _delete(instance, refusal: str) -> None:
    try:
        delete_locked(instance)
    except (ProtectedError, RestrictedError) as error:
        raise Conflict(refusal) from error


# Tickets and discount codes


def save_ticket(actor: User, ticket: Ticket, **changes) -> Ticket:
    """Create (unsaved `ticket`) or change a ticket of an event the actor administers."""
    _require_event_admin(actor, ticket.event, "tickets")
    with transaction.atomic():
        ticket = changed_as_stored_now(ticket, changes)
        ticket.save()
    return ticket


def delete_ticket(actor: User, ticket: Ticket) -> None:
    _require_event_admin(actor, ticket.event, "tickets")
    _delete(ticket, "The ticket has attendees: hide it to stop its sale.")


def save_discount_code(
    actor: User, code: DiscountCode, tickets: list[Ticket] | None = None, **changes
) -> DiscountCode:
    """Create or change a discount code; the tickets it applies to are the event's own."""
    _require_event_admin(actor, code.event, "discount codes")
    if tickets is not None and any(ticket.event_id != code.event_id for ticket in tickets):
        raise ValidationError({"tickets": "A discount code applies to tickets of its own event."})
    deleted = Conflict("A ticket of the discount code's was deleted meanwhile. Reload and try again.")
    with reference_kept(deleted), transaction.atomic():
        code = changed_as_stored_now(code, changes)
        with unique_checked_again(code):
            code.save()
            if tickets is not None:
                code.tickets.set(tickets)
    return code


def delete_discount_code(actor: User, code: DiscountCode) -> None:
    _require_event_admin(actor, code.event, "discount codes")
    _delete(code, "Orders used the discount code: deactivate it instead.")


def find_discount_code(actor: User, event: Event, code: str) -> DiscountCode:
    """The event's discount code a buyer typed (ignoring case). Each try counts against the
    buyer's DISCOUNT_LOOKUP_LIMIT_PER_HOUR, so codes are not guessed (RateLimited past it)."""
    ratelimit.hit("discount-lookup", str(actor.pk), settings.DISCOUNT_LOOKUP_LIMIT_PER_HOUR, 60 * 60)
    found = DiscountCode.objects.filter(event=event, code__iexact=code.strip()).first()
    if found is None:
        raise NotFound(f'The event has no discount code "{code.strip()}".')
    return found


def discount_code_by_id(code_id) -> DiscountCode:
    """A code by its random id, which only who was given the code (or looked it up) knows."""
    found = DiscountCode.objects.filter(pk=code_id).first()
    if found is None:
        raise NotFound(f"Discount code: {code_id} not found")
    return found


# Attendees


def _ticket_not_found(ticket_id) -> NotFound:
    """A ticket not there for the actor: hidden, or deleted (also after it was checked)."""
    return NotFound(f"Ticket: {ticket_id} not found", relationship="ticket")


def _check_orderable(actor: User, ticket: Ticket) -> None:
    """Anyone logged in may hold a ticket of a published event while it is on sale; the event's
    admins any ticket of their event, at any time."""
    if event_permissions.is_event_admin(actor, ticket.event):
        return
    if not ticket.event.is_published or ticket.is_hidden:
        raise _ticket_not_found(ticket.pk)
    if not ticket.is_on_sale():
        raise ValidationError({"ticket": f'"{ticket.name}" is not on sale now.'})


def create_attendee(actor: User, attendee: Attendee) -> Attendee:
    """Add an attendee for a ticket the actor may order; a buyer holds at most
    ATTENDEE_UNORDERED_LIMIT of an event's attendees not ordered yet."""
    if attendee.ticket.event_id != attendee.event_id:
        raise ValidationError({"ticket": "The ticket is of another event."})
    _check_orderable(actor, attendee.ticket)
    limit = settings.ATTENDEE_UNORDERED_LIMIT
    unordered = Attendee.objects.filter(creator=actor, event_id=attendee.event_id, order=None)
    if not event_permissions.is_event_admin(actor, attendee.event) and unordered.count() >= limit:
        raise Conflict(
            f"You have {limit} attendees not ordered yet for this event: order or delete some first."
        )
    attendee.creator = actor
    attendee.complex_field_values = forms_services.clean_answers(
        attendee.event, Form.ATTENDEE, attendee.complex_field_values
    )
    attendee.full_clean()
    with reference_kept(_ticket_not_found(attendee.ticket_id)), transaction.atomic():
        attendee.save()
    return attendee


def _may_change_attendee(actor: User, attendee: Attendee) -> bool:
    return attendee.creator_id == actor.pk or event_permissions.is_event_admin(actor, attendee.event)


def update_attendee(actor: User, attendee: Attendee, **changes) -> Attendee:
    """Who an attendee is changes with its creator (until it is ordered) and the event's admins.
    The changes apply to the row as it is now, locked, so that nothing written since `attendee`
    was read is lost."""
    ticket_id = changes["ticket"].pk if "ticket" in changes else attendee.ticket_id
    with reference_kept(_ticket_not_found(ticket_id)), transaction.atomic():
        locked = lock_row(Attendee.objects.select_related("event"), attendee.pk, "attendee")
        if not _may_change_attendee(actor, locked):
            raise Forbidden("Only who added the attendee and the event's organizers may change it.")
        if locked.order_id and not event_permissions.is_event_admin(actor, locked.event):
            raise Forbidden("The attendee is ordered: ask the event's organizers to change it.")
        if "ticket" in changes and locked.order_id:
            raise ValidationError({"ticket": "An ordered attendee keeps its ticket."})
        if "complex_field_values" in changes:  # the other answers, of fields retired since, stay
            changes["complex_field_values"] = forms_services.clean_answers(
                locked.event, Form.ATTENDEE, changes["complex_field_values"], locked.complex_field_values
            )
        for field, value in changes.items():
            setattr(locked, field, value)
        if "ticket" in changes:
            if locked.ticket.event_id != locked.event_id:
                raise ValidationError({"ticket": "The ticket is of another event."})
            _check_orderable(actor, locked.ticket)
        locked.full_clean()
        locked.save()
    return locked


def attendee_deletion_refusal(attendee: Attendee) -> str | None:
    """Why the attendee may not be deleted by anyone, if so (the admin shows it as protected)."""
    return f"{attendee} is ordered: cancel the order instead." if attendee.order_id else None


def delete_attendee(actor: User, attendee: Attendee) -> None:
    if not _may_change_attendee(actor, attendee):
        raise Forbidden("Only who added the attendee and the event's organizers may delete it.")
    if refusal := attendee_deletion_refusal(attendee):
        raise Conflict(refusal)
    attendee.delete()


# Prices


@dataclass(frozen=True)
class Line:
    """One ticket's share of an order: `quantity` of it at `unit_price` each (after the
    discount, which applies to all of them or none)."""

    ticket: Ticket
    quantity: int
    unit_price: Decimal
    discounted: bool


@dataclass(frozen=True)
class Quote:
    lines: list[Line]
    sub_total: Decimal
    discount: Decimal

    @property
    def total(self) -> Decimal:
        return self.sub_total - self.discount


def _discount_on(price: Decimal, code: DiscountCode) -> Decimal:
    if code.discount_type == DiscountCode.Type.PERCENT:
        off = (price * code.value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        off = code.value
    return min(off, price)


def quote(quantities: dict[Ticket, int], code: DiscountCode | None, applicable: set) -> Quote:
    """What `quantities` of tickets cost, `code` taking its discount off the `applicable` ones."""
    lines = []
    sub_total = discount = Decimal("0.00")
    for ticket, quantity in quantities.items():
        discounted = code is not None and ticket.pk in applicable
        off = _discount_on(ticket.price, code) if discounted else Decimal("0.00")
        lines.append(Line(ticket, quantity, ticket.price - off, discounted))
        sub_total += ticket.price * quantity
        discount += off * quantity
    return Quote(lines, sub_total, discount)


def _discount_error(message: str) -> ValidationError:
    return ValidationError({"discount_code": message})


def check_discount_code(
    code: DiscountCode, event: Event, counts: dict[int, int], uses: int | None = None
) -> set:
    """The ids of the tickets `code` discounts in an order of `counts` ({ticket id: how many}),
    once it holds up to the contract's rules in their order: (1) active, (2) valid now, (3) uses
    left for these tickets (`uses`: how many it has discounted, counted under the order's locks;
    None for a preview, which counts them now), (4) of this event and applying to some of these
    tickets."""
    if not code.is_active:
        raise _discount_error("The discount code is not active.")
    if not code.is_valid_at(now()):
        raise _discount_error("The discount code is not valid now.")
    applicable = (
        set(code.tickets.filter(pk__in=list(counts)).values_list("pk", flat=True))
        if code.event_id == event.pk
        else set()
    )
    count = sum(quantity for ticket_id, quantity in counts.items() if ticket_id in applicable)
    if code.tickets_number is not None:
        left = code.tickets_number - (discount_uses(code) if uses is None else uses)
        if count > left:
            raise _discount_error(f"The discount code has {max(left, 0)} uses left.")
    if not applicable:
        raise _discount_error("The discount code does not apply to these tickets.")
    if count < code.min_quantity or (code.max_quantity is not None and count > code.max_quantity):
        most = f"to {code.max_quantity}" if code.max_quantity is not None else "or more"
        raise _discount_error(
            f"The discount code applies to orders of {code.min_quantity} {most} of its tickets."
        )
    return applicable


def discount_uses(code: DiscountCode) -> int:
    """How many tickets the code discounts in the orders that hold theirs."""
    return Attendee.objects.filter(holding_attendees(), order__discount_code=code, discounted=True).count()


def with_held(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets, each with `held`: its seats sold or held by pending orders, counted in the
    same query (a list's worth at once)."""
    held = (
        Attendee.objects.filter(holding_attendees(), ticket=OuterRef("pk"))
        .values("ticket")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return tickets.annotate(held=Coalesce(Subquery(held, output_field=IntegerField()), Value(0)))


def tickets_held(ticket_ids) -> dict[int, int]:
    """{ticket id: seats sold or held by pending orders} for these tickets."""
    held = dict.fromkeys(ticket_ids, 0)
    rows = (
        Attendee.objects.filter(holding_attendees(), ticket_id__in=ticket_ids)
        .values_list("ticket_id")
        .annotate(Count("pk"))
    )
    held.update(rows)
    return held


def _check_quantities(quantities: dict[Ticket, int], pointer: str) -> None:
    for ticket, quantity in quantities.items():
        if not ticket.min_order <= quantity <= ticket.max_order:
            raise ValidationError(
                {pointer: f'"{ticket.name}" is sold {ticket.min_order} to {ticket.max_order} per order.'}
            )


def calculate_amount(
    actor: User, event: Event, quantities: dict[Ticket, int], code: DiscountCode | None
) -> Quote:
    """The preview of an order's amount (POST /v1/orders/calculate-amount, the checkout): the
    order's rules on quantities and the discount code, and nothing written. An event admin's
    order gets no discount, so neither does their preview."""
    _check_quantities(quantities, "tickets")
    if code is not None and event_permissions.is_event_admin(actor, event):
        code = None
    counts = {ticket.pk: quantity for ticket, quantity in quantities.items()}
    applicable = check_discount_code(code, event, counts) if code is not None else set()
    return quote(quantities, code, applicable)


# Orders


def _locked(queryset: QuerySet) -> QuerySet:
    return queryset if SKIP_LOCKS_FOR_TESTS else queryset.select_for_update()


def _pending_orders(buyer: User, event: Event) -> QuerySet[Order]:
    return Order.objects.filter(holding_orders(), buyer=buyer, event=event, status=Status.PENDING)


def _check_attendees(actor: User, event: Event, attendees: list[Attendee]) -> None:
    if not attendees:
        raise ValidationError({"attendees": "An order holds at least one attendee."})
    for attendee in attendees:
        if attendee.creator_id != actor.pk:
            raise ValidationError({"attendees": f"Attendee {attendee.pk} is not yours to order."})
        if attendee.event_id != event.pk:
            raise ValidationError({"attendees": f"Attendee {attendee.pk} is of another event."})
        if attendee.order_id is not None:
            raise ValidationError({"attendees": f"Attendee {attendee.pk} is ordered already."})


def payment_modes(event: Event) -> list[str]:
    """How a buyer can pay for an order of the event now (the pages offer these): the online
    providers it offers, and at the venue if it takes that."""
    online = [provider.name for provider in payments.offered(event)]
    return [*online, Mode.ONSITE] if event.can_pay_onsite else online


def _check_payment_mode(event: Event, mode: str, total: Decimal) -> None:
    if mode == Mode.FREE:
        raise ValidationError(
            {"payment_mode": f"The order costs {total} {event.payment_currency}: choose how to pay."}
        )
    accepted = {
        Mode.ONSITE: event.can_pay_onsite,
        Mode.STRIPE: event.can_pay_by_stripe,
        Mode.PAYPAL: event.can_pay_by_paypal,
    }
    if not accepted[mode]:
        raise ValidationError({"payment_mode": f"The event does not take payment by {mode}."})
    if mode in ONLINE_MODES and not payments.PROVIDERS[mode].is_configured():
        raise ValidationError({"payment_mode": f"Payment by {mode} is not configured on this server."})


def create_order(
    actor: User,
    event: Event,
    attendees: list[Attendee],
    payment_mode: str = Mode.FREE,
    discount_code: DiscountCode | None = None,
    amount: Decimal | None = None,
    status: str | None = None,
) -> Order:
    """Order the actor's attendees (shared/docs/API.md, the order rules, in their order). A
    buyer's amount is computed and their order pending, completed at once when it costs nothing;
    an event admin may set `amount` and `status` (pending or completed) and gets no discount.
    Sold out is a Conflict and writes nothing."""
    admin = event_permissions.is_event_admin(actor, event)
    if not admin:
        amount = status = None
    elif status not in (None, Status.PENDING, Status.COMPLETED):
        raise ValidationError({"status": "A new order is pending or completed."})
    attendees = sorted({attendee.pk: attendee for attendee in attendees}.values(), key=lambda a: a.pk)
    _check_attendees(actor, event, attendees)
    counts = Counter(attendee.ticket_id for attendee in attendees)
    with transaction.atomic():
        # Locks in a fixed order: the buyer (their orders), the code, the tickets. The tickets are
        # every buyer's, so they are locked last and held only to count the seats and write.
        _locked(User.objects.filter(pk=actor.pk)).first()
        at_limit = not admin and _pending_orders(actor, event).count() >= settings.ORDER_PENDING_LIMIT
        code = None
        if discount_code is not None and not admin:
            code = _locked(DiscountCode.objects.filter(pk=discount_code.pk)).first()
            if code is None:  # deleted since the request named it
                raise NotFound(f"Discount code: {discount_code.pk} not found", relationship="discount_code")
        applicable = check_discount_code(code, event, counts, discount_uses(code)) if code else set()
        locked = _locked(Ticket.objects.filter(pk__in=list(counts))).order_by("pk")
        quantities = {ticket: counts[ticket.pk] for ticket in locked}
        _check_stock(quantities, admin)
        priced = quote(quantities, code, applicable)
        total = priced.total if amount is None else amount
        if total == 0:
            payment_mode, status = Mode.FREE, Status.COMPLETED
        elif status != Status.COMPLETED:
            _check_payment_mode(event, payment_mode, total)
        status = status or Status.PENDING
        if at_limit and status == Status.PENDING:
            raise Conflict(
                f"You have {settings.ORDER_PENDING_LIMIT} unpaid orders for this event: "
                "pay or cancel one first."
            )
        order = Order.objects.create(
            event=event,
            buyer=actor,
            amount=total,
            status=status,
            payment_mode=payment_mode,
            discount_code=code,
            expires_at=now() + timedelta(minutes=settings.ORDER_EXPIRY_MINUTES)
            if status == Status.PENDING and payment_mode in ONLINE_MODES
            else None,
            completed_at=now() if status == Status.COMPLETED else None,
            paid_via=payment_mode if status == Status.COMPLETED else None,
        )
        for line in priced.lines:  # an UPDATE per ticket, however many attendees hold it
            ordered = [attendee for attendee in attendees if attendee.ticket_id == line.ticket.pk]
            for attendee in ordered:
                attendee.order, attendee.price, attendee.discounted = order, line.unit_price, line.discounted
                attendee.ticket = line.ticket
            # Still unordered and for this ticket: the buyer's lock keeps their other checkouts
            # out, and a change made before it took this one is caught here.
            updated = Attendee.objects.filter(
                pk__in=[attendee.pk for attendee in ordered], order=None, ticket=line.ticket
            ).update(order=order, price=line.unit_price, discounted=line.discounted)
            if updated != len(ordered):
                raise Conflict("An attendee of this order was ordered or changed meanwhile: try again.")
    notify_buyer(order, attendees)
    return order


def checkout(
    actor: User,
    event: Event,
    attendees: list[Attendee],
    payment_mode: str,
    discount_code: DiscountCode | None,
) -> Order:
    """The pages' checkout: the (unsaved) attendees added and ordered at once, or nothing written."""
    with transaction.atomic():
        for attendee in attendees:
            create_attendee(actor, attendee)
        return create_order(actor, event, attendees, payment_mode, discount_code)


def _check_stock(quantities: dict[Ticket, int], admin: bool) -> None:
    """Every ticket on sale (for a buyer), within its bounds per order, and with seats left."""
    if not admin:  # hidden or off sale since its attendees were added
        for ticket in quantities:
            if ticket.is_hidden or not ticket.is_on_sale():
                raise ValidationError({"attendees": f'"{ticket.name}" is not on sale now.'})
    _check_quantities(quantities, "attendees")
    held = tickets_held([ticket.pk for ticket in quantities])
    for ticket, quantity in quantities.items():
        left = ticket.quantity - held[ticket.pk]
        if quantity > left:
            raise Conflict(
                f'"{ticket.name}" is sold out.' if left <= 0 else f'Only {left} of "{ticket.name}" are left.'
            )


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("event").get(pk=order.pk)


def change_order(
    actor: User, order: Order, status: str | None = None, amount: Decimal | None = None
) -> Order:
    """PATCH /v1/orders/{identifier}: a status move (cancel_order, mark_paid) or, for an event
    admin, a pending order's amount. A buyer sets neither `amount` nor any status but cancelled."""
    admin = event_permissions.is_event_admin(actor, order.event)
    if amount is not None:
        if not admin:
            raise Forbidden("The order's amount is the server's to compute.")
        with transaction.atomic():
            locked = expire_if_stale(_lock_order(order))
            if locked.status != Status.PENDING:
                raise Conflict(f"The order is {locked.status}: its amount stays as it is.")
            locked.amount = amount
            locked.save(update_fields=["amount"])
        order = locked
    if status is None or status == order.status:
        return order
    if status == Status.CANCELLED:
        return cancel_order(actor, order)
    if status == Status.COMPLETED:
        return mark_paid(actor, order)
    raise Forbidden(f'You cannot change an order\'s status from "{order.status}" to "{status}".')


def _check_move(actor: User, order: Order, status: str) -> None:
    move = (order.status, status)
    allowed = set()
    if order.buyer_id == actor.pk:
        allowed |= BUYER_MOVES
    if event_permissions.is_registrar(actor, order.event):
        allowed |= REGISTRAR_MOVES
    if event_permissions.is_event_admin(actor, order.event):
        allowed |= ADMIN_MOVES
    if move not in allowed:
        raise Forbidden(f'You cannot change an order\'s status from "{order.status}" to "{status}".')


def cancel_order(actor: User, order: Order) -> Order:
    """Cancel an order: its buyer while it is pending, the event's admins also once completed,
    which gives its money back (payments.services.refund_order, outside this lock: the provider
    may take seconds). Its tickets and discount uses are free again (they are counted from the
    attendees that hold them)."""
    with transaction.atomic():
        locked = expire_if_stale(_lock_order(order))
        if locked.status == Status.CANCELLED:
            return locked
        _check_move(actor, locked, Status.CANCELLED)
        paid = locked.status == Status.COMPLETED and locked.amount > 0
        if not paid:
            locked.status, locked.cancelled_at = Status.CANCELLED, now()
            locked.save(update_fields=["status", "cancelled_at"])
    if paid:
        payment_services.refund_order(actor, locked)
        locked.refresh_from_db()
        return locked
    notify_buyer(locked)
    return locked


def mark_paid(actor: User, order: Order) -> Order:
    """A registrar or event admin took the payment at the venue: the pending order completes."""
    with transaction.atomic():
        locked = expire_if_stale(_lock_order(order))
        if locked.status == Status.COMPLETED:
            return locked
        _check_move(actor, locked, Status.COMPLETED)
        locked.status, locked.completed_at, locked.paid_via = Status.COMPLETED, now(), locked.payment_mode
        # Money that came for another amount, taken for the order now: its refunds go back through it.
        taken = locked.payments.filter(state=Payment.State.MISMATCHED).order_by("-confirmed_at").first()
        if taken is not None:
            taken.state, locked.paid_via = Payment.State.CONFIRMED, taken.provider
            taken.save(update_fields=["state"])
        locked.save(update_fields=["status", "completed_at", "paid_via"])
    notify_buyer(locked)
    return locked


def expire_if_stale(order: Order) -> Order:
    """The order, expired first if it is pending past its expiry (it held nothing since)."""
    if order.is_stale:
        Order.objects.filter(pk=order.pk, status=Status.PENDING).update(status=Status.EXPIRED)
        order.status = Status.EXPIRED
    return order


def expire_orders() -> int:
    """Mark the pending orders past their expiry expired (`manage.py expire_orders`). Counts of
    seats and uses leave them out from the moment they expire (holding_orders); this, and
    expire_if_stale when one is shown, bring their status in line."""
    return Order.objects.filter(status=Status.PENDING, expires_at__lte=now()).update(status=Status.EXPIRED)


EMAILS = {
    Status.PENDING: ("orders/email/order_received", "Your order for {event} is received"),
    Status.COMPLETED: ("orders/email/order_completed", "Your tickets for {event}"),
    Status.CANCELLED: ("orders/email/order_cancelled", "Your order for {event} is cancelled"),
}
REFUND_EMAIL = ("orders/email/order_refunded", "Your refund for {event}")


def notify_buyer(order: Order, attendees: list[Attendee] | None = None, refund: Refund | None = None) -> None:
    """Email the buyer the order's state, or the `refund` just made; `attendees`, with their
    tickets, if they are at hand."""
    if order.buyer is None or (refund is None and order.status not in EMAILS):
        return
    template, subject = EMAILS[order.status] if refund is None else REFUND_EMAIL
    if attendees is None:
        attendees = list((refund or order).attendees.select_related("ticket"))
    context = {
        "order": order,
        "event": order.event,
        "attendees": attendees,
        "refund": refund,
        "order_url": f"{settings.FRONTEND_URL}{reverse('orders:detail', args=[order.pk])}",
    }
    send_templated_mail(template, context, order.buyer.email, subject.format(event=order.event.name))
