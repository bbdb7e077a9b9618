"""Money moving for orders: a payment started at a provider, settled from the provider's side
(Stripe's webhook, either provider's return page), refunded.

An order completes only once its provider says the money is there, for the order's amount in its
currency. Settling and refunding lock the order's row first (then the payment's, the discount
code's, the tickets'), and a payment already settled is left as it is: a replayed webhook, or the
webhook racing the return page, changes nothing twice and sends one email.
"""

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.timezone import now

from accounts.models import User
from events import permissions as event_permissions
from openevent import ratelimit
from openevent.errors import Conflict, Forbidden

from .. import services as order_services
from ..models import Attendee, DiscountCode, Order, Payment, Refund, Ticket
from . import PROVIDERS, offered
from . import stripe as stripe_provider
from .base import ProviderError, ProviderRefused

log = logging.getLogger(__name__)
Status = Order.Status
State = Payment.State
# How long settling waits for an order another request has locked (PostgreSQL); past it the
# webhook answers 503 and the provider sends it again.
LOCK_TIMEOUT = "5s"
# Checkouts one order may open: each is a call to the provider, whose rate limits all buyers share.
ATTEMPTS_PER_ORDER = 10


def _url(name: str, *args) -> str:
    return f"{settings.FRONTEND_URL}{reverse(name, args=args)}"


def _lock_order(order_id) -> Order:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    return Order.objects.select_for_update(of=("self",)).select_related("event", "buyer").get(pk=order_id)


# Starting a payment


def start_payment(actor: User, order: Order, provider_name: str | None = None) -> Payment:
    """Open a checkout for the buyer's pending order at `provider_name` (the order's payment mode
    by default, or another online provider the event offers): a Payment row, then the provider's
    page, which becomes the order's `payment_url`. A provider that cannot be reached is a
    ProviderError ("try again"); the order stays pending either way."""
    if order.buyer_id != actor.pk:
        raise Forbidden("Only the order's buyer pays for it.")
    name = provider_name or order.payment_mode
    providers = {provider.name: provider for provider in offered(order.event)}
    if name not in providers:
        raise ValidationError({"payment_mode": f"The event does not take payment by {name} now."})
    with transaction.atomic():
        locked = order_services.expire_if_stale(_lock_order(order.pk))
        if locked.status != Status.PENDING:
            raise Conflict(f"The order is {locked.status}: there is nothing to pay.")
        if locked.payment_mode == Order.PaymentMode.ONSITE:
            raise Conflict("The order is paid at the venue.")
        if locked.payments.count() >= ATTEMPTS_PER_ORDER:
            raise Conflict("The order has been tried too often: cancel it and order again.")
        ratelimit.hit("payment-start", str(actor.pk), settings.PAYMENT_START_LIMIT_PER_HOUR, 60 * 60)
        locked.payment_mode = name
        locked.save(update_fields=["payment_mode"])
        payment = Payment.objects.create(
            order=locked, provider=name, amount=locked.amount, currency=locked.event.payment_currency
        )
    try:
        checkout = providers[name].start(
            payment,
            return_url=_url("orders:payment-return", locked.pk, payment.pk),
            cancel_url=_url("orders:payment-cancel", locked.pk, payment.pk),
        )
    except ProviderError as error:
        payment.state, payment.note = State.FAILED, str(error)
        payment.save(update_fields=["state", "note"])
        raise
    payment.reference, payment.payment_url = checkout.reference, checkout.url
    payment.save(update_fields=["reference", "payment_url"])
    Order.objects.filter(pk=locked.pk).update(payment_url=checkout.url)
    order.payment_mode, order.payment_url = name, checkout.url
    return payment


# Settling a payment


