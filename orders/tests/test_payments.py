"""Paying orders online: the real Stripe and PayPal SDKs against fakes of their HTTP APIs on
127.0.0.1 (orders/tests/fake_vendors.py). An order completes only once the provider says the
money is there, once, for the order's amount; refunds go back through the provider."""

import hashlib
import hmac
import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.timezone import now

from orders import services
from orders.models import Order, Payment, Refund
from orders.payments import services as payment_services
from orders.payments.base import ProviderError

pytestmark = pytest.mark.django_db


def place(online, order_as, mode="stripe", attendees=None, buyer="buyer", **attributes):
    attendees = attendees or [online.attendee(buyer=buyer)]
    response = order_as(online.users[buyer], attendees, **{"payment-mode": mode}, **attributes)
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["data"]["id"]), response.json()["data"]["attributes"]


def webhook(api, stripe_fake, kind, obj, **signing):
    payload, signature = stripe_fake.event(kind, obj, **signing)
    return api.generic(
        "POST",
        "/v1/webhooks/stripe",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def paid_session(stripe_fake, order, **paid) -> dict:
    return stripe_fake.pay(order.payments.get().reference, **paid)


def return_page(client, order, payment=None, **query):
    payment = payment or order.payments.latest("created_at")
    client.force_login(order.buyer)
    return client.get(reverse("orders:payment-return", args=[order.pk, payment.pk]), query, follow=True)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# Stripe


def test_a_stripe_order_is_paid_on_stripes_page_and_completed_by_the_signed_webhook(
    online, order_as, api, stripe_fake, mailoutbox
):
    order, attributes = place(online, order_as)
    payment = order.payments.get()
    session = stripe_fake.session(payment.reference)
    assert attributes["status"] == "pending"
    assert attributes["payment-url"] == session["url"] == payment.payment_url
    assert (session["amount_total"], session["currency"]) == (1000, "eur")
    assert session["metadata"] == {"order": str(order.pk), "payment": str(payment.pk)}
    created = [r for r in stripe_fake.requests if r[:2] == ("POST", "/v1/checkout/sessions")]
    assert created[0][3]["Idempotency-Key"] == f"payment-{payment.pk}"
    mailoutbox.clear()

    response = webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order))

    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert (order.status, order.paid_via) == ("completed", "stripe")
    payment.refresh_from_db()
    assert (payment.state, payment.paid_amount, payment.charge_reference) == (
        "confirmed",
        Decimal("10.00"),
        "pi_1",
    )
    assert [mail.subject for mail in mailoutbox] == [f"Your tickets for {online.event.name}"]


def test_a_replayed_webhook_changes_nothing_and_sends_no_second_email(
    online, order_as, api, stripe_fake, mailoutbox
):
    order, _ = place(online, order_as)
    payload, signature = stripe_fake.event("checkout.session.completed", paid_session(stripe_fake, order))
    post = {"content_type": "application/json", "HTTP_STRIPE_SIGNATURE": signature}
    assert api.generic("POST", "/v1/webhooks/stripe", payload, **post).status_code == 200
    completed_at = Order.objects.get(pk=order.pk).completed_at
    mailoutbox.clear()

    replay = api.generic("POST", "/v1/webhooks/stripe", payload, **post)

    assert replay.status_code == 200
    assert Order.objects.get(pk=order.pk).completed_at == completed_at
    assert mailoutbox == []


