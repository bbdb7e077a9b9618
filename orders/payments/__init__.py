"""Payment providers (shared/docs/ARCHITECTURE.md, "Outside systems"): Stripe and PayPal behind
one interface (base.Provider), each with its vendor's SDK. An order costing nothing needs none:
orders.services completes it at once. What happens to orders when money moves is
orders.payments.services'."""

from events.models import Event

from .base import Provider
from .paypal import PayPal
from .stripe import Stripe

PROVIDERS: dict[str, Provider] = {provider.name: provider for provider in (Stripe(), PayPal())}


def offered(event: Event) -> list[Provider]:
    """The providers the event's buyers can pay with now: the event takes them (`can-pay-by-*`)
    and this server has their keys."""
    takes = {"stripe": event.can_pay_by_stripe, "paypal": event.can_pay_by_paypal}
    return [provider for name, provider in PROVIDERS.items() if takes[name] and provider.is_configured()]
