"""Tickets, discount codes and attendees over the API: who sees and changes them, and what they take."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from events.factories import EventFactory
from events.models import Event
from openevent.errors import NotFound
from orders import services
from orders.factories import AttendeeFactory, DiscountCodeFactory, OrderFactory, TicketFactory
from orders.models import Attendee, DiscountCode, Ticket

pytestmark = pytest.mark.django_db


def ids(response) -> set[str]:
    return {item["id"] for item in response.json()["data"]}


def ticket_document(event, **attributes) -> dict:
    attributes = {"name": "Standard", "ticket-type": "paid", "price": "25.00", "quantity": 100, **attributes}
    return {
        "data": {
            "type": "ticket",
            "attributes": attributes,
            "relationships": {"event": {"data": {"type": "event", "id": str(event.pk)}}},
        }
    }


@pytest.mark.parametrize(
    ("who", "sees_hidden"),
    [
        ("anonymous", False),
        ("buyer", False),
        ("moderator", False),
        ("registrar", True),
        ("owner", True),
        ("site_admin", True),
    ],
)
def test_hidden_tickets_are_listed_to_registrars_and_event_admins_only(
    box_office, client_for, who, sees_hidden
):
    response = client_for(box_office.users[who]).get(f"/v1/events/{box_office.event.pk}/tickets")
    assert response.status_code == 200
    names = {ticket["attributes"]["name"] for ticket in response.json()["data"]}
    assert ("Crew" in names) is sees_hidden
    assert {"Community", "Standard", "Early bird"} <= names


def test_a_draft_events_tickets_are_seen_by_its_team_only(box_office, client_for):
    draft = EventFactory(owner=box_office.users["owner"], state=Event.State.DRAFT)
    ticket = TicketFactory(event=draft)
    assert client_for(None).get(f"/v1/tickets/{ticket.pk}").status_code == 404
    assert client_for(box_office.users["owner"]).get(f"/v1/tickets/{ticket.pk}").status_code == 200


def test_a_ticket_says_how_many_are_left(box_office, client_for):
    OrderFactory(
        event=box_office.event, status="completed", attendees=[box_office.attendee() for _ in range(2)]
    )
    OrderFactory(event=box_office.event, status="cancelled", attendees=[box_office.attendee()])
    paid = box_office.tickets["paid"]
    assert client_for(None).get(f"/v1/tickets/{paid.pk}").json()["data"]["attributes"]["available"] == 3
    listed = client_for(None).get(f"/v1/events/{box_office.event.pk}/tickets").json()["data"]
    assert {ticket["attributes"]["name"]: ticket["attributes"]["available"] for ticket in listed}[
        "Standard"
    ] == 3


def test_event_admins_add_and_change_tickets_others_may_not(box_office, client_for):
    owner = client_for(box_office.users["owner"])
    response = owner.post("/v1/tickets", ticket_document(box_office.event))
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["available"] == 100
    refused = client_for(box_office.users["registrar"]).post("/v1/tickets", ticket_document(box_office.event))
    assert refused.status_code == 403
    ticket_id = response.json()["data"]["id"]
    change = {"data": {"type": "ticket", "id": ticket_id, "attributes": {"quantity": 7}}}
    assert owner.patch(f"/v1/tickets/{ticket_id}", change).json()["data"]["attributes"]["quantity"] == 7
    assert client_for(box_office.users["buyer"]).patch(f"/v1/tickets/{ticket_id}", change).status_code == 403


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"ticket-type": "free", "price": "5.00"}, "price"),
        ({"ticket-type": "paid", "price": "0.00"}, "price"),
        ({"min-order": 5, "max-order": 2}, "max-order"),
        ({"min-order": 0}, "min-order"),
        ({"quantity": -1}, "quantity"),
        ({"price": "1.001"}, "price"),
        (
            {"sales-starts-at": "2030-01-02T00:00:00Z", "sales-ends-at": "2030-01-01T00:00:00Z"},
            "sales-ends-at",
        ),
    ],
)
def test_a_ticket_that_does_not_add_up_is_a_422(box_office, client_for, attributes, pointer):
    response = client_for(box_office.users["owner"]).post(
        "/v1/tickets", ticket_document(box_office.event, **attributes)
    )
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["source"]["pointer"] == f"/data/attributes/{pointer}"
    assert (
        not Ticket.objects.filter(name="Standard", event=box_office.event)
        .exclude(pk=box_office.tickets["paid"].pk)
        .exists()
    )


def test_a_ticket_someone_ordered_is_not_deleted(box_office, client_for):
    OrderFactory(event=box_office.event, attendees=[box_office.attendee()])
    owner = client_for(box_office.users["owner"])
    assert owner.delete(f"/v1/tickets/{box_office.tickets['paid'].pk}").status_code == 409
    assert owner.delete(f"/v1/tickets/{box_office.tickets['hidden'].pk}").status_code == 204


def code_document(event, tickets=(), **attributes) -> dict:
    return {
        "data": {
            "type": "discount-code",
            "attributes": {"code": "SPRING", "discount-type": "percent", "value": "15", **attributes},
            "relationships": {
                "event": {"data": {"type": "event", "id": str(event.pk)}},
                "tickets": {"data": [{"type": "ticket", "id": str(ticket.pk)} for ticket in tickets]},
            },
        }
    }


def test_discount_codes_are_their_event_admins_alone(box_office, client_for):
    owner = client_for(box_office.users["owner"])
    response = owner.post("/v1/discount-codes", code_document(box_office.event, [box_office.tickets["paid"]]))
    assert response.status_code == 201, response.json()
    code_id = response.json()["data"]["id"]
    assert response.json()["data"]["relationships"]["tickets"]["data"] == [
        {"type": "ticket", "id": str(box_office.tickets["paid"].pk)}
    ]
    for who in ("registrar", "buyer"):
        client = client_for(box_office.users[who])
        assert client.get(f"/v1/discount-codes/{code_id}").status_code == 404
        assert ids(client.get(f"/v1/events/{box_office.event.pk}/discount-codes")) == set()
        assert client.post("/v1/discount-codes", code_document(box_office.event, code="X")).status_code == 403
    assert ids(client_for(None).get("/v1/discount-codes")) == set()
    assert ids(owner.get(f"/v1/events/{box_office.event.pk}/discount-codes")) == {
        code_id,
        str(box_office.code.pk),
    }


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"value": "101"}, "value"),
        ({"min-quantity": 5, "max-quantity": 2}, "min-quantity"),
        ({"max-quantity": 5, "tickets-number": 2}, "max-quantity"),
        ({"valid-from": "2030-01-02T00:00:00Z", "valid-till": "2030-01-01T00:00:00Z"}, "valid-till"),
        ({"code": "student"}, None),  # STUDENT exists: codes are matched ignoring case
        ({"code": "two words"}, "code"),
    ],
)
def test_a_discount_code_that_does_not_add_up_is_a_422(box_office, client_for, attributes, pointer):
    response = client_for(box_office.users["owner"]).post(
        "/v1/discount-codes", code_document(box_office.event, **attributes)
    )
    assert response.status_code == 422, response.json()
    if pointer:
        assert response.json()["errors"][0]["source"]["pointer"] == f"/data/attributes/{pointer}"
    assert DiscountCode.objects.count() == 1


def test_a_discount_code_applies_to_its_own_events_tickets_only(box_office, client_for):
    document = code_document(box_office.event, [box_office.tickets["elsewhere"]])
    response = client_for(box_office.users["owner"]).post("/v1/discount-codes", document)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/relationships/tickets"


def attendee_document(ticket, event=None, **attributes) -> dict:
    attributes = {"firstname": "Grace", "lastname": "Hopper", "email": "grace@example.com", **attributes}
    return {
        "data": {
            "type": "attendee",
            "attributes": attributes,
            "relationships": {
                "ticket": {"data": {"type": "ticket", "id": str(ticket.pk)}},
                "event": {"data": {"type": "event", "id": str((event or ticket.event).pk)}},
            },
        }
    }


def test_a_buyer_adds_an_attendee_with_no_order(box_office, client_for):
    client = client_for(box_office.users["buyer"])
    document = attendee_document(box_office.tickets["paid"], **{"complex-field-values": {"tshirt": "M"}})
    response = client.post("/v1/attendees", document)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["relationships"]["order"]["data"] is None
    assert data["attributes"]["complex-field-values"] == {"tshirt": "M"}
    assert client_for(None).post("/v1/attendees", document).status_code == 401


@pytest.mark.parametrize("field", ["firstname", "lastname"])
@pytest.mark.parametrize("text", ["Ada\x1b[31m", "Ada\x07", "Ada\x9b"])
def test_an_attendees_name_holds_no_control_characters(box_office, client_for, field, text):
    """A name goes into emails, the admin's CSV export and the order's page: a terminal's escape
    or a bell in it was stored as typed."""
    client = client_for(box_office.users["buyer"])
    response = client.post("/v1/attendees", attendee_document(box_office.tickets["free"], **{field: text}))
    assert response.status_code == 422
    assert [error["source"]["pointer"] for error in response.json()["errors"]] == [
        f"/data/attributes/{field}"
    ]
    assert not Attendee.objects.exists()


@pytest.mark.parametrize(
    ("ticket", "status", "pointer"),
    [("hidden", 404, "ticket"), ("ended", 422, "ticket"), ("elsewhere_mismatch", 422, "ticket")],
)
def test_an_attendee_needs_a_ticket_on_sale_of_its_event(box_office, client_for, ticket, status, pointer):
    client = client_for(box_office.users["buyer"])
    if ticket == "elsewhere_mismatch":
        document = attendee_document(box_office.tickets["elsewhere"], event=box_office.event)
    else:
        document = attendee_document(box_office.tickets[ticket])
    response = client.post("/v1/attendees", document)
    assert response.status_code == status, response.json()
    assert response.json()["errors"][0]["source"]["pointer"] == f"/data/relationships/{pointer}"
    assert not Attendee.objects.exists()


def test_a_draft_events_tickets_take_no_attendees_but_its_admins(box_office, client_for):
    draft = EventFactory(owner=box_office.users["owner"], state=Event.State.DRAFT)
    ticket = TicketFactory(event=draft)
    assert (
        client_for(box_office.users["buyer"]).post("/v1/attendees", attendee_document(ticket)).status_code
        == 404
    )
    assert (
        client_for(box_office.users["owner"]).post("/v1/attendees", attendee_document(ticket)).status_code
        == 201
    )


def test_complex_field_values_are_an_object(box_office, client_for):
    document = attendee_document(box_office.tickets["paid"], **{"complex-field-values": ["M"]})
    assert client_for(box_office.users["buyer"]).post("/v1/attendees", document).status_code == 422


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("buyer", True),
        ("registrar", True),
        ("owner", True),
        ("moderator", False),
        ("other_buyer", False),
        ("other_owner", False),
    ],
)
def test_an_attendee_is_seen_by_its_creator_and_the_events_registrars_and_admins(
    box_office, client_for, who, sees
):
    attendee = box_office.attendee()
    response = client_for(box_office.users[who]).get(f"/v1/attendees/{attendee.pk}")
    assert response.status_code == (200 if sees else 404)


def test_an_ordered_attendee_is_changed_by_the_event_admins_only(box_office, client_for):
    attendee = box_office.attendee()
    change = {"data": {"type": "attendee", "id": str(attendee.pk), "attributes": {"firstname": "Ada"}}}
    buyer = client_for(box_office.users["buyer"])
    assert buyer.patch(f"/v1/attendees/{attendee.pk}", change).status_code == 200
    OrderFactory(event=box_office.event, attendees=[attendee])
    assert buyer.patch(f"/v1/attendees/{attendee.pk}", change).status_code == 403
    assert buyer.delete(f"/v1/attendees/{attendee.pk}").status_code == 409
    assert (
        client_for(box_office.users["owner"]).patch(f"/v1/attendees/{attendee.pk}", change).status_code == 200
    )


def test_changing_an_attendee_deleted_meanwhile_is_not_found(box_office):
    attendee = box_office.attendee()
    Attendee.objects.filter(pk=attendee.pk).delete()
    with pytest.raises(NotFound, match="The attendee no longer exists"):
        services.update_attendee(box_office.users["buyer"], attendee, firstname="Bea")


def test_an_unordered_attendee_is_deleted_by_its_creator(box_office, client_for):
    attendee = box_office.attendee()
    assert (
        client_for(box_office.users["other_buyer"]).delete(f"/v1/attendees/{attendee.pk}").status_code == 404
    )
    assert client_for(box_office.users["buyer"]).delete(f"/v1/attendees/{attendee.pk}").status_code == 204


def test_lists_show_what_the_caller_may_see(box_office, client_for):
    mine = OrderFactory(
        event=box_office.event, buyer=box_office.users["buyer"], attendees=[box_office.attendee()]
    )
    theirs = OrderFactory(
        event=box_office.event,
        buyer=box_office.users["other_buyer"],
        attendees=[box_office.attendee(buyer="other_buyer")],
    )
    elsewhere = OrderFactory(event=box_office.other_event, buyer=box_office.users["buyer"])
    buyer = client_for(box_office.users["buyer"])
    assert ids(buyer.get("/v1/users/me/orders")) == {str(mine.pk), str(elsewhere.pk)}
    assert ids(buyer.get(f"/v1/events/{box_office.event.pk}/orders")) == {str(mine.pk)}
    registrar = client_for(box_office.users["registrar"])
    assert ids(registrar.get(f"/v1/events/{box_office.event.pk}/orders")) == {str(mine.pk), str(theirs.pk)}
    assert ids(registrar.get("/v1/users/me/orders")) == set()
    assert len(ids(registrar.get(f"/v1/events/{box_office.event.pk}/attendees"))) == 2
    assert client_for(None).get("/v1/users/me/orders").status_code == 401
    filtered = registrar.get(f"/v1/events/{box_office.event.pk}/orders?filter[status]=completed")
    assert ids(filtered) == set()


def test_an_order_includes_its_attendees_and_their_tickets(box_office, client_for):
    order = OrderFactory(
        event=box_office.event, buyer=box_office.users["buyer"], attendees=[box_office.attendee()]
    )
    response = client_for(box_office.users["buyer"]).get(f"/v1/orders/{order.pk}?include=attendees.ticket")
    assert response.status_code == 200
    assert sorted(item["type"] for item in response.json()["included"]) == ["attendee", "ticket"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/events/{event}/orders",
        "/v1/events/{event}/attendees",
        "/v1/events/{event}/tickets",
        "/v1/events/{event}/discount-codes",
        "/v1/users/me/orders",
        "/v1/orders?include=attendees",
    ],
)
def test_lists_cost_as_many_queries_for_50_rows_as_for_5(box_office, client_for, path):
    owner = box_office.users["owner"]
    client = client_for(owner)
    counts = []
    for rows in (5, 50):
        event = EventFactory(owner=owner)
        for _ in range(rows):
            ticket = TicketFactory(event=event, paid=True)
            DiscountCodeFactory(event=event, tickets=[ticket])
            OrderFactory(event=event, buyer=owner, attendees=[AttendeeFactory(ticket=ticket, creator=owner)])
        url = path.format(event=event.pk) + ("&" if "?" in path else "?") + "page[size]=100"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_sale_window_in_the_future_is_not_on_sale(box_office):
    ticket = TicketFactory(event=box_office.event, sales_starts_at=now() + timedelta(days=1))
    assert not ticket.is_on_sale()