@pytest.mark.parametrize(
    "signing",
    [{"secret": "whsec_someone_else"}, {"timestamp": 1_000_000_000}],
    ids=["another secret", "an old timestamp"],
)
def test_a_webhook_that_is_not_signed_by_stripe_is_400_and_changes_nothing(
    online, order_as, api, stripe_fake, signing
):
    order, _ = place(online, order_as)

    response = webhook(
        api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order), **signing
    )

    assert response.status_code == 400
    assert "Stripe-Signature" in response.json()["errors"][0]["detail"]
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_a_webhook_without_a_signature_is_400(online, order_as, api, stripe_fake):
    order, _ = place(online, order_as)
    payload, _ = stripe_fake.event("checkout.session.completed", paid_session(stripe_fake, order))

    response = api.generic("POST", "/v1/webhooks/stripe", payload, content_type="application/json")

    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == "pending"


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2]",
        b"null",
        b"{not json",
        b'{"type": 5, "data": "x"}',
        b'{"type": ["checkout.session.completed"], "data": {"object": {"id": "cs_1"}}}',
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"\xff",
    ],
    ids=["list", "null", "not json", "odd members", "a list as type", "nested deep", "not utf-8"],
)
def test_a_signed_body_that_is_no_event_is_400_or_ignored(api, stripe_fake, body):
    timestamp = int(time.time())
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(stripe_fake.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()

    response = api.generic(
        "POST",
        "/v1/webhooks/stripe",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={digest}",
    )

    assert response.status_code in (200, 400), response.content
    assert response.status_code == 400 or response.json() == {"received": "ignored"}


def test_a_signed_event_is_not_believed_stripe_is_asked_again(online, order_as, api, stripe_fake):
    """An event whose body says "paid" for a session Stripe has not been paid: still pending."""
    order, _ = place(online, order_as)
    claimed = stripe_fake.session(order.payments.get().reference) | {
        "payment_status": "paid",
        "status": "complete",
    }

    assert webhook(api, stripe_fake, "checkout.session.completed", claimed).status_code == 200

    assert Order.objects.get(pk=order.pk).status == "pending"
    assert order.payments.get().state == "created"


def test_events_about_other_sessions_and_other_kinds_are_200(online, api, stripe_fake):
    unknown = webhook(api, stripe_fake, "checkout.session.completed", {"id": "cs_someone_elses"})
    other = webhook(api, stripe_fake, "customer.created", {"id": "cus_1", "object": "customer"})

    assert (unknown.status_code, unknown.json()) == (200, {"received": "not a session of ours"})
    assert (other.status_code, other.json()) == (200, {"received": "ignored"})


def test_the_return_page_completes_a_paid_order_when_the_webhook_is_missed(
    online, order_as, client, api, stripe_fake, mailoutbox
):
    order, _ = place(online, order_as)
    session = paid_session(stripe_fake, order)
    mailoutbox.clear()

    response = return_page(client, order)

    assert response.status_code == 200
    assert page_messages(response) == ["Paid: your tickets are on their way by email."]
    assert Order.objects.get(pk=order.pk).status == "completed"
    assert webhook(api, stripe_fake, "checkout.session.completed", session).status_code == 200
    assert len(mailoutbox) == 1


def test_a_return_page_that_cannot_reach_the_provider_offers_to_check_again(
    online, order_as, client, paypal_fake
):
    order, _ = place(online, order_as, mode="paypal")
    approved = paypal_fake.approve(order.payments.get().reference)
    paypal_fake.delay = 2

    response = return_page(client, order, **approved)

    assert response.status_code == 503
    assert "PayPal cannot be reached just now" in response.content.decode()
    again = response.context["again"]
    assert again.startswith(reverse("orders:payment-return", args=[order.pk, order.payments.get().pk]))
    paypal_fake.delay = 0
    assert page_messages(client.get(again, follow=True)) == ["Paid: your tickets are on their way by email."]


def test_the_return_page_before_paying_and_the_cancel_page_change_nothing(online, order_as, client):
    order, _ = place(online, order_as)
    payment = order.payments.get()

    returned = return_page(client, order)
    cancelled = client.get(reverse("orders:payment-cancel", args=[order.pk, payment.pk]), follow=True)

    assert page_messages(returned) == ["Your payment is not finished: pay, or try again."]
    assert "Payment not finished" in page_messages(cancelled)[0]
    assert Order.objects.get(pk=order.pk).status == "pending"
    assert b"Pay with Stripe" in cancelled.content
    assert b"Pay with PayPal" in cancelled.content


def test_only_the_buyer_opens_the_return_page(online, order_as, client, stripe_fake):
    order, _ = place(online, order_as)
    paid_session(stripe_fake, order)
    client.force_login(online.users["owner"])  # sees the order, but did not pay it

    response = client.get(reverse("orders:payment-return", args=[order.pk, order.payments.get().pk]))

    assert response.status_code == 404


def test_an_expired_checkout_fails_the_attempt_and_the_buyer_may_try_again(
    online, order_as, api, stripe_fake
):
    order, _ = place(online, order_as)
    session = stripe_fake.expire(order.payments.get().reference)

    assert webhook(api, stripe_fake, "checkout.session.expired", session).status_code == 200

    assert order.payments.get().state == "failed"
    again = api.as_user(online.users["buyer"]).post(f"/v1/orders/{order.pk}/pay", {}, plain=True)
    assert again.status_code == 200, again.json()
    assert again.json()["payment-url"] == order.payments.latest("created_at").payment_url


def test_stripe_down_leaves_the_order_pending_and_says_to_try_again(
    online, order_as, api, stripe_fake, client
):
    stripe_fake.delay = 2  # past the 1 s timeout

    order, attributes = place(online, order_as)

    assert (attributes["status"], attributes["payment-url"]) == ("pending", None)
    assert order.payments.get().state == "failed"
    retry = api.as_user(online.users["buyer"]).post(
        f"/v1/orders/{order.pk}/pay", {"payment-mode": "stripe"}, plain=True
    )
    assert retry.status_code == 503
    assert retry.json()["errors"][0]["detail"] == "Stripe cannot be reached just now: try again in a minute."
    client.force_login(online.users["buyer"])
    page = client.post(reverse("orders:pay", args=[order.pk]), {"provider": "stripe"}, follow=True)
    assert page_messages(page) == ["Stripe cannot be reached just now: try again in a minute."]
    assert Order.objects.get(pk=order.pk).status == "pending"

    stripe_fake.delay = 0
    assert (
        api.as_user(online.users["buyer"]).post(f"/v1/orders/{order.pk}/pay", {}, plain=True).status_code
        == 200
    )


def test_a_payment_of_another_amount_does_not_complete_the_order(online, order_as, api, stripe_fake, caplog):
    order, _ = place(online, order_as)
    session = paid_session(stripe_fake, order, amount=500)

    with caplog.at_level(logging.ERROR, logger="orders.payments.services"):
        assert webhook(api, stripe_fake, "checkout.session.completed", session).status_code == 200

    payment = order.payments.get()
    assert (payment.state, payment.paid_amount) == ("mismatched", Decimal("5.00"))
    assert "Paid 5.00 EUR, but the order costs 10.00 EUR" in payment.note
    assert "Paid 5.00 EUR" in caplog.text
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_a_changed_order_amount_is_a_mismatch_too(online, order_as, api, stripe_fake):
    order, _ = place(online, order_as)
    owner = api.as_user(online.users["owner"])
    patch = {"data": {"type": "order", "id": str(order.pk), "attributes": {"amount": "8.00"}}}
    assert owner.patch(f"/v1/orders/{order.pk}", patch).status_code == 200

    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order))

    assert order.payments.get().state == "mismatched"
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_nobody_completes_an_online_order_without_paying(online, order_as, api, client, stripe_fake):
    order, _ = place(online, order_as)
    buyer = api.as_user(online.users["buyer"])
    document = {"data": {"type": "order", "id": str(order.pk), "attributes": {"status": "completed"}}}

    assert buyer.patch(f"/v1/orders/{order.pk}", document).status_code == 403
    assert return_page(client, order, PayerID="forged").status_code == 200
    assert buyer.post(f"/v1/orders/{order.pk}/pay", {}, plain=True).status_code == 200
    forged = stripe_fake.session(order.payments.first().reference) | {"payment_status": "paid"}
    assert (
        webhook(api, stripe_fake, "checkout.session.completed", forged, secret="whsec_guess").status_code
        == 400
    )
    again = place(online, order_as, **{"status": "completed", "amount": "0"})[0]

    assert Order.objects.get(pk=order.pk).status == "pending"
    assert (again.status, again.amount) == ("pending", Decimal("10.00"))


