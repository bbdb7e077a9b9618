"""POST /v1/orders/calculate-amount and the discount code lookup: previews that write nothing."""

import pytest

from orders.factories import DiscountCodeFactory
from orders.models import Order

pytestmark = pytest.mark.django_db
URL = "/v1/orders/calculate-amount"


def calculate(api, tickets, code=None, user=None):
    body = {"tickets": [{"id": ticket.pk, "quantity": quantity} for ticket, quantity in tickets]}
    if code is not None:
        body["discount-code"] = str(code.pk)
    client = api.as_user(user) if user else api
    return client.post(URL, body, plain=True)


def test_anyone_sees_what_an_order_would_cost_with_a_discount(box_office, api):
    response = calculate(
        api, [(box_office.tickets["paid"], 2), (box_office.tickets["free"], 1)], box_office.code
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {"sub-total": "20.00", "discount": "4.00", "total": "16.00", "currency": "EUR"}
    assert not Order.objects.exists()


def test_the_preview_applies_the_orders_rules(box_office, api):
    assert calculate(api, [(box_office.tickets["paid"], 5)]).json()["errors"][0]["source"] == {
        "pointer": "/tickets"
    }
    box_office.code.is_active = False
    box_office.code.save()
    refused = calculate(api, [(box_office.tickets["paid"], 1)], box_office.code)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"] == {"pointer": "/discount-code"}


@pytest.mark.parametrize("ticket", ["hidden", "missing"])
def test_a_ticket_the_caller_cannot_see_is_a_404(box_office, api, ticket):
    from orders.models import Ticket

    target = box_office.tickets.get(ticket) or Ticket(pk=999999)
    assert calculate(api, [(target, 1)]).status_code == 404


def test_tickets_of_two_events_are_a_422(box_office, api):
    response = calculate(api, [(box_office.tickets["paid"], 1), (box_office.tickets["elsewhere"], 1)])
    assert response.status_code == 422


def test_a_buyer_finds_a_code_by_what_they_typed(box_office, api):
    client = api.as_user(box_office.users["buyer"])
    response = client.get(f"/v1/events/{box_office.event.pk}/discount-codes/student")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(box_office.code.pk)
    assert client.get(f"/v1/events/{box_office.event.pk}/discount-codes/NOPE").status_code == 404
    assert client.get(f"/v1/events/{box_office.other_event.pk}/discount-codes/STUDENT").status_code == 404
    assert (
        api.credentials()
        or api.get(f"/v1/events/{box_office.event.pk}/discount-codes/STUDENT").status_code == 401
    )


def test_looking_up_codes_is_rate_limited(box_office, api, settings):
    settings.DISCOUNT_LOOKUP_LIMIT_PER_HOUR = 2
    DiscountCodeFactory(event=box_office.event, code="OTHER")
    client = api.as_user(box_office.users["buyer"])
    statuses = [
        client.get(f"/v1/events/{box_office.event.pk}/discount-codes/X{n}").status_code for n in range(3)
    ]
    assert statuses == [404, 404, 429]
