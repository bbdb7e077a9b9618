"""The attendees' pages: the event page's tickets, the checkout, "My orders" and an order's page."""

import html
from datetime import timedelta

import pytest
from django.utils.timezone import now

from orders.factories import OrderFactory, TicketFactory
from orders.models import Attendee, Order

pytestmark = pytest.mark.django_db


def checkout_url(box_office, **quantities) -> str:
    query = "&".join(f"ticket-{box_office.tickets[name].pk}={count}" for name, count in quantities.items())
    return f"/events/{box_office.event.pk}/checkout/?{query}"


def seat_fields(count: int, **overrides) -> dict:
    fields = {}
    for index in range(count):
        fields |= {
            f"seat-{index}-firstname": f"Guest{index}",
            f"seat-{index}-lastname": "Example",
            f"seat-{index}-email": f"guest{index}@example.com",
        }
    return fields | overrides


def test_the_event_page_lists_tickets_with_prices_and_what_is_left(box_office, client):
    TicketFactory(event=box_office.event, name="Workshop", paid=True, quantity=1)
    OrderFactory(event=box_office.event, status="completed", attendees=[box_office.attendee("free")])
    sold = Attendee.objects.get().ticket
    sold.quantity = 1
    sold.save()
    box_office.tickets["paid"].sales_ends_at = now() + timedelta(days=3, minutes=1)
    box_office.tickets["paid"].save()
    page = client.get(f"/events/{box_office.event.pk}/").content.decode()
    assert "10.00 EUR" in page
    assert "Sales end in 3\xa0days" in page
    assert "Sold out" in page  # the community ticket
    assert "Sales have ended" in page  # the early bird
    assert "Crew" not in page  # hidden
    assert "Log in to buy tickets" in page


def test_the_checkout_walks_from_tickets_to_the_order_page(box_office, client, mailoutbox):
    client.force_login(box_office.users["buyer"])
    url = checkout_url(box_office, paid=2, free=1)
    details = client.get(url)
    assert details.status_code == 200
    assert details.content.decode().count("<legend>") >= 3  # a fieldset per seat
    assert "20.00 EUR" in details.content.decode()
    preview = client.post(url, seat_fields(3, discount_code="student", payment_mode="onsite", apply="1"))
    assert "16.00 EUR" in preview.content.decode()
    assert 'value="Guest2"' in preview.content.decode()  # kept what was typed
    assert not Order.objects.exists()
    placed = client.post(url, seat_fields(3, discount_code="student", payment_mode="onsite", order="1"))
    order = Order.objects.get()
    assert placed.status_code == 302
    assert placed["Location"] == f"/orders/{order.pk}/"
    assert (order.amount, order.status, order.discount_code) == (16, "pending", box_office.code)
    page = client.get(placed["Location"]).content.decode()
    assert "Pending: pay at the venue" in page
    assert "Cancel this order" in page
    assert "Guest1 Example" in page
    assert mailoutbox[-1].to == ["buyer@example.com"]


def test_checkout_errors_show_beside_their_fields_and_keep_what_was_typed(box_office, client):
    client.force_login(box_office.users["buyer"])
    url = checkout_url(box_office, paid=1)
    response = client.post(
        url, seat_fields(1, **{"seat-0-email": "not an address", "payment_mode": "onsite", "order": "1"})
    )
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert 'value="Guest0"' in page
    unknown = client.post(url, seat_fields(1, discount_code="NOPE", payment_mode="onsite", order="1"))
    assert 'The event has no discount code "NOPE".' in html.unescape(unknown.content.decode())
    assert not Order.objects.exists()
    assert not Attendee.objects.exists()


def test_a_sold_out_checkout_says_so_and_writes_nothing(box_office, client):
    client.force_login(box_office.users["buyer"])
    url = checkout_url(box_office, paid=2)
    OrderFactory(
        event=box_office.event, status="completed", attendees=[box_office.attendee() for _ in range(4)]
    )
    response = client.post(url, seat_fields(2, payment_mode="onsite", order="1"))
    assert (
        'Only 1 of "Standard" are left.' in response.content.decode()
        or "Ensure this value" in response.content.decode()
    )
    assert Order.objects.count() == 1


def test_a_selection_outside_the_bounds_is_an_error_beside_the_ticket(box_office, client):
    client.force_login(box_office.users["buyer"])
    page = client.get(checkout_url(box_office, paid=9)).content.decode()
    assert "Ensure this value is less than or equal to 4." in page
    nothing = client.get(checkout_url(box_office, paid=0)).content.decode()
    assert "Choose at least one ticket." in nothing


def test_my_orders_and_cancelling_a_pending_one(box_office, client, order_as):
    response = order_as(box_office.users["buyer"], [box_office.attendee()], **{"payment-mode": "onsite"})
    identifier = response.json()["data"]["id"]
    client.force_login(box_office.users["buyer"])
    assert f"/orders/{identifier}/" in client.get("/my-orders/").content.decode()
    cancelled = client.post(f"/orders/{identifier}/cancel/", follow=True).content.decode()
    assert "Your order is cancelled" in cancelled
    assert Order.objects.get().status == "cancelled"
    assert "Cancel this order" not in cancelled


def test_another_users_order_page_is_a_404(box_office, client):
    order = OrderFactory(event=box_office.event, buyer=box_office.users["buyer"])
    client.force_login(box_office.users["other_buyer"])
    assert client.get(f"/orders/{order.pk}/").status_code == 404
    assert client.post(f"/orders/{order.pk}/cancel/").status_code == 404
    assert Order.objects.get().status == "pending"


def test_apply_shows_the_discount_without_marking_seats_not_filled_in_yet(box_office, client):
    client.force_login(box_office.users["buyer"])
    url = checkout_url(box_office, paid=2)
    page = client.post(url, {**seat_fields(1), "discount_code": "STUDENT", "apply": "1"}).content.decode()
    assert "16.00 EUR" in page
    assert "This field is required." not in page
    assert 'value="Guest0"' in page


@pytest.mark.parametrize("since", ["deleted", "sales ended", "hidden"])
def test_a_ticket_gone_from_sale_since_the_checkout_was_shown_is_an_error_not_a_smaller_order(
    box_office, client, since
):
    """A seat whose ticket went from sale after the checkout was shown was dropped without a word:
    the order was placed for the other seats alone (found in the outside attack)."""
    client.force_login(box_office.users["buyer"])
    url = checkout_url(box_office, paid=1, free=1)
    free = box_office.tickets["free"]
    if since == "deleted":
        free.delete()
    else:
        setattr(free, *(("sales_ends_at", now()) if since == "sales ended" else ("is_hidden", True)))
        free.save()
    response = client.post(url, seat_fields(2, payment_mode="onsite", order="1"))
    assert response.status_code == 200
    assert "A ticket you chose is not on sale any more: choose your tickets again." in html.unescape(
        response.content.decode()
    )
    assert not Order.objects.exists()