# Paid after the order expired


def expire(order):
    Order.objects.filter(pk=order.pk).update(expires_at=now() - timedelta(seconds=1))


def test_paid_after_expiry_with_the_seats_still_free_completes(online, order_as, api, stripe_fake):
    order, _ = place(online, order_as)
    expire(order)

    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order))

    assert Order.objects.get(pk=order.pk).status == "completed"
    assert order.payments.get().state == "confirmed"


def test_paid_after_expiry_with_the_seats_gone_is_refunded_and_the_buyer_told(
    online, order_as, api, stripe_fake, mailoutbox
):
    order, _ = place(online, order_as)
    expire(order)
    for seats in (4, 1):  # all 5 seats, at most 4 per order
        others = [online.attendee(buyer="other_buyer") for _ in range(seats)]
        services.create_order(online.users["other_buyer"], online.event, others, "onsite")
    mailoutbox.clear()

    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order))

    order.refresh_from_db()
    payment = order.payments.get()
    assert (order.status, payment.state) == ("expired", "rejected")
    refund = Refund.objects.get()
    assert (refund.amount, refund.source, refund.reference) == (Decimal("10.00"), "automatic", "re_1")
    refunds = [r for r in stripe_fake.requests if r[:2] == ("POST", "/v1/refunds")]
    assert refunds[0][2]["amount"] == "1000"
    assert [mail.subject for mail in mailoutbox] == [f"Your refund for {online.event.name}"]
    assert '"Standard" sold out' in mailoutbox[0].body


