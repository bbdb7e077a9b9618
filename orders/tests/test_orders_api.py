"""POST /v1/orders and its rules (shared/docs/API.md, the order paragraph), in their order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils.timezone import now

from orders.factories import AttendeeFactory, DiscountCodeFactory, OrderFactory
from orders.models import Attendee, Order

pytestmark = pytest.mark.django_db
ONSITE = {"payment-mode": "onsite"}


def errors_of(response) -> list[tuple]:
    return [(error.get("source", {}).get("pointer"), error["detail"]) for error in response.json()["errors"]]


def nothing_ordered() -> bool:
    return not Order.objects.exists() and not Attendee.objects.filter(order__isnull=False).exists()


def test_a_free_order_completes_at_once(box_office, order_as, mailoutbox):
    response = order_as(box_office.users["buyer"], [box_office.attendee("free")], **ONSITE)
    assert response.status_code == 201, response.json()
    order = response.json()["data"]
    assert order["attributes"]["status"] == "completed"
    assert order["attributes"]["amount"] == "0.00"
    assert order["attributes"]["payment-mode"] == order["attributes"]["paid-via"] == "free"
    assert order["attributes"]["completed-at"] is not None
    assert order["id"] == order["attributes"]["identifier"]
    assert [mail.subject for mail in mailoutbox] == [f"Your tickets for {box_office.event.name}"]


def test_the_buyer_pays_what_the_server_computes_whatever_they_send(box_office, order_as, mailoutbox):
    attendees = [box_office.attendee(), box_office.attendee()]
    response = order_as(box_office.users["buyer"], attendees, amount="0.01", status="completed", **ONSITE)
    assert response.status_code == 201, response.json()
    attributes = response.json()["data"]["attributes"]
    assert (attributes["amount"], attributes["status"], attributes["paid-via"]) == ("20.00", "pending", None)
    assert attributes["expires-at"] is None  # paid at the venue: held until the registrar takes payment
    assert (
        sorted(Attendee.objects.exclude(order=None).values_list("price", flat=True)) == [Decimal("10.00")] * 2
    )
    assert mailoutbox[0].subject == f"Your order for {box_office.event.name} is received"


def test_an_attendee_the_buyer_cannot_see_is_a_404_with_its_pointer(box_office, order_as):
    response = order_as(box_office.users["buyer"], [box_office.attendee(buyer="other_buyer")], **ONSITE)
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "/data/relationships/attendees"
    assert nothing_ordered()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("someone_elses", "is not yours to order"),
        ("ordered", "is ordered already"),
        ("other_event", "is of another event"),
        ("none", "at least one attendee"),
    ],
)
def test_attendees_must_be_the_callers_unordered_and_of_the_event(box_office, order_as, case, message):
    orderer = "registrar" if case == "someone_elses" else "buyer"  # a registrar sees others' attendees
    attendees = {
        "someone_elses": lambda: [box_office.attendee()],
        "ordered": lambda: list(
            OrderFactory(event=box_office.event, attendees=[box_office.attendee()]).attendees.all()
        ),
        "other_event": lambda: [box_office.attendee("elsewhere")],
        "none": lambda: [],
    }[case]()
    orders_before = Order.objects.count()
    response = order_as(box_office.users[orderer], attendees, event=box_office.event, **ONSITE)
    assert response.status_code == 422, response.json()
    pointer, detail = errors_of(response)[0]
    assert pointer == "/data/relationships/attendees"
    assert message in detail
    assert Order.objects.count() == orders_before


def test_a_discount_code_takes_its_share_off_the_tickets_it_applies_to(box_office, order_as):
    attendees = [box_office.attendee(), box_office.attendee(), box_office.attendee("free")]
    response = order_as(box_office.users["buyer"], attendees, code=box_office.code, **ONSITE)
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["attributes"]["amount"] == "16.00"
    discounted = Attendee.objects.exclude(order=None).values_list("ticket__name", "price", "discounted")
    assert sorted(discounted) == [
        ("Community", Decimal("0.00"), False),
        ("Standard", Decimal("8.00"), True),
        ("Standard", Decimal("8.00"), True),
    ]


def test_an_amount_code_takes_at_most_the_price(box_office, order_as):
    code = DiscountCodeFactory(
        event=box_office.event,
        code="BIG",
        discount_type="amount",
        value="25",
        tickets=[box_office.tickets["paid"]],
    )
    response = order_as(box_office.users["buyer"], [box_office.attendee()], code=code, **ONSITE)
    attributes = response.json()["data"]["attributes"]
    assert (attributes["amount"], attributes["status"]) == ("0.00", "completed")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_active": False}, "not active"),
        ({"valid_from": now() + timedelta(days=1)}, "not valid now"),
        ({"valid_from": now() - timedelta(days=2), "valid_till": now() - timedelta(days=1)}, "not valid now"),
        ({"tickets_number": 1}, "has 1 uses left"),
        ({"min_quantity": 3}, "applies to orders of 3 or more"),
        ({"max_quantity": 1}, "applies to orders of 1 to 1"),
    ],
)
def test_a_discount_code_must_hold_up_to_each_rule(box_office, order_as, change, message):
    for field, value in change.items():
        setattr(box_office.code, field, value)
    box_office.code.save()
    response = order_as(
        box_office.users["buyer"],
        [box_office.attendee(), box_office.attendee()],
        code=box_office.code,
        **ONSITE,
    )
    assert response.status_code == 422, response.json()
    pointer, detail = errors_of(response)[0]
    assert pointer == "/data/relationships/discount-code"
    assert message in detail
    assert nothing_ordered()


def test_a_discount_code_of_another_event_or_other_tickets_does_not_apply(box_office, order_as):
    elsewhere = DiscountCodeFactory(event=box_office.other_event, tickets=[box_office.tickets["elsewhere"]])
    for code in (
        elsewhere,
        DiscountCodeFactory(event=box_office.event, tickets=[box_office.tickets["free"]]),
    ):
        response = order_as(box_office.users["buyer"], [box_office.attendee()], code=code, **ONSITE)
        assert response.status_code == 422
        assert errors_of(response) == [
            ("/data/relationships/discount-code", "The discount code does not apply to these tickets.")
        ]


def test_a_discount_codes_uses_are_those_of_orders_holding_them(box_office, order_as):
    buyer = box_office.users["buyer"]
    first = order_as(buyer, [box_office.attendee(), box_office.attendee()], code=box_office.code, **ONSITE)
    assert first.status_code == 201
    refused = order_as(buyer, [box_office.attendee(), box_office.attendee()], code=box_office.code, **ONSITE)
    assert errors_of(refused)[0][1] == "The discount code has 1 uses left."
    api_cancel = first.json()["data"]["id"]
    Order.objects.filter(pk=api_cancel).update(status="cancelled")
    again = order_as(buyer, [box_office.attendee(), box_office.attendee()], code=box_office.code, **ONSITE)
    assert again.status_code == 201


def test_a_random_id_is_no_discount_code(box_office, order_as):
    document_code = DiscountCodeFactory.build(event=box_office.event)  # never saved: an id nobody has
    response = order_as(box_office.users["buyer"], [box_office.attendee()], code=document_code, **ONSITE)
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "/data/relationships/discount-code"


def test_sold_out_is_a_409_that_writes_nothing(box_office, order_as):
    OrderFactory(
        event=box_office.event, status="completed", attendees=[box_office.attendee() for _ in range(4)]
    )
    attendees = [box_office.attendee(buyer="other_buyer"), box_office.attendee(buyer="other_buyer")]
    response = order_as(box_office.users["other_buyer"], attendees, **ONSITE)
    assert response.status_code == 409
    assert errors_of(response)[0][1] == 'Only 1 of "Standard" are left.'
    assert Order.objects.count() == 1
    assert not Attendee.objects.filter(pk__in=[a.pk for a in attendees]).exclude(order=None).exists()


def test_tickets_are_ordered_within_their_bounds_per_order(box_office, order_as):
    response = order_as(box_office.users["buyer"], [box_office.attendee() for _ in range(5)], **ONSITE)
    assert response.status_code == 422
    assert errors_of(response) == [("/data/relationships/attendees", '"Standard" is sold 1 to 4 per order.')]


def test_a_ticket_no_longer_on_sale_is_not_ordered(box_office, order_as):
    attendee = box_office.attendee()
    box_office.tickets["paid"].sales_ends_at = now()
    box_office.tickets["paid"].save()
    response = order_as(box_office.users["buyer"], [attendee], **ONSITE)
    assert errors_of(response) == [("/data/relationships/attendees", '"Standard" is not on sale now.')]


@pytest.mark.parametrize(
    ("mode", "event_change", "message"),
    [
        ("free", {}, "The order costs 10.00 EUR: choose how to pay."),
        ("onsite", {"can_pay_onsite": False}, "The event does not take payment by onsite."),
        ("paypal", {}, "The event does not take payment by paypal."),
        ("stripe", {"can_pay_by_stripe": True}, "Payment by stripe is not configured on this server."),
    ],
)
def test_the_payment_mode_must_be_one_the_event_takes(box_office, order_as, mode, event_change, message):
    for field, value in event_change.items():
        setattr(box_office.event, field, value)
    box_office.event.save()
    response = order_as(box_office.users["buyer"], [box_office.attendee()], **{"payment-mode": mode})
    assert response.status_code == 422
    assert errors_of(response) == [("/data/attributes/payment-mode", message)]
    assert nothing_ordered()


def test_a_buyer_holds_at_most_the_pending_limit_of_orders_per_event(box_office, order_as, settings):
    settings.ORDER_PENDING_LIMIT = 2
    buyer = box_office.users["buyer"]
    for _ in range(2):
        assert order_as(buyer, [box_office.attendee()], **ONSITE).status_code == 201
    refused = order_as(buyer, [box_office.attendee()], **ONSITE)
    assert refused.status_code == 409
    assert "2 unpaid orders" in errors_of(refused)[0][1]
    assert order_as(buyer, [box_office.attendee("free")], **ONSITE).status_code == 201  # free: not pending
    other = box_office.users["other_buyer"]
    assert order_as(other, [box_office.attendee(buyer="other_buyer")], **ONSITE).status_code == 201


def test_an_event_admin_sets_amount_and_status_and_gets_no_discount(box_office, order_as):
    owner = box_office.users["owner"]
    attendees = [box_office.attendee(buyer="owner"), box_office.attendee("hidden", buyer="owner")]
    response = order_as(owner, attendees, code=box_office.code, amount="5.00", status="completed", **ONSITE)
    assert response.status_code == 201, response.json()
    attributes = response.json()["data"]["attributes"]
    assert (attributes["amount"], attributes["status"], attributes["paid-via"]) == (
        "5.00",
        "completed",
        "onsite",
    )
    assert response.json()["data"]["relationships"]["discount-code"]["data"] is None
    assert not Attendee.objects.filter(discounted=True).exists()


def test_an_event_admins_order_without_an_amount_costs_the_full_price(box_office, order_as):
    response = order_as(
        box_office.users["owner"], [box_office.attendee(buyer="owner")], code=box_office.code, **ONSITE
    )
    assert response.json()["data"]["attributes"]["amount"] == "10.00"


def test_guests_cannot_order(box_office, order_as):
    assert order_as(None, [box_office.attendee()], **ONSITE).status_code == 401


def test_the_number_of_queries_does_not_grow_with_the_attendees(
    box_office, order_as, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (1, 4):
        attendees = [
            AttendeeFactory(ticket=box_office.tickets["free"], creator=box_office.users["buyer"])
            for _ in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert order_as(box_office.users["buyer"], attendees, code=None, **ONSITE).status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]
