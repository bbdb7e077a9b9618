"""Stripe Checkout (the `stripe` SDK): a Checkout Session per payment, its URL the page the buyer
pays on; webhooks signed with STRIPE_WEBHOOK_SECRET; refunds against the session's PaymentIntent.
Every call goes to STRIPE_API_BASE within PAYMENT_TIMEOUT, and every create carries an
idempotency key, so a retried call makes nothing twice."""

import json
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.utils.timezone import now

from ..models import Payment, Refund
from .base import (
    Checkout,
    Outcome,
    Provider,
    ProviderError,
    ProviderRefused,
    from_minor_units,
    idempotency_key,
    minor_units,
)

# Stripe keeps a Checkout Session open 30 minutes at the least.
SESSION_MINUTES = 30


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=stripe.RequestsClient(timeout=settings.PAYMENT_TIMEOUT),
        max_network_retries=0,
    )


def _unavailable(error: stripe.StripeError) -> ProviderError:
    """Not reached (a timeout, Stripe's own 5xx: the call may have been made), or refused."""
    if isinstance(error, stripe.APIConnectionError) or (error.http_status or 500) >= 500:
        return ProviderError("Stripe cannot be reached just now: try again in a minute.")
    return ProviderRefused(f"Stripe refused: {error.user_message or error}")


class Stripe(Provider):
    name = "stripe"
    label = "Stripe"

    def is_configured(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def start(self, payment: Payment, return_url: str, cancel_url: str) -> Checkout:
        order = payment.order
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": minor_units(payment.amount, payment.currency),
                        "product_data": {"name": f"Order {order.pk} for {order.event.name}"},
                    },
                }
            ],
            "success_url": return_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(order.pk),
            "metadata": {"order": str(order.pk), "payment": str(payment.pk)},
            "expires_at": int((now() + timedelta(minutes=SESSION_MINUTES)).timestamp()),
        }
        if order.buyer is not None:
            params["customer_email"] = order.buyer.email
        try:
            session = _client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"payment-{payment.pk}"}
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return Checkout(reference=session.id, url=session.url)

    def fetch(self, payment: Payment, returned: Mapping[str, str]) -> Outcome:
        try:
            session = _client().v1.checkout.sessions.retrieve(
                payment.reference, params={"expand": ["payment_intent"]}
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        if session.to_dict().get("metadata", {}).get("payment") != str(payment.pk):
            return Outcome(failure="The Stripe session is not this payment's.")
        if session.payment_status == "paid":
            intent = session.payment_intent
            return Outcome(
                paid=True,
                amount=from_minor_units(session.amount_total, session.currency),
                currency=session.currency.upper(),
                charge_reference=intent.id if intent is not None else None,
            )
        if session.status == "expired":
            return Outcome(failure="The Stripe checkout expired unpaid.")
        return Outcome()

    def refund(self, refund: Refund) -> str:
        payment = refund.payment
        try:
            made = _client().v1.refunds.create(
                params={
                    "payment_intent": payment.charge_reference,
                    "amount": minor_units(refund.amount, payment.currency),
                    "metadata": {"order": str(payment.order_id), "refund": str(refund.pk)},
                },
                options={"idempotency_key": idempotency_key(refund)},
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        if made.status in ("failed", "canceled"):
            raise ProviderRefused(f"Stripe did not make the refund ({made.status}).")
        return made.id


def verified_event(payload: bytes, signature: str) -> dict:
    """The webhook's event as a dict, once its signature is STRIPE_WEBHOOK_SECRET's and recent;
    ValueError otherwise."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise ValueError("Stripe is not configured on this server.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode(), signature, settings.STRIPE_WEBHOOK_SECRET, 300
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as error:
        raise ValueError(f"The Stripe-Signature does not verify: {error.user_message or error}") from error
    except UnicodeDecodeError as error:
        raise ValueError("The body is not UTF-8.") from error
    except RecursionError as error:
        raise ValueError("The body is nested too deep for a Stripe event.") from error
    if not isinstance(event, dict):
        raise ValueError("The body is not a Stripe event.")
    return event


def charge_refunds(charge_id: str) -> list[tuple[str, Decimal, str]]:
    """A charge's refunds, fetched from Stripe: (reference, amount, our Refund's id or "" for one
    made in Stripe's dashboard)."""
    try:
        charge = _client().v1.charges.retrieve(charge_id, params={"expand": ["refunds"]})
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return [
        (
            refund.id,
            from_minor_units(refund.amount, charge.currency),
            refund.to_dict().get("metadata", {}).get("refund", ""),
        )
        for refund in charge.refunds.data
        if refund.status in ("succeeded", "pending")
    ]