def test_a_payment_for_a_cancelled_order_goes_back(online, order_as, api, stripe_fake):
    order, _ = place(online, order_as)
    services.cancel_order(online.users["buyer"], order)

    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order))

    assert order.payments.get().state == "rejected"
    assert Refund.objects.get().reference == "re_1"
    assert Order.objects.get(pk=order.pk).status == "cancelled"


# Refunds


def completed_stripe_order(online, order_as, api, stripe_fake, attendees=None) -> Order:
    order, _ = place(online, order_as, attendees=attendees)
    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order))
    order.refresh_from_db()
    assert order.status == "completed"
    return order


def cancel_as_owner(api, online, order):
    document = {"data": {"type": "order", "id": str(order.pk), "attributes": {"status": "cancelled"}}}
    return api.as_user(online.users["owner"]).patch(f"/v1/orders/{order.pk}", document)


def test_cancelling_a_paid_order_refunds_it_through_stripe_and_frees_its_seats(
    online, order_as, api, stripe_fake, mailoutbox
):
    order = completed_stripe_order(online, order_as, api, stripe_fake)
    mailoutbox.clear()

    response = cancel_as_owner(api, online, order)

    assert response.status_code == 200, response.json()
    assert response.json()["data"]["attributes"]["status"] == "cancelled"
    refund = Refund.objects.get()
    assert (refund.amount, refund.reference, refund.source) == (Decimal("10.00"), "re_1", "organizer")
    assert refund.actor == online.users["owner"]
    assert services.tickets_held([online.tickets["paid"].pk]) == {online.tickets["paid"].pk: 0}
    assert [mail.subject for mail in mailoutbox] == [f"Your refund for {online.event.name}"]


def test_a_refund_stripe_refuses_leaves_the_order_as_it_was_and_says_why(online, order_as, api, stripe_fake):
    order = completed_stripe_order(online, order_as, api, stripe_fake)
    stripe_fake.refund_error = "The charge is disputed."

    response = cancel_as_owner(api, online, order)

    assert response.status_code == 409  # an answer, no: asking again as it is will not help
    assert "The charge is disputed." in response.json()["errors"][0]["detail"]
    assert Order.objects.get(pk=order.pk).status == "completed"
    refused = Refund.objects.get()
    assert (refused.state, refused.note) == ("failed", "Stripe refused: The charge is disputed.")
    assert services.tickets_held([online.tickets["paid"].pk])[online.tickets["paid"].pk] == 1
    stripe_fake.refund_error = None
    assert cancel_as_owner(api, online, order).status_code == 200  # asked anew, made this time


def test_a_partial_refund_keeps_the_other_tickets_of_the_order_valid(online, order_as, api, stripe_fake):
    ada, grace = online.attendee(), online.attendee()
    order = completed_stripe_order(online, order_as, api, stripe_fake, attendees=[ada, grace])

    refund = payment_services.refund_order(online.users["owner"], order, [grace])

    assert refund.amount == Decimal("10.00")
    order.refresh_from_db()
    assert order.status == "completed"
    assert list(order.attendees.filter(refund=None)) == [ada]
    assert services.tickets_held([online.tickets["paid"].pk])[online.tickets["paid"].pk] == 1
    last = payment_services.refund_order(online.users["owner"], order, [ada])
    assert last.amount == Decimal("10.00")
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert stripe_fake.session(order.payments.get().reference)["amount_total"] == 2000


def test_only_event_admins_refund(online, order_as, api, stripe_fake):
    order = completed_stripe_order(online, order_as, api, stripe_fake)
    for who in ("buyer", "registrar"):
        with pytest.raises(services.Forbidden):
            payment_services.refund_order(online.users[who], order)
    assert cancel_as_owner(api, online, order).status_code == 200


