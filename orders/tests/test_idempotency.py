"""`Idempotency-Key` on POST /v1/orders: a retry gets the first answer and orders nothing twice."""

from datetime import timedelta

import pytest
import time_machine
from django.utils.timezone import now

from orders import idempotency
from orders.models import IdempotencyKey, Order

pytestmark = pytest.mark.django_db
ONSITE = {"payment-mode": "onsite"}


def key(value: str) -> dict:
    return {"headers": {"HTTP_IDEMPOTENCY_KEY": value}}


def test_a_retry_with_the_same_key_gets_the_first_answer_and_orders_nothing_more(
    box_office, order_as, mailoutbox
):
    attendees = [box_office.attendee()]
    first = order_as(box_office.users["buyer"], attendees, **ONSITE, **key("checkout-1"))
    retry = order_as(box_office.users["buyer"], attendees, **ONSITE, **key("checkout-1"))
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert len(mailoutbox) == 1


def test_an_error_answer_is_replayed_too(box_office, order_as):
    attendee = box_office.attendee()
    first = order_as(box_office.users["buyer"], [attendee], **{"payment-mode": "free"}, **key("k"))
    assert first.status_code == 422
    assert (
        order_as(box_office.users["buyer"], [attendee], **{"payment-mode": "free"}, **key("k")).json()
        == first.json()
    )


def test_a_key_reused_with_another_body_is_a_422(box_office, order_as):
    order_as(box_office.users["buyer"], [box_office.attendee()], **ONSITE, **key("k"))
    response = order_as(box_office.users["buyer"], [box_office.attendee()], **ONSITE, **key("k"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"] == {"header": "Idempotency-Key"}
    assert Order.objects.count() == 1


def test_a_key_still_in_flight_is_a_409(box_office, order_as):
    attendees = [box_office.attendee()]
    assert order_as(box_office.users["buyer"], attendees, **ONSITE, **key("k")).status_code == 201
    IdempotencyKey.objects.update(status_code=None, response=None)  # as while the first is being answered
    response = order_as(box_office.users["buyer"], attendees, **ONSITE, **key("k"))
    assert response.status_code == 409
    assert "still in flight" in response.json()["errors"][0]["detail"]
    assert Order.objects.count() == 1


def test_keys_are_per_user(box_office, order_as):
    assert (
        order_as(box_office.users["buyer"], [box_office.attendee()], **ONSITE, **key("k")).status_code == 201
    )
    other = [box_office.attendee(buyer="other_buyer")]
    assert order_as(box_office.users["other_buyer"], other, **ONSITE, **key("k")).status_code == 201
    assert Order.objects.count() == 2


def test_a_key_is_forgotten_after_a_day(box_office, order_as):
    attendees = [box_office.attendee()]
    order_as(box_office.users["buyer"], attendees, **ONSITE, **key("k"))
    with time_machine.travel(now() + timedelta(hours=25)):
        response = order_as(box_office.users["buyer"], attendees, **ONSITE, **key("k"))
        assert response.status_code == 422  # run afresh: the attendee is ordered already
        assert idempotency.purge() == 0  # the new answer is kept, the old one gone
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize("value", ["", "x" * 256, "tab\tinside"])
def test_a_malformed_key_is_a_422(box_office, order_as, value):
    response = order_as(box_office.users["buyer"], [box_office.attendee()], **ONSITE, **key(value))
    assert response.status_code == 422
    assert not Order.objects.exists()