def settle_payment(payment: Payment, returned: Mapping[str, str] | None = None) -> Payment:
    """Ask the provider what became of `payment` and act on it, once: paid for the order's amount,
    the order completes (or, when it expired and its tickets are gone meanwhile, or it was
    cancelled or paid already, the money goes back); paid another amount, it is `mismatched` and
    the order stays as it is; failed for good, `failed`. `returned`: the return page's query.
    The provider is asked before any lock is taken; what it said is applied under the locks, unless
    another request settled the payment meanwhile."""
    payment = Payment.objects.get(pk=payment.pk)
    if payment.is_paid or payment.reference is None:
        return payment
    outcome = PROVIDERS[payment.provider].fetch(payment, returned or {})
    if not (outcome.paid or outcome.failure):
        return payment
    with transaction.atomic():
        order = _lock_order(payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.is_paid:
            return payment
        if outcome.failure:
            payment.state, payment.note = State.FAILED, outcome.failure
            payment.save(update_fields=["state", "note"])
            return payment
        payment.paid_amount, payment.paid_currency = outcome.amount, outcome.currency
        payment.charge_reference, payment.confirmed_at = outcome.charge_reference, now()
        costs = (order.amount, order.event.payment_currency)
        if (outcome.amount, outcome.currency) != costs:
            payment.state = State.MISMATCHED
            payment.note = (
                f"Paid {outcome.amount} {outcome.currency}, but the order costs {costs[0]} {costs[1]}: "
                "not completed. Refund the payment, or mark the order paid."
            )
            log.error("Payment %s of order %s: %s", payment.pk, order.pk, payment.note)
        else:
            payment.state = State.CONFIRMED if _complete(order, payment) else State.REJECTED
        payment.save()
    if payment.state == State.CONFIRMED:
        order_services.notify_buyer(order)
    elif payment.state == State.REJECTED:
        _refund_late(payment)
    return payment


def _complete(order: Order, payment: Payment) -> bool:
    """Complete the locked order paid by `payment`; False when it cannot be any more: cancelled,
    paid already, or expired with its tickets (or discount uses) gone since."""
    if order.status == Status.COMPLETED or order.status == Status.CANCELLED:
        payment.note = f"The order was {order.status} when this payment arrived: refunded."
        return False
    if order.is_stale or order.status == Status.EXPIRED:
        gone = _taken_since(order)
        if gone:
            payment.note = f"The order had expired, and {gone}: refunded."
            if order.status == Status.PENDING:
                order.status = Status.EXPIRED
                order.save(update_fields=["status"])
            return False
    order.status, order.completed_at, order.paid_via = Status.COMPLETED, now(), payment.provider
    order.save(update_fields=["status", "completed_at", "paid_via"])
    return True


def _taken_since(order: Order) -> str:
    """What of the expired order's tickets and discount uses others hold now ("" when nothing): it
    is not counted among the holders, so whatever it holds again must still be free. Locks the
    code and the tickets, in create_order's order."""
    attendees = list(order.attendees.filter(refund=None))
    counts: dict[int, int] = {}
    for attendee in attendees:
        counts[attendee.ticket_id] = counts.get(attendee.ticket_id, 0) + 1
    if order.discount_code_id is not None:
        code = DiscountCode.objects.select_for_update().get(pk=order.discount_code_id)
        discounted = sum(attendee.discounted for attendee in attendees)
        if (
            code.tickets_number is not None
            and order_services.discount_uses(code) + discounted > code.tickets_number
        ):
            return f'the discount code "{code.code}" has been used up'
    tickets = Ticket.objects.select_for_update().filter(pk__in=list(counts)).order_by("pk")
    held = order_services.tickets_held(list(counts))
    for ticket in tickets:
        if ticket.quantity - held[ticket.pk] < counts[ticket.pk]:
            return f'"{ticket.name}" sold out'
    return ""


def _refund_late(payment: Payment) -> None:
    """Give back a payment its order could not take, and tell the buyer why."""
    with transaction.atomic():
        order = _lock_order(payment.order_id)
        refund = _plan(order, payment, payment.paid_amount, [], Refund.Source.AUTOMATIC, payment.note, None)
    try:
        refund = _make(refund)
    except ProviderError as error:
        note = f"{payment.note} The automatic refund did not go through ({error}): refund it from the admin."
        Payment.objects.filter(pk=payment.pk).update(note=note)
        log.error("Payment %s of order %s: %s", payment.pk, payment.order_id, note)
        return
    order_services.notify_buyer(refund.order, refund=refund)


# Refunds
#
# A refund is planned under the order's lock, as a pending Refund row naming its amount and
# attendees; asked of the provider with no lock held (its answer may take seconds, and on SQLite a
# transaction holds the whole database), under the row's id as idempotency key; and recorded done
# under the lock again, releasing its attendees. A refund still pending (the provider did not
# answer in time, so it may have been made) is asked again, never planned anew: the provider
# makes it once however often it is asked, and no other refund of the order starts meanwhile.


def _plan(
    order: Order,
    payment: Payment | None,
    amount: Decimal,
    attendees: list[Attendee],
    source: str,
    reason: str,
    actor: User | None,
) -> Refund:
    return Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        attendee_ids=sorted(attendee.pk for attendee in attendees),
        state=Refund.State.PENDING,
        source=source,
        reason=reason,
        actor=actor,
    )