def test_a_refund_made_in_stripes_dashboard_is_recorded_and_a_full_one_cancels(
    online, order_as, api, stripe_fake
):
    ada, grace = online.attendee(), online.attendee()
    order = completed_stripe_order(online, order_as, api, stripe_fake, attendees=[ada, grace])
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}

    stripe_fake.refund_in_dashboard("ch_1", 500)
    assert webhook(api, stripe_fake, "charge.refunded", charge).json() == {"received": "1 refunds recorded"}
    assert Order.objects.get(pk=order.pk).status == "completed"  # which tickets: the organizer's choice
    assert webhook(api, stripe_fake, "charge.refunded", charge).json() == {"received": "0 refunds recorded"}

    stripe_fake.refund_in_dashboard("ch_1")
    webhook(api, stripe_fake, "charge.refunded", charge)

    assert [r.amount for r in Refund.objects.order_by("pk")] == [Decimal("5.00"), Decimal("15.00")]
    assert {r.source for r in Refund.objects.all()} == {"provider"}
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert services.tickets_held([online.tickets["paid"].pk])[online.tickets["paid"].pk] == 0


def test_an_organizer_refunds_a_mismatched_payment(online, order_as, api, stripe_fake):
    order, _ = place(online, order_as)
    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order, amount=500))

    refund = payment_services.refund_payment(online.users["owner"], order.payments.get())

    assert (refund.amount, refund.reference) == (Decimal("5.00"), "re_1")
    with pytest.raises(services.Conflict):
        payment_services.refund_payment(online.users["owner"], order.payments.get())


# PayPal


def test_a_paypal_order_is_approved_on_paypals_page_and_executed_by_the_return_page(
    online, order_as, client, paypal_fake, mailoutbox
):
    order, attributes = place(online, order_as, mode="paypal")
    payment = order.payments.get()
    assert attributes["payment-url"].startswith(f"{paypal_fake.url}/checkoutnow?token=EC-")
    assert paypal_fake.payment(payment.reference)["transactions"][0]["amount"] == {
        "total": "10.00",
        "currency": "EUR",
    }
    mailoutbox.clear()

    approved = paypal_fake.approve(payment.reference)
    response = return_page(client, order, **approved)

    assert page_messages(response) == ["Paid: your tickets are on their way by email."]
    order.refresh_from_db()
    payment.refresh_from_db()
    assert (order.status, order.paid_via, payment.state) == ("completed", "paypal", "confirmed")
    assert payment.charge_reference.startswith("SALE-")
    again = return_page(client, order, **approved)  # reloaded: nothing twice
    assert page_messages(again) == ["Paid: your tickets are on their way by email."]
    assert len(mailoutbox) == 1


def test_a_paypal_return_without_the_buyers_approval_takes_nothing(online, order_as, client, paypal_fake):
    order, _ = place(online, order_as, mode="paypal")

    response = return_page(client, order, paymentId=order.payments.get().reference, PayerID="PAYER-forged")

    assert "The payment did not go through" in page_messages(response)[0]
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_a_paypal_order_is_refunded_through_paypal(online, order_as, client, api, paypal_fake):
    order, _ = place(online, order_as, mode="paypal")
    return_page(client, order, **paypal_fake.approve(order.payments.get().reference))

    assert cancel_as_owner(api, online, order).status_code == 200

    refund = Refund.objects.get()
    assert refund.reference.startswith("REFUND-")
    paypal_fake.refund_error = "Refused by the bank."
    other, _ = place(online, order_as, mode="paypal")
    return_page(client, other, **paypal_fake.approve(other.payments.get().reference))
    with pytest.raises(ProviderError, match="Refused by the bank"):
        payment_services.refund_order(online.users["owner"], Order.objects.get(pk=other.pk))
    assert Order.objects.get(pk=other.pk).status == "completed"


def test_paypal_down_leaves_the_order_pending(online, order_as, api, paypal_fake):
    paypal_fake.delay = 2

    order, attributes = place(online, order_as, mode="paypal")

    assert attributes["payment-url"] is None
    retry = api.as_user(online.users["buyer"]).post(f"/v1/orders/{order.pk}/pay", {}, plain=True)
    assert retry.status_code == 503
    assert retry.json()["errors"][0]["detail"] == "PayPal cannot be reached just now: try again in a minute."
    assert Order.objects.get(pk=order.pk).status == "pending"


