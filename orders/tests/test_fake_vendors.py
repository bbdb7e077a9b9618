"""The fake vendors answer the real SDKs the way the tests of the payment code rely on."""

import time
from urllib.parse import parse_qs, urlsplit

import paypalrestsdk
import pytest
import requests
import stripe

from orders.tests.fake_vendors import FakePayPal, FakeStripe

ITEM = {"price_data": {"currency": "EUR", "unit_amount": 2500, "product_data": {"name": "A"}}, "quantity": 2}
SESSION = {
    "mode": "payment",
    "success_url": "https://shop.test/ok?session_id={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.test/cancel",
    "client_reference_id": "order-42",
    "customer_email": "buyer@example.com",
    "metadata": {"order": "42"},
    "line_items": [ITEM],
}
URLS = {"return_url": "https://shop.test/pp/return?order=42", "cancel_url": "https://shop.test/pp/cancel"}
SALE = {"amount": {"total": "25.00", "currency": "EUR"}, "description": "Order 42", "invoice_number": "42"}
PAYMENT = dict(intent="sale", payer={"payment_method": "paypal"}, redirect_urls=URLS, transactions=[SALE])


@pytest.fixture
def fake_stripe():
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def fake_paypal():
    with FakePayPal() as fake:
        yield fake


def stripe_client(fake, timeout=2.0, key="sk_test_fake"):
    http = stripe.RequestsClient(timeout=(timeout, timeout))
    return stripe.StripeClient(key, base_addresses={"api": fake.url}, http_client=http, max_network_retries=0)


def paypal_api(fake, secret=None):
    secret, url = secret or fake.client_secret, fake.url
    return paypalrestsdk.Api(mode="sandbox", client_id=fake.client_id, client_secret=secret, endpoint=url)


def post(url):
    """POST a hosted page's form without following the redirect: (status, Location)."""
    response = requests.post(url, allow_redirects=False, timeout=2)
    return response.status_code, response.headers.get("Location")


def test_stripe_checkout_refund_and_idempotency(fake_stripe):
    client, params = stripe_client(fake_stripe), {**SESSION, "expires_at": int(time.time()) + 3600}
    session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "order-42"})
    again = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "order-42"})
    assert (session.id, again.id, session.amount_total) == ("cs_test_1", "cs_test_1", 5000)
    assert session.currency == "eur"
    assert (session.url, session.metadata.order) == (f"{fake_stripe.url}/checkout/cs_test_1", "42")
    assert fake_stripe.requests[0][2]["line_items"][0]["price_data"]["unit_amount"] == "2500"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.checkout.sessions.create(params={"mode": "payment", "line_items": [ITEM]})
    assert missing.value.param == "success_url"
    fake_stripe.pay("cs_test_1")
    paid = client.v1.checkout.sessions.retrieve("cs_test_1", params={"expand": ["payment_intent"]})
    intent = paid.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert (paid.payment_status, intent.id, intent.latest_charge) == ("paid", "pi_1", "ch_1")
    assert intent.amount == 5000
    refund = {"payment_intent": "pi_1", "amount": 1000, "metadata": {"reason": "seat"}}
    first = client.v1.refunds.create(params=refund, options={"idempotency_key": "refund-1"})
    replay = client.v1.refunds.create(params=refund, options={"idempotency_key": "refund-1"})
    assert (first.id, replay.id, first.charge, first.status) == ("re_1", "re_1", "ch_1", "succeeded")
    fake_stripe.refund_in_dashboard("ch_1", 500)
    charge = client.v1.charges.retrieve("ch_1", params={"expand": ["refunds"]})
    assert (charge.amount_refunded, charge.refunded, len(charge.refunds.data)) == (1500, False, 2)
    with pytest.raises(stripe.InvalidRequestError) as too_large:
        client.v1.refunds.create(params={"payment_intent": "pi_1", "amount": 4000})
    assert too_large.value.code == "amount_too_large"
    fake_stripe.refund_error = "This charge cannot be refunded"
    with pytest.raises(stripe.InvalidRequestError, match="cannot be refunded") as failed:
        client.v1.refunds.create(params={"payment_intent": "pi_1"})
    assert failed.value.code == "charge_already_refunded"
    assert failed.value.headers["Stripe-Should-Retry"] == "false"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.checkout.sessions.retrieve("cs_nope")
    assert (unknown.value.http_status, unknown.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.AuthenticationError):
        stripe_client(fake_stripe, key="sk_test_wrong").v1.charges.retrieve("ch_1")


def test_stripe_webhook_signature(fake_stripe):
    session = {"id": "cs_test_9", "object": "checkout.session"}
    payload, header = fake_stripe.event("checkout.session.completed", session)
    event = stripe.Webhook.construct_event(payload, header, "whsec_fake")
    assert event.type == "checkout.session.completed"
    assert isinstance(event.data.object, stripe.checkout.Session)
    for bad in ({"secret": "whsec_other"}, {"timestamp": int(time.time()) - 600}):
        payload, header = fake_stripe.event("checkout.session.completed", session, **bad)
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(payload, header, "whsec_fake")


