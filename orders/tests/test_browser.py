"""The checkout in a real browser (Playwright driving Debian's Chromium): from the event page's
tickets through who comes and a discount code to the order's page, and on to a provider's page."""

import pytest

from accounts.factories import DEFAULT_PASSWORD
from openevent.tests.browser import browser_page as browser_page  # a fixture
from openevent.tests.browser import needs_chromium
from orders.models import Order

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def on_the_event_page(page, live_server, box_office) -> None:
    """Logged in as the buyer, on the event's page."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/login/?next=/events/{box_office.event.pk}/")
    page.fill("input[name=username]", box_office.users["buyer"].email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/events/{box_office.event.pk}/")


def test_a_buyer_orders_two_tickets_with_a_discount_code(live_server, box_office, browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    on_the_event_page(page, live_server, box_office)
    page.get_by_label("How many Standard").fill("2")
    page.get_by_role("button", name="Continue to your details").click()
    expect(page.get_by_role("heading", name="Who comes")).to_be_visible()
    seats = page.locator("fieldset.seat")
    expect(seats).to_have_count(2)
    seats.nth(1).get_by_label("First name").fill("Grace")
    page.get_by_label("Discount code").fill("student")
    page.get_by_role("button", name="Apply").click()  # before every seat is filled in
    expect(page.locator("tr.total")).to_contain_text("16.00 EUR")
    expect(seats.nth(1).get_by_label("First name")).to_have_value("Grace")
    seats.nth(1).get_by_label("Last name").fill("Hopper")
    seats.nth(1).get_by_label("Email").fill("grace@example.com")
    page.get_by_label("At the venue").check()
    page.get_by_role("button", name="Place the order").click()
    expect(page.locator(".order-status")).to_have_text("Pending: pay at the venue")
    expect(page.locator("main")).to_contain_text("Grace Hopper")
    page.screenshot(path=tmp_path / "order.png", full_page=True)
    order = Order.objects.get()
    assert (order.amount, order.attendees.count()) == (16, 2)


def test_a_buyer_pays_with_stripe_and_lands_on_the_paid_order(
    live_server, online, browser_page, settings, mailoutbox
):
    """Checkout → the fake Stripe's hosted page (its stand-in for Stripe Checkout) → "Pay" → back
    on the order page, completed by the return page asking Stripe."""
    from playwright.sync_api import expect

    settings.FRONTEND_URL = live_server.url  # where the providers send buyers back
    page = browser_page
    on_the_event_page(page, live_server, online)
    page.get_by_label("How many Standard").fill("1")
    page.get_by_role("button", name="Continue to your details").click()
    page.get_by_label("By card, with Stripe").check()
    page.get_by_role("button", name="Place the order").click()
    expect(page.get_by_role("button", name="Pay")).to_be_visible()  # on the fake Stripe's page
    assert page.url.startswith(f"{settings.STRIPE_API_BASE}/checkout/")
    page.get_by_role("button", name="Pay").click()
    expect(page.locator(".order-status")).to_have_text("Completed")
    expect(page.locator("main")).to_contain_text("Paid: your tickets are on their way by email.")
    order = Order.objects.get()
    assert (order.status, order.paid_via) == ("completed", "stripe")
    assert [mail.subject for mail in mailoutbox][-1] == f"Your tickets for {online.event.name}"