# Who may pay, and how


def test_only_the_buyer_starts_a_payment_and_only_by_a_mode_the_event_offers(
    online, order_as, client_for, settings
):
    order, _ = place(online, order_as)
    path = f"/v1/orders/{order.pk}/pay"

    assert client_for(None).post(path, {}, plain=True).status_code == 401
    assert client_for(online.users["owner"]).post(path, {}, plain=True).status_code == 403
    assert client_for(online.users["other_buyer"]).post(path, {}, plain=True).status_code == 404
    buyer = client_for(online.users["buyer"])
    assert buyer.post(path, {"payment-mode": "onsite"}, plain=True).status_code == 422
    settings.PAYPAL_CLIENT_ID = ""
    refused = buyer.post(path, {"payment-mode": "paypal"}, plain=True)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"]["pointer"] == "/payment-mode"
    assert order.payments.count() == 1


def test_an_order_that_is_not_pending_is_not_paid_again(online, order_as, api, stripe_fake):
    order = completed_stripe_order(online, order_as, api, stripe_fake)

    response = api.as_user(online.users["buyer"]).post(f"/v1/orders/{order.pk}/pay", {}, plain=True)

    assert response.status_code == 409
    assert Payment.objects.count() == 1


def test_an_order_opens_a_bounded_number_of_checkouts(online, order_as, client_for, stripe_fake):
    order, _ = place(online, order_as)
    buyer = client_for(online.users["buyer"])
    answers = [buyer.post(f"/v1/orders/{order.pk}/pay", {}, plain=True).status_code for _ in range(10)]

    assert answers == [200] * 9 + [409]
    assert order.payments.count() == payment_services.ATTEMPTS_PER_ORDER


def test_the_stripe_publishable_key_is_in_the_public_settings(api, settings, db):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_shown"

    attributes = api.get("/v1/settings").json()["data"]["attributes"]

    assert attributes["stripe-publishable-key"] == "pk_test_shown"


def test_the_checkout_offers_only_the_providers_with_keys(box_office, client, stripe_fake, settings):
    box_office.event.can_pay_by_stripe = box_office.event.can_pay_by_paypal = True
    box_office.event.save()
    client.force_login(box_office.users["buyer"])
    url = reverse("orders:checkout", args=[box_office.event.pk])

    page = client.get(url, {f"ticket-{box_office.tickets['paid'].pk}": 1})

    assert "By card, with Stripe" in page.content.decode()
    assert "With PayPal" not in page.content.decode()  # no PayPal keys here


# The organizers' admin


def test_the_admin_shows_an_orders_payments_with_a_mismatch_and_refunds_it(
    online, order_as, api, client, stripe_fake
):
    order, _ = place(online, order_as)
    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order, amount=500))
    client.force_login(online.users["owner"])

    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    listed = (
        client.get("/admin/orders/order/", {"payments__state__exact": "mismatched"}).context["cl"].result_list
    )
    refunded = client.post(
        "/admin/orders/order/", {"action": "refund_payments", "_selected_action": [order.pk]}, follow=True
    )

    assert "Paid 5.00 EUR, but the order costs 10.00 EUR" in page
    assert order.attendees.get().email in page  # the inlines show to the event's admins
    assert list(listed) == [order]
    assert page_messages(refunded) == ["1 payment(s) refunded."]
    assert Refund.objects.get().amount == Decimal("5.00")


def test_the_admin_refunds_single_tickets_of_an_order(online, order_as, api, client, stripe_fake, mailoutbox):
    ada, grace = online.attendee(), online.attendee()
    order = completed_stripe_order(online, order_as, api, stripe_fake, attendees=[ada, grace])
    client.force_login(online.users["owner"])
    mailoutbox.clear()

    response = client.post(
        "/admin/orders/attendee/", {"action": "refund_tickets", "_selected_action": [grace.pk]}, follow=True
    )

    assert page_messages(response) == [f"{order}: 10.00 EUR refunded, the buyer emailed."]
    assert Order.objects.get(pk=order.pk).status == "completed"
    assert "Grace" not in mailoutbox[0].body.split("cancelled:")[0]
    assert f"{grace.firstname} {grace.lastname}" in mailoutbox[0].body
    assert "Your other tickets stay valid." in mailoutbox[0].body
    again = client.post(
        "/admin/orders/attendee/", {"action": "refund_tickets", "_selected_action": [grace.pk]}, follow=True
    )
    assert "hold a ticket" in page_messages(again)[0]
    assert Refund.objects.count() == 1