def _make(refund: Refund) -> Refund:
    """Ask the provider for the pending refund (nothing to ask when paid at the venue, or for
    nothing), then record it done. A refusal marks it failed and raises ProviderRefused; no
    answer leaves it pending and raises ProviderError."""
    reference = None
    if refund.payment is not None and refund.amount > 0:
        try:
            reference = PROVIDERS[refund.payment.provider].refund(refund)
        except ProviderRefused as refused:
            Refund.objects.filter(pk=refund.pk, state=Refund.State.PENDING).update(
                state=Refund.State.FAILED, note=str(refused)[:500]
            )
            raise
    return _done(refund, reference)


def _done(refund: Refund, reference: str | None) -> Refund:
    """Record the pending refund made (the provider's `reference`): its attendees released, and
    the order cancelled once none of its attendees holds a ticket. Done already, it is left."""
    with transaction.atomic():
        order = _lock_order(refund.order_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state == Refund.State.DONE:
            return refund
        refund.state, refund.reference = Refund.State.DONE, reference
        refund.save(update_fields=["state", "reference"])
        Attendee.objects.filter(pk__in=refund.attendee_ids, order=order, refund=None).update(refund=refund)
        if order.status == Status.COMPLETED and not order.attendees.filter(refund=None).exists():
            order.status, order.cancelled_at = Status.CANCELLED, now()
            order.save(update_fields=["status", "cancelled_at"])
    refund.order = order
    return refund


def _pending_or_none(order: Order, payment: Payment | None, attendee_ids: list[int]) -> Refund | None:
    """The order's refund still pending: this one asked again if it is for the same attendees,
    else a Conflict (another refund starts once it is through)."""
    pending = order.refunds.filter(state=Refund.State.PENDING).first()
    if pending is None:
        return None
    if pending.payment_id == (payment.pk if payment else None) and pending.attendee_ids == attendee_ids:
        return pending
    names = ", ".join(str(attendee) for attendee in Attendee.objects.filter(pk__in=pending.attendee_ids))
    raise Conflict(
        f"A refund of {pending.amount} {order.event.payment_currency} ({names or 'the payment'}) is still "
        "waiting for the provider's answer: ask for it again first."
    )


def refund_order(
    actor: User, order: Order, attendees: Iterable[Attendee] | None = None, reason: str = ""
) -> Refund:
    """An event admin gives back what `attendees` of a completed order paid (all of them when
    None: that cancels the order), through the provider that took the money, and their tickets
    are free again; the order's other tickets stay valid. A refund the provider refuses changes
    nothing but the failed Refund row (ProviderRefused, with its reason)."""
    if not event_permissions.is_event_admin(actor, order.event):
        raise Forbidden("Only the event's organizers refund orders.")
    wanted = None if attendees is None else {attendee.pk for attendee in attendees}
    with transaction.atomic():
        locked = order_services.expire_if_stale(_lock_order(order.pk))
        if locked.status != Status.COMPLETED:
            raise Conflict(f"The order is {locked.status}: only a completed order is refunded.")
        holding = list(locked.attendees.filter(refund=None))
        chosen = holding if wanted is None else [attendee for attendee in holding if attendee.pk in wanted]
        if not chosen or (wanted is not None and len(chosen) != len(wanted)):
            raise ValidationError({"attendees": "Refund only this order's attendees that hold a ticket."})
        payment = locked.payments.filter(state=State.CONFIRMED).first()
        refund = _pending_or_none(locked, payment, sorted(attendee.pk for attendee in chosen))
        if refund is None:
            left = _refundable(locked, payment)
            amount = left if len(chosen) == len(holding) else min(sum(a.price for a in chosen), left)
            refund = _plan(locked, payment, amount, chosen, Refund.Source.ORGANIZER, reason, actor)
    refund = _make(refund)
    order_services.notify_buyer(refund.order, refund=refund)
    return refund


def refund_payment(actor: User, payment: Payment, reason: str = "") -> Refund:
    """An event admin gives back all of a payment the order did not take (one for another amount,
    say); the order stays as it is."""
    if not event_permissions.is_event_admin(actor, payment.order.event):
        raise Forbidden("Only the event's organizers refund payments.")
    with transaction.atomic():
        order = _lock_order(payment.order_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.state not in (State.MISMATCHED, State.REJECTED):
            raise Conflict("Only a payment the order did not take is refunded on its own: refund the order.")
        refund = _pending_or_none(order, payment, [])
        if refund is None:
            left = _refundable(order, payment)
            if left <= 0:
                raise Conflict("The payment is refunded already.")
            refund = _plan(order, payment, left, [], Refund.Source.ORGANIZER, reason, actor)
    return _make(refund)


def _refundable(order: Order, payment: Payment | None) -> Decimal:
    """What is left to give back of `payment` (None: of what the order cost, paid at the venue)."""
    paid = order.amount if payment is None else payment.paid_amount
    given = order.refunds.filter(payment=payment).exclude(state=Refund.State.FAILED)
    return paid - (given.aggregate(total=Sum("amount"))["total"] or 0)


def record_provider_refunds(payment: Payment, refunds: list[tuple[str, Decimal, str]]) -> list[Refund]:
    """The payment's refunds as the provider lists them, (reference, amount, our Refund's id): our
    own still pending recorded done; those made in the provider's dashboard recorded as such.
    All of the payment given back cancels its completed order, frees its tickets and ends the
    refunds still pending (there is nothing left for them). A part keeps the tickets (the
    organizer chooses which to cancel). Deliveries racing each other record each refund once."""
    made = []
    for reference, amount, mine in refunds:
        pending = Refund.objects.filter(pk=int(mine), payment=payment).first() if mine.isdigit() else None
        if pending is not None:  # ours, made though its answer never reached us
            if pending.state == Refund.State.PENDING:
                made.append(_done(pending, reference))
            continue
        with transaction.atomic():
            order = _lock_order(payment.order_id)
            if not Refund.objects.filter(reference=reference).exists():
                made.append(
                    Refund.objects.create(
                        order=order,
                        payment=payment,
                        amount=amount,
                        reference=reference,
                        source=Refund.Source.PROVIDER,
                    )
                )
    with transaction.atomic():
        order = _lock_order(payment.order_id)
        done = payment.refunds.filter(state=Refund.State.DONE)
        if made and (done.aggregate(total=Sum("amount"))["total"] or 0) >= payment.paid_amount:
            payment.refunds.filter(state=Refund.State.PENDING).update(
                state=Refund.State.FAILED, note="The payment was refunded in full from the provider's side."
            )
            if payment.state == State.CONFIRMED and order.status == Status.COMPLETED:
                order.attendees.filter(refund=None).update(refund=made[-1])
                order.status, order.cancelled_at = Status.CANCELLED, now()
                order.save(update_fields=["status", "cancelled_at"])
                transaction.on_commit(lambda: order_services.notify_buyer(order))
    return made


# Stripe's webhook

SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


def handle_stripe_event(payload: bytes, signature: str) -> str:
    """`POST /v1/webhooks/stripe`: a signed event (ValueError when the signature does not verify).
    Nothing in it is believed but the ids: the session or charge is fetched from Stripe again.
    What became of it, in words."""
    event = stripe_provider.verified_event(payload, signature)
    kind, data = event.get("type"), event.get("data")
    if not isinstance(kind, str):
        return "ignored"
    about = data.get("object") if isinstance(data, dict) else None
    object_id = about.get("id") if isinstance(about, dict) else None
    if not isinstance(object_id, str):
        return "ignored"
    if kind in SESSION_EVENTS:
        payment = Payment.objects.filter(provider="stripe", reference=object_id).first()
        if payment is None:
            return "not a session of ours"
        return f"payment {settle_payment(payment).state}"
    if kind == "charge.refunded":
        intent = about.get("payment_intent")
        payment = (
            Payment.objects.filter(provider="stripe", charge_reference=intent).first()
            if isinstance(intent, str)
            else None
        )
        if payment is None:
            return "not a charge of ours"
        recorded = record_provider_refunds(payment, stripe_provider.charge_refunds(object_id))
        return f"{len(recorded)} refunds recorded"
    return "ignored"
