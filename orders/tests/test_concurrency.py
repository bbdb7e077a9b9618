"""Checkouts racing for the last seats and the last discount uses, on PostgreSQL with real threads
and connections (SQLite runs one writer at a time anyway). As pretix's tests do, each race is
first shown to happen without create_order's row locks (a test-only switch skips them), then
shown not to happen with them."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from accounts.factories import UserFactory
from events.factories import EventFactory
from openevent.errors import Conflict
from orders import services
from orders.factories import AttendeeFactory, DiscountCodeFactory, TicketFactory
from orders.models import Attendee, Order

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keep the migrations' roles
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL"),
]
BUYERS = 20
ATTEMPTS_TO_SHOW_THE_RACE = 5


def checkout_race(ticket, code=None) -> list[str]:
    """BUYERS buyers, each with one attendee for `ticket`, order at the same instant; what each got."""
    attendees = [AttendeeFactory(ticket=ticket, creator=UserFactory()) for _ in range(BUYERS)]
    barrier = threading.Barrier(BUYERS)

    def buy(attendee):
        barrier.wait()
        try:
            services.create_order(attendee.creator, ticket.event, [attendee], "onsite", discount_code=code)
            return "ordered"
        except Conflict:
            return "sold out"
        except services.ValidationError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(BUYERS) as pool:
        return list(pool.map(buy, attendees))


@pytest.fixture
def event():
    return EventFactory(owner=UserFactory(), can_pay_onsite=True)


def oversold(ticket) -> int:
    return Attendee.objects.filter(ticket=ticket).exclude(order=None).count() - ticket.quantity


def test_without_the_locks_the_last_seats_are_oversold(event, monkeypatch):
    monkeypatch.setattr(services, "SKIP_LOCKS_FOR_TESTS", True)
    for _ in range(ATTEMPTS_TO_SHOW_THE_RACE):
        ticket = TicketFactory(event=event, paid=True, quantity=3)
        checkout_race(ticket)
        if oversold(ticket) > 0:
            return
    pytest.fail("the race never happened: this test shows nothing")


def test_twenty_buyers_for_the_last_three_seats_make_exactly_three_orders(event):
    ticket = TicketFactory(event=event, paid=True, quantity=3)
    outcomes = checkout_race(ticket)
    assert sorted(outcomes) == ["ordered"] * 3 + ["sold out"] * (BUYERS - 3)
    assert oversold(ticket) == 0
    assert Order.objects.filter(event=event).count() == 3


def code_race(event) -> tuple[list[str], int]:
    ticket = TicketFactory(event=event, paid=True, quantity=100)
    code = DiscountCodeFactory(event=event, tickets_number=5, value=Decimal("50"), tickets=[ticket])
    outcomes = checkout_race(ticket, code)
    return outcomes, Order.objects.filter(discount_code=code).count()


def test_without_the_locks_a_discount_code_is_used_past_its_uses(event, monkeypatch):
    monkeypatch.setattr(services, "SKIP_LOCKS_FOR_TESTS", True)
    for _ in range(ATTEMPTS_TO_SHOW_THE_RACE):
        if code_race(event)[1] > 5:
            return
    pytest.fail("the race never happened: this test shows nothing")


def test_twenty_buyers_racing_a_code_with_five_uses_get_exactly_five_discounts(event):
    outcomes, discounted = code_race(event)
    assert sorted(outcomes) == ["ordered"] * 5 + ["refused"] * (BUYERS - 5)
    assert discounted == 5
