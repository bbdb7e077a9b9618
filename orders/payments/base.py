"""The one interface every payment provider offers (free, Stripe, PayPal): start a payment and
get the page the buyer pays on, ask the provider what became of it, give money back."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from openevent.errors import Conflict, Unavailable

from ..models import Payment, Refund


class ProviderError(Unavailable):
    """The provider could not be reached, or refused the call; the message is for people. Not
    reached (a timeout, its 5xx), the call may have been made all the same."""


class ProviderRefused(ProviderError, Conflict):
    """The provider answered, and said no: nothing was made (asking again as it is will not help:
    the API answers 409, not 503)."""


@dataclass(frozen=True)
class Checkout:
    """A payment started: the provider's reference for it, and where the buyer pays."""

    reference: str
    url: str


@dataclass(frozen=True)
class Outcome:
    """What the provider says of a payment now: paid (`amount` in `currency`, against the charge
    `charge_reference`), failed for good (`failure` says why), or neither yet."""

    paid: bool = False
    amount: Decimal | None = None
    currency: str = ""
    charge_reference: str | None = None
    failure: str = ""


class Provider:
    """A payment provider. `name` is its Order.PaymentMode; `label` its name for people."""

    name = ""
    label = ""

    def is_configured(self) -> bool:
        raise NotImplementedError

    def start(self, payment: Payment, return_url: str, cancel_url: str) -> Checkout:
        """Open a checkout for `payment` (its amount and currency); the buyer comes back to
        `return_url` when done, to `cancel_url` when they give up."""
        raise NotImplementedError

    def fetch(self, payment: Payment, returned: Mapping[str, str]) -> Outcome:
        """The payment's outcome, from the provider; `returned` holds the query parameters the
        buyer came back with, where the provider needs them to take the money."""
        raise NotImplementedError

    def refund(self, refund: Refund) -> str:
        """Give the refund's amount of its payment back; the provider's reference of it. Asked
        again for the same refund, the provider makes it once (`idempotency_key`)."""
        raise NotImplementedError


def idempotency_key(refund: Refund) -> str:
    return f"refund-{refund.pk}"


def minor_units(amount: Decimal, currency: str) -> int:
    """The amount in the currency's smallest unit (cents; yen for the zero-decimal ones)."""
    return int(amount) if currency.upper() in ZERO_DECIMAL else int(amount * 100)


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value) if currency.upper() in ZERO_DECIMAL else (Decimal(value) / 100).quantize(CENT)


CENT = Decimal("0.01")
# Of the currencies events take (events.models.CURRENCIES), those without a minor unit.
ZERO_DECIMAL = {"JPY"}