# What the second outside attack found


@pytest.mark.parametrize("fake", ["stripe_fake", "paypal_fake"])
def test_a_refund_that_timed_out_but_was_made_is_recorded_once_on_the_retry(
    online, order_as, api, client, request, fake
):
    """The provider made the refund but answered too late: the retry sends the same idempotency
    key, so the provider makes no second one, and the order is refunded and cancelled."""
    vendor = request.getfixturevalue(fake)
    if fake == "stripe_fake":
        order = completed_stripe_order(online, order_as, api, vendor)
    else:
        order, _ = place(online, order_as, mode="paypal")
        return_page(client, order, **vendor.approve(order.payments.get().reference))
    vendor.delay = 1.5  # past the 1 s timeout, after the refund is made

    assert cancel_as_owner(api, online, order).status_code == 503
    vendor.delay = 0
    assert cancel_as_owner(api, online, order).status_code == 200

    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert Refund.objects.count() == 1
    made = [r for r in vendor.requests if r[0] == "POST" and r[1].endswith(("/v1/refunds", "/refund"))]
    keys = {r[3].get("Idempotency-Key") or r[3].get("PayPal-Request-Id") for r in made}
    assert len(made) == 2
    assert len(keys) == 1


def test_a_paypal_sale_still_pending_does_not_complete_the_order(online, order_as, client, paypal_fake):
    paypal_fake.sale_state = "pending"
    order, _ = place(online, order_as, mode="paypal")
    approved = paypal_fake.approve(order.payments.get().reference)

    waiting = return_page(client, order, **approved)

    assert page_messages(waiting) == ["Your payment is not finished: pay, or try again."]
    assert Order.objects.get(pk=order.pk).status == "pending"
    sale = paypal_fake.payment(approved["paymentId"])["transactions"][0]["related_resources"][0]["sale"]
    paypal_fake.complete_sale(sale["id"])
    assert page_messages(return_page(client, order)) == ["Paid: your tickets are on their way by email."]


def test_the_buyer_does_not_see_the_organizers_notes_on_a_payment(online, order_as, api, client, stripe_fake):
    order, _ = place(online, order_as)
    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order, amount=500))
    client.force_login(online.users["buyer"])

    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert "paid, but not the order&#x27;s amount" in page
    assert "mark the order paid" not in page


def test_a_buyer_starts_a_bounded_number_of_checkouts_an_hour(online, order_as, client_for, settings):
    settings.PAYMENT_START_LIMIT_PER_HOUR = 3
    orders = [place(online, order_as)[0] for _ in range(2)]  # one checkout each
    buyer = client_for(online.users["buyer"])

    answers = [buyer.post(f"/v1/orders/{order.pk}/pay", {}, plain=True).status_code for order in orders]

    assert answers == [200, 429]
    assert Payment.objects.count() == 3


# What the second outside attack found


def test_a_partial_refund_without_an_answer_is_asked_again_not_replaced(online, order_as, api, stripe_fake):
    """A refund the provider made but answered too late stays pending: the order's other refunds
    wait for it, and asking for it again gets the one made, never a second."""
    ada, grace = online.attendee(), online.attendee()
    order = completed_stripe_order(online, order_as, api, stripe_fake, attendees=[ada, grace])
    owner = online.users["owner"]
    stripe_fake.delay = 1.5

    with pytest.raises(ProviderError):
        payment_services.refund_order(owner, order, [grace])
    stripe_fake.delay = 0
    with pytest.raises(services.Conflict, match="still waiting for the provider"):
        payment_services.refund_order(owner, order)  # the whole order, meanwhile
    again = payment_services.refund_order(owner, order, [grace])

    assert (again.state, again.amount, again.reference) == ("done", Decimal("10.00"), "re_1")
    assert Order.objects.get(pk=order.pk).status == "completed"
    last = payment_services.refund_order(owner, order)
    assert (last.amount, last.attendee_ids) == (Decimal("10.00"), [ada.pk])
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    made = [r for r in stripe_fake.requests if r[:2] == ("POST", "/v1/refunds")]
    assert [r[2]["amount"] for r in made] == ["1000", "1000", "1000"]  # the first asked twice, once made
    assert len({r[3]["Idempotency-Key"] for r in made}) == 2


