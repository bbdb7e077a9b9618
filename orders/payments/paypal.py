"""PayPal (`paypalrestsdk`, the v1 Payments API): a payment per attempt, its approval URL the page
the buyer pays on; the return page executes it here, on the server. Everything PayPal-specific
lives in this module, so a move to the Orders v2 API touches nothing else."""

import json
import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache

import paypalrestsdk
import requests
from django.conf import settings
from paypalrestsdk import exceptions as paypal_errors
from paypalrestsdk.resource import Resource

from ..models import Payment, Refund
from .base import Checkout, Outcome, Provider, ProviderError, ProviderRefused, idempotency_key

# PayPal takes these currencies in whole units only.
WHOLE_UNITS = {"HUF", "JPY", "TWD"}


class _Api(paypalrestsdk.Api):
    """The SDK's client with what it lacks: a timeout on every call, and one new token after a 401,
    not one after another without end (the SDK's own retry calls `request` again each time)."""

    _depth = threading.local()

    def http_call(self, url, method, **kwargs):
        kwargs.setdefault("timeout", settings.PAYMENT_TIMEOUT)
        return super().http_call(url, method, **kwargs)

    def request(self, *args, **kwargs):
        depth = getattr(self._depth, "value", 0)
        if depth > 1:
            raise ProviderError(
                "PayPal refuses this server's credentials (PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET)."
            )
        self._depth.value = depth + 1
        try:
            return super().request(*args, **kwargs)
        finally:
            self._depth.value = depth


@cache
def _api(mode: str, client_id: str, client_secret: str, endpoint: str) -> _Api:
    """One client per configuration, so its access token is reused until it expires."""
    return _Api(mode=mode, client_id=client_id, client_secret=client_secret, endpoint=endpoint)


def _client() -> _Api:
    return _api(
        settings.PAYPAL_MODE,
        settings.PAYPAL_CLIENT_ID,
        settings.PAYPAL_CLIENT_SECRET,
        settings.PAYPAL_API_BASE,
    )


def _total(amount: Decimal, currency: str) -> str:
    return f"{amount:.0f}" if currency in WHOLE_UNITS else f"{amount:.2f}"


def _message(error: dict | None) -> str:
    error = error or {}
    return error.get("message") or error.get("name") or "no reason given"


class _Calling:
    """Turns what the SDK raises (requests' errors, its own per status) into ProviderError."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, requests.RequestException):
            raise ProviderError("PayPal cannot be reached just now: try again in a minute.") from error
        if isinstance(error, paypal_errors.ServerError):
            raise ProviderError("PayPal cannot be reached just now: try again in a minute.") from error
        if isinstance(error, paypal_errors.ConnectionError):
            raise ProviderRefused(f"PayPal refused: {error.content or error}") from error
        return False


def _execute(found: paypalrestsdk.Payment, payer_id: str) -> str | None:
    """Take the approved payment's money: None once taken (now, or by an earlier request), else
    PayPal's reason. PayPal answers its refusals with 400 (the SDK returns False) or 422 (raises)."""
    try:
        if found.execute({"payer_id": payer_id}):
            return None
        error = found.error
    except paypal_errors.ResourceInvalid as refused:
        try:
            error = json.loads(refused.content or "{}")
        except ValueError:
            error = {}
    return None if (error or {}).get("name") == "PAYMENT_ALREADY_DONE" else _message(error)


class PayPal(Provider):
    name = "paypal"
    label = "PayPal"

    def is_configured(self) -> bool:
        return bool(settings.PAYPAL_CLIENT_ID and settings.PAYPAL_CLIENT_SECRET)

    def start(self, payment: Payment, return_url: str, cancel_url: str) -> Checkout:
        order = payment.order
        created = paypalrestsdk.Payment(
            {
                "intent": "sale",
                "payer": {"payment_method": "paypal"},
                "redirect_urls": {"return_url": return_url, "cancel_url": cancel_url},
                "transactions": [
                    {
                        "amount": {
                            "total": _total(payment.amount, payment.currency),
                            "currency": payment.currency,
                        },
                        "description": f"Order {order.pk} for {order.event.name}"[:127],
                        "invoice_number": f"{order.pk}-{payment.pk}",
                        "custom": str(payment.pk),
                    }
                ],
            },
            api=_client(),
        )
        created.request_id = f"payment-{payment.pk}"
        with _Calling():
            if not created.create():
                raise ProviderRefused(f"PayPal refused: {_message(created.error)}")
        approval = next((link.href for link in created.links or [] if link.rel == "approval_url"), None)
        if approval is None:
            raise ProviderError("PayPal gave no page to pay on.")
        return Checkout(reference=created.id, url=approval)

    def fetch(self, payment: Payment, returned: Mapping[str, str]) -> Outcome:
        """The payment as PayPal has it; approved by the buyer (they came back with `PayerID`) and
        for what the order costs, it is executed first: that takes the money."""
        with _Calling():
            found = paypalrestsdk.Payment.find(payment.reference, api=_client())
            if found.state == "created" and returned.get("PayerID"):
                asked, order = found.transactions[0].amount, payment.order
                costs = order.event.payment_currency
                if (asked.total, asked.currency) != (_total(order.amount, costs), costs):
                    return Outcome(
                        failure="The PayPal payment is not for what the order costs now; not taken"
                    )
                refusal = _execute(found, returned["PayerID"])
                if refusal is not None:
                    return Outcome(failure=f"PayPal did not take the payment: {refusal}")
                found = paypalrestsdk.Payment.find(payment.reference, api=_client())
        if found.state == "failed":
            return Outcome(failure="PayPal says the payment failed.")
        if found.state != "approved":
            return Outcome()
        transaction = found.transactions[0]
        sale = transaction.related_resources[0].sale
        if sale.state in ("denied", "failed"):
            return Outcome(failure=f"PayPal says the payment was {sale.state}.")
        if sale.state != "completed":  # pending (an eCheck, a review): the money is not there yet
            return Outcome()
        try:
            amount = Decimal(transaction.amount.total)
        except (InvalidOperation, TypeError):
            return Outcome(failure="PayPal gave an amount that is not a number.")
        return Outcome(
            paid=True, amount=amount, currency=transaction.amount.currency, charge_reference=sale.id
        )

    def refund(self, refund: Refund) -> str:
        payment = refund.payment
        sale = paypalrestsdk.Sale({"id": payment.charge_reference}, api=_client())
        total = {"total": _total(refund.amount, payment.currency), "currency": payment.currency}
        asked = Resource({"amount": total}, api=_client())
        asked.request_id = idempotency_key(refund)  # PayPal-Request-Id: asked again, PayPal makes it once
        with _Calling():
            made = sale.refund(asked)
        if not made.success():
            raise ProviderRefused(f"PayPal did not make the refund: {_message(made.error)}")
        return made.id