def test_stripe_hosted_page_and_delay(fake_stripe):
    session = stripe_client(fake_stripe).v1.checkout.sessions.create(params=SESSION)
    page = requests.get(session.url, timeout=2).text
    for text in ("50.00 EUR", 'action="/checkout/cs_test_1/pay"', 'href="https://shop.test/cancel"'):
        assert text in page
    assert post(f"{session.url}/pay") == (303, "https://shop.test/ok?session_id=cs_test_1")
    assert fake_stripe.session("cs_test_1")["status"] == "complete"
    fake_stripe.delay = 1
    with pytest.raises(stripe.APIConnectionError):
        stripe_client(fake_stripe, timeout=0.3).v1.checkout.sessions.retrieve("cs_test_1")


def test_paypal_payment_execute_refund(fake_paypal):
    api = paypal_api(fake_paypal)
    payment, replay = paypalrestsdk.Payment(PAYMENT, api=api), paypalrestsdk.Payment(PAYMENT, api=api)
    payment.request_id = replay.request_id = "order-42-create"
    assert (payment.create(), replay.create(), payment.id, replay.id) == (True, True, "PAYID-1", "PAYID-1")
    assert next(link.href for link in payment.links if link.rel == "approval_url").endswith("?token=EC-1")
    assert not payment.execute({"payer_id": "PAYER1"})
    assert payment.error["name"] == "PAYMENT_NOT_APPROVED_FOR_EXECUTION"
    query = fake_paypal.approve("PAYID-1")
    found = paypalrestsdk.Payment.find("PAYID-1", api=api)
    assert (found.payer.payer_info.payer_id, query["PayerID"], found.state) == ("PAYER1", "PAYER1", "created")
    assert found.execute({"payer_id": "PAYER1"}), found.error
    sale = paypalrestsdk.Sale({"id": found.transactions[0].related_resources[0].sale.id}, api=api)
    assert (found.state, sale.id) == ("approved", "SALE-1")
    assert not found.execute({"payer_id": "PAYER1"})
    assert found.error["name"] == "PAYMENT_ALREADY_DONE"
    refund = sale.refund({"amount": {"total": "10.00", "currency": "EUR"}})
    assert refund.success()
    assert (refund.id, refund.state, refund.parent_payment) == ("REFUND-1", "completed", "PAYID-1")
    too_much = sale.refund({"amount": {"total": "20.00", "currency": "EUR"}})
    assert (too_much.success(), too_much.error["name"]) == (False, "TRANSACTION_REFUSED")
    fake_paypal.refund_error = "Refund refused by the bank"
    assert sale.refund({}).error["message"] == "Refund refused by the bank"
    resources = fake_paypal.payment("PAYID-1")["transactions"][0]["related_resources"]
    assert [resources[0]["sale"]["state"], resources[1]["refund"]["id"]] == ["partially_refunded", "REFUND-1"]
    bad_total = {**PAYMENT, "transactions": [{"amount": {"total": "25.001", "currency": "EUR"}}]}
    invalid = paypalrestsdk.Payment(bad_total, api=api)
    assert not invalid.create()
    assert invalid.error["details"][0]["field"] == "transactions[0].amount.total"
    with pytest.raises(paypalrestsdk.ResourceNotFound):
        paypalrestsdk.Payment.find("PAYID-404", api=api)
    with pytest.raises(paypalrestsdk.UnauthorizedAccess):
        paypalrestsdk.Payment.find("PAYID-1", api=paypal_api(fake_paypal, secret="wrong"))


def test_paypal_hosted_page_and_delay(fake_paypal):
    assert paypalrestsdk.Payment(PAYMENT, api=paypal_api(fake_paypal)).create()
    page = requests.get(f"{fake_paypal.url}/checkoutnow", params={"token": "EC-1"}, timeout=2).text
    for text in ("25.00 EUR", 'action="/checkoutnow/EC-1/approve"', "https://shop.test/pp/cancel?token=EC-1"):
        assert text in page
    status, location = post(f"{fake_paypal.url}/checkoutnow/EC-1/approve")
    assert (status, location.split("&")[0]) == (303, "https://shop.test/pp/return?order=42")
    query = {"order": ["42"], "paymentId": ["PAYID-1"], "token": ["EC-1"], "PayerID": ["PAYER1"]}
    assert parse_qs(urlsplit(location).query) == query
    fake_paypal.delay = 1
    auth, form = (fake_paypal.client_id, fake_paypal.client_secret), {"grant_type": "client_credentials"}
    with pytest.raises(requests.Timeout):
        requests.post(f"{fake_paypal.url}/v1/oauth2/token", data=form, auth=auth, timeout=0.3)
