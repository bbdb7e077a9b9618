"""An order after it is made: cancelling, marking paid, the admins' changes, and expiry."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils.timezone import now

from orders import services
from orders.factories import OrderFactory
from orders.models import Order

pytestmark = pytest.mark.django_db
ONSITE = {"payment-mode": "onsite"}


@pytest.fixture
def pending(box_office, order_as):
    """The buyer's pending onsite order of two paid tickets, discounted by STUDENT."""
    attendees = [box_office.attendee(), box_office.attendee()]
    response = order_as(box_office.users["buyer"], attendees, code=box_office.code, **ONSITE)
    assert response.status_code == 201
    return Order.objects.get(pk=response.json()["data"]["id"])


def patch(api, user, order, **attributes):
    document = {"data": {"type": "order", "id": str(order.pk), "attributes": attributes}}
    return api.as_user(user).patch(f"/v1/orders/{order.pk}", document)


def test_the_buyer_cancels_a_pending_order_and_its_seats_and_uses_are_free_again(
    box_office, pending, api, mailoutbox
):
    assert services.tickets_held([box_office.tickets["paid"].pk])[box_office.tickets["paid"].pk] == 2
    assert services.discount_uses(box_office.code) == 2
    response = patch(api, box_office.users["buyer"], pending, status="cancelled")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["attributes"]["status"] == "cancelled"
    assert services.tickets_held([box_office.tickets["paid"].pk])[box_office.tickets["paid"].pk] == 0
    assert services.discount_uses(box_office.code) == 0
    assert mailoutbox[-1].subject == f"Your order for {box_office.event.name} is cancelled"


@pytest.mark.parametrize(
    "attributes", [{"status": "completed"}, {"amount": "0.00"}, {"status": "expired"}, {"status": "pending"}]
)
def test_the_buyer_neither_completes_an_order_nor_sets_its_amount(box_office, pending, api, attributes):
    if attributes == {"status": "pending"}:
        services.cancel_order(box_office.users["buyer"], pending)
    response = patch(api, box_office.users["buyer"], pending, **attributes)
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.amount == 16
    assert pending.status in ("pending", "cancelled")


def test_a_registrar_marks_an_onsite_order_paid(box_office, pending, api, mailoutbox):
    response = patch(api, box_office.users["registrar"], pending, status="completed")
    assert response.status_code == 200, response.json()
    attributes = response.json()["data"]["attributes"]
    assert (attributes["status"], attributes["paid-via"]) == ("completed", "onsite")
    assert mailoutbox[-1].subject == f"Your tickets for {box_office.event.name}"
    assert patch(api, box_office.users["registrar"], pending, status="cancelled").status_code == 403
    assert patch(api, box_office.users["buyer"], pending, status="cancelled").status_code == 403


def test_marking_paid_twice_changes_nothing_and_sends_one_email(box_office, pending, mailoutbox):
    mailoutbox.clear()
    first = services.mark_paid(box_office.users["registrar"], pending)
    again = services.mark_paid(box_office.users["owner"], pending)
    assert first.completed_at == again.completed_at
    assert len(mailoutbox) == 1


def test_an_event_admin_changes_a_pending_orders_amount_and_cancels_a_completed_one(box_office, pending, api):
    owner = box_office.users["owner"]
    assert patch(api, owner, pending, amount="12.50").json()["data"]["attributes"]["amount"] == "12.50"
    services.mark_paid(owner, pending)
    assert patch(api, owner, pending, amount="1.00").status_code == 409
    response = patch(api, owner, pending, status="cancelled")
    assert response.json()["data"]["attributes"]["status"] == "cancelled"


@pytest.mark.parametrize("who", ["moderator", "other_buyer", "other_owner"])
def test_others_cannot_see_or_change_an_order(box_office, pending, api, who):
    assert patch(api, box_office.users[who], pending, status="cancelled").status_code == 404
    assert api.as_user(box_office.users[who]).get(f"/v1/orders/{pending.pk}").status_code == 404


def test_an_order_id_is_a_uuid_and_anything_else_is_a_404(box_office, pending, api):
    client = api.as_user(box_office.users["buyer"])
    assert client.get(f"/v1/orders/{pending.pk}").status_code == 200
    assert client.get("/v1/orders/1").status_code == 404
    assert client.get(f"/v1/orders/{str(pending.pk).upper()}").status_code == 404


def online_order(box_office, **fields):
    """A pending order awaiting an online payment, as the payments issue makes them."""
    return OrderFactory(
        event=box_office.event,
        buyer=box_office.users["buyer"],
        payment_mode="stripe",
        amount=10,
        expires_at=now() + timedelta(minutes=15),
        attendees=[box_office.attendee()],
        **fields,
    )


def test_a_pending_online_order_stops_holding_its_seats_when_it_expires(box_office, api):
    order = online_order(box_office)
    paid = box_office.tickets["paid"].pk
    assert services.tickets_held([paid])[paid] == 1
    with time_machine.travel(now() + timedelta(minutes=16)):
        assert services.tickets_held([paid])[paid] == 0
        response = api.as_user(box_office.users["buyer"]).get(f"/v1/orders/{order.pk}")
        assert response.json()["data"]["attributes"]["status"] == "expired"
    order.refresh_from_db()
    assert order.status == "expired"


def test_expire_orders_expires_those_past_their_time(box_office, capsys):
    stale = online_order(box_office)
    fresh = online_order(box_office)
    Order.objects.filter(pk=stale.pk).update(expires_at=now() - timedelta(seconds=1))
    call_command("expire_orders")
    assert "1 orders expired" in capsys.readouterr().out
    assert Order.objects.get(pk=stale.pk).status == "expired"
    assert Order.objects.get(pk=fresh.pk).status == "pending"


def test_an_expired_order_is_neither_cancelled_nor_paid(box_office, api):
    order = online_order(box_office, status="pending")
    with time_machine.travel(now() + timedelta(minutes=16)):
        assert patch(api, box_office.users["owner"], order, status="completed").status_code == 403
        assert patch(api, box_office.users["buyer"], order, status="cancelled").status_code == 403
    assert Order.objects.get(pk=order.pk).status == "expired"
