"""Holes an outside attack on the running server found, each kept as the test that showed it."""

import pytest

from orders.models import Attendee, Order

pytestmark = pytest.mark.django_db
ONSITE = {"payment-mode": "onsite"}


def attendee_document(ticket, **attributes) -> dict:
    attributes = {"firstname": "Eve", "lastname": "Example", "email": "eve@example.com", **attributes}
    return {
        "data": {
            "type": "attendee",
            "attributes": attributes,
            "relationships": {
                "ticket": {"data": {"type": "ticket", "id": str(ticket.pk)}},
                "event": {"data": {"type": "event", "id": str(ticket.event_id)}},
            },
        }
    }


def test_a_ticket_hidden_after_its_attendee_was_added_is_not_ordered(box_office, order_as):
    attendee = box_office.attendee()
    box_office.tickets["paid"].is_hidden = True
    box_office.tickets["paid"].save()
    response = order_as(box_office.users["buyer"], [attendee], **ONSITE)
    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"] == '"Standard" is not on sale now.'
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [{"k": "\ud800"}, {"\ud800": "x"}, {"k": ["a", "\udfff"]}, {"k": "a\x00b"}, {"a\x00": 1}],
)
def test_answers_a_database_cannot_hold_are_a_422_and_store_nothing(box_office, client_for, answers):
    body = attendee_document(box_office.tickets["paid"], **{"complex-field-values": answers})
    response = client_for(box_office.users["buyer"]).post("/v1/attendees", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/complex-field-values"
    assert not Attendee.objects.exists()


def test_answers_have_a_size_limit(box_office, client_for):
    body = attendee_document(box_office.tickets["paid"], **{"complex-field-values": {"k": "x" * 20_000}})
    response = client_for(box_office.users["buyer"]).post("/v1/attendees", body)
    assert response.status_code == 422
    assert not Attendee.objects.exists()


def test_a_buyer_holds_a_bounded_number_of_attendees_not_ordered(box_office, client_for, settings):
    settings.ATTENDEE_UNORDERED_LIMIT = 2
    client = client_for(box_office.users["buyer"])
    statuses = [
        client.post("/v1/attendees", attendee_document(box_office.tickets["paid"])).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 409]
    admin = client_for(box_office.users["owner"])
    assert [
        admin.post("/v1/attendees", attendee_document(box_office.tickets["paid"])).status_code
        for _ in range(3)
    ] == [201] * 3


def test_the_checkout_page_rate_limits_guessing_discount_codes(box_office, client, settings):
    settings.DISCOUNT_LOOKUP_LIMIT_PER_HOUR = 2
    client.force_login(box_office.users["buyer"])
    url = f"/events/{box_office.event.pk}/checkout/?ticket-{box_office.tickets['paid'].pk}=1"
    seat = {"seat-0-firstname": "A", "seat-0-lastname": "B", "seat-0-email": "a@example.com", "apply": "1"}
    pages = [client.post(url, {**seat, "discount_code": f"GUESS{n}"}).content.decode() for n in range(3)]
    assert "Too many discount codes tried" not in pages[1]
    assert "Too many discount codes tried" in pages[2]


def test_the_preview_points_at_its_own_fields_and_writes_money_with_cents(box_office, api):
    box_office.code.is_active = False
    box_office.code.save()
    body = {"tickets": [{"id": box_office.tickets["free"].pk, "quantity": 1}]}
    assert api.post("/v1/orders/calculate-amount", body, plain=True).json()["discount"] == "0.00"
    body = {
        "tickets": [{"id": box_office.tickets["paid"].pk, "quantity": 1}],
        "discount-code": str(box_office.code.pk),
    }
    refused = api.post("/v1/orders/calculate-amount", body, plain=True)
    assert refused.json()["errors"][0]["source"] == {"pointer": "/discount-code"}
    body["discount-code"] = "00000000-0000-4000-8000-000000000000"
    missing = api.post("/v1/orders/calculate-amount", body, plain=True)
    assert missing.status_code == 404
    assert "source" not in missing.json()["errors"][0] or missing.json()["errors"][0]["source"] == {
        "pointer": "/discount-code"
    }