def test_stripes_webhook_completes_a_refund_whose_answer_was_lost(online, order_as, api, stripe_fake):
    ada, grace = online.attendee(), online.attendee()
    order = completed_stripe_order(online, order_as, api, stripe_fake, attendees=[ada, grace])
    stripe_fake.delay = 1.5
    with pytest.raises(ProviderError):
        payment_services.refund_order(online.users["owner"], order, [grace])
    stripe_fake.delay = 0

    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}
    assert webhook(api, stripe_fake, "charge.refunded", charge).json() == {"received": "1 refunds recorded"}

    refund = Refund.objects.get()
    assert (refund.state, refund.source, refund.reference) == ("done", "organizer", "re_1")
    assert list(Order.objects.get(pk=order.pk).attendees.filter(refund=None)) == [ada]
    with pytest.raises(ValidationError):
        payment_services.refund_order(online.users["owner"], order, [grace])  # refunded already


def test_a_refund_event_for_a_charge_of_someone_else_is_200_without_asking_stripe(api, stripe_fake, db):
    charge = {"id": "ch_elsewhere", "object": "charge", "payment_intent": "pi_elsewhere"}

    response = webhook(api, stripe_fake, "charge.refunded", charge)

    assert response.json() == {"received": "not a charge of ours"}
    assert not [r for r in stripe_fake.requests if r[1].startswith("/v1/charges")]


def test_a_lone_surrogate_in_the_payment_mode_is_a_422(online, order_as, client_for):
    order, _ = place(online, order_as)
    buyer = client_for(online.users["buyer"])

    response = buyer.post(f"/v1/orders/{order.pk}/pay", '{"payment-mode": "\\ud800"}', plain=True)

    assert response.status_code == 422
    assert "\ufffd" in response.json()["errors"][0]["detail"]


# What the third outside attack found


def test_a_mismatched_payment_the_organizer_accepts_is_refunded_through_stripe(
    online, order_as, api, stripe_fake
):
    order, _ = place(online, order_as)
    webhook(api, stripe_fake, "checkout.session.completed", paid_session(stripe_fake, order, amount=900))
    owner = online.users["owner"]
    services.mark_paid(owner, Order.objects.get(pk=order.pk))  # the organizer takes the 9.00

    with pytest.raises(services.Conflict):
        payment_services.refund_payment(owner, order.payments.get())  # it paid the order now
    assert cancel_as_owner(api, online, order).status_code == 200

    refund = Refund.objects.get()
    assert (refund.amount, refund.reference, refund.state) == (Decimal("9.00"), "re_1", "done")
    made = [r for r in stripe_fake.requests if r[:2] == ("POST", "/v1/refunds")]
    assert [r[2]["amount"] for r in made] == ["900"]


def test_a_refund_pending_when_the_dashboard_refunds_everything_ends(online, order_as, api, stripe_fake):
    ada, grace = online.attendee(), online.attendee()
    order = completed_stripe_order(online, order_as, api, stripe_fake, attendees=[ada, grace])
    stripe_fake.refund_error = "Refused later."
    stripe_fake.delay = 1.5  # no answer in time: pending (and, here, not made)
    with pytest.raises(ProviderError):
        payment_services.refund_order(online.users["owner"], order, [grace])
    stripe_fake.delay, stripe_fake.refund_error = 0, None
    stripe_fake.refund_in_dashboard("ch_1")

    webhook(api, stripe_fake, "charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"})

    states = sorted(Refund.objects.values_list("source", "state", "amount"))
    assert states == [("organizer", "failed", Decimal("10.00")), ("provider", "done", Decimal("20.00"))]
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_a_refund_event_delivered_twice_records_each_refund_once(online, order_as, api, stripe_fake):
    completed_stripe_order(online, order_as, api, stripe_fake)
    stripe_fake.refund_in_dashboard("ch_1", 400)
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}

    answers = [webhook(api, stripe_fake, "charge.refunded", charge).json() for _ in range(2)]

    assert answers == [{"received": "1 refunds recorded"}, {"received": "0 refunds recorded"}]
