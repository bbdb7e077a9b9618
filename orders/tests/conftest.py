from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils.timezone import now

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory
from events.models import Event, Role
from forms_builder.models import CustomForm
from orders.factories import AttendeeFactory, DiscountCodeFactory, TicketFactory
from orders.models import Attendee, DiscountCode
from orders.tests.fake_vendors import FakePayPal, FakeStripe


@dataclass
class BoxOffice:
    """A published event `event` (onsite payment on, in EUR) run by `owner` with a `registrar`,
    selling a `free` ticket, a `paid` one (10.00, 5 seats, 1 to 4 per order), a `hidden` one and
    an `ended` one, and asking attendees `tshirt` and `k` (texts, optional); a 20% code `STUDENT`
    for the paid ticket, 3 uses; `buyer` and `other_buyer`
    buy; `other_event` is a second published event of another owner."""

    users: dict
    event: Event
    other_event: Event
    tickets: dict
    code: DiscountCode

    def attendee(self, ticket: str = "paid", buyer: str = "buyer", **fields) -> Attendee:
        return AttendeeFactory(ticket=self.tickets[ticket], creator=self.users[buyer], **fields)


@pytest.fixture
def box_office(db) -> BoxOffice:
    users = {
        "anonymous": None,
        "owner": UserFactory(email="owner@example.com"),
        "registrar": UserFactory(email="registrar@example.com"),
        "moderator": UserFactory(email="moderator@example.com"),
        "buyer": UserFactory(email="buyer@example.com"),
        "other_buyer": UserFactory(email="other-buyer@example.com"),
        "other_owner": UserFactory(email="other-owner@example.com"),
        "site_admin": UserFactory(email="admin@example.com", is_staff=True),
    }
    event = EventFactory(owner=users["owner"], can_pay_onsite=True, payment_currency="EUR")
    event_services.grant_role(users["registrar"], event, Role.REGISTRAR)
    event_services.grant_role(users["moderator"], event, Role.MODERATOR)
    other_event = EventFactory(owner=users["other_owner"], can_pay_onsite=True)
    tickets = {
        "free": TicketFactory(event=event, name="Community", quantity=50),
        "paid": TicketFactory(event=event, name="Standard", paid=True, quantity=5, max_order=4),
        "hidden": TicketFactory(event=event, name="Crew", is_hidden=True),
        "ended": TicketFactory(event=event, name="Early bird", sales_ends_at=now()),
        "elsewhere": TicketFactory(event=other_event, name="Elsewhere", paid=True),
    }
    code = DiscountCodeFactory(
        event=event, code="STUDENT", value=Decimal("20"), tickets_number=3, tickets=[tickets["paid"]]
    )
    for identifier in ("tshirt", "k"):  # two questions the event asks its attendees
        CustomForm.objects.create(
            event=event, form="attendee", field_identifier=identifier, name=identifier.title()
        )
    return BoxOffice(users, event, other_event, tickets, code)


def order_document(attendees, event=None, code=None, **attributes) -> dict:
    event = event or attendees[0].event
    relationships = {
        "event": {"data": {"type": "event", "id": str(event.pk)}},
        "attendees": {"data": [{"type": "attendee", "id": str(attendee.pk)} for attendee in attendees]},
    }
    if code is not None:
        relationships["discount-code"] = {"data": {"type": "discount-code", "id": str(code.pk)}}
    return {"data": {"type": "order", "attributes": attributes, "relationships": relationships}}


@pytest.fixture
def order_as(api):
    """POST /v1/orders as a user: `order_as(user, attendees, code=None, **attributes)`."""

    def post(user, attendees, code=None, event=None, headers=None, **attributes):
        client = api.as_user(user) if user is not None else api
        document = order_document(attendees, event=event, code=code, **attributes)
        return client.post("/v1/orders", document, **(headers or {}))

    return post


@pytest.fixture
def stripe_fake(settings):
    """Stripe's API faked on 127.0.0.1 and this server configured for it (calls time out in 1 s)."""
    with FakeStripe() as fake:
        settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = fake.secret_key, fake.webhook_secret
        settings.STRIPE_API_BASE = fake.url
        settings.PAYMENT_TIMEOUT = (1, 1)
        yield fake


@pytest.fixture
def paypal_fake(settings):
    """PayPal's API faked on 127.0.0.1 and this server configured for it (calls time out in 1 s)."""
    with FakePayPal() as fake:
        settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = fake.client_id, fake.client_secret
        settings.PAYPAL_API_BASE = fake.url
        settings.PAYMENT_TIMEOUT = (1, 1)
        yield fake


@pytest.fixture
def online(box_office, stripe_fake, paypal_fake) -> BoxOffice:
    """The box office's event paid by Stripe and PayPal as well, both faked."""
    Event.objects.filter(pk=box_office.event.pk).update(can_pay_by_stripe=True, can_pay_by_paypal=True)
    box_office.event.refresh_from_db()
    return box_office
