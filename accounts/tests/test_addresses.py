"""One address, one account: every spelling of an address that normalizes to one (NFKC, then
case-folded) is that one account's, at registration, login and reset, and in the database."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import User, normalize_email

pytestmark = pytest.mark.django_db

KATE = "kate@evil.test"
KELVIN_KATE = "\u212aate@evil.test"  # `Kate@evil.test` written with the Kelvin sign for its K
SPELLINGS = [
    KELVIN_KATE,
    "KATE@EVIL.TEST",
    "\uff4b\uff41\uff54\uff45@evil.test",
    " Kate@Evil.Test\n",
    "kate@ev\u00adil.test",
    "kate@evil\u200b.test",
    "kate@e\u200dvil.te\u2060st",
    "kate@evil\ufeff.test\ufe0f",
]
SPELLING_IDS = [
    "kelvin-sign",
    "upper-case",
    "full-width",
    "padded",
    "soft-hyphen",
    "zero-width",
    "joiners",
    "bom",
]


@pytest.fixture
def kate(db):
    return UserFactory(email=KATE)


def user_document(**attributes):
    return {"data": {"type": "user", "attributes": attributes}}


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_look_alike_spellings_normalize_to_one_address(spelling):
    assert normalize_email(spelling) == KATE
    assert normalize_email(normalize_email(spelling)) == KATE


def test_a_domains_punycode_and_unicode_spellings_are_one_address():
    assert (
        normalize_email("Ada@XN--BCHER-KVA.example")
        == normalize_email("ada@Bücher.example")
        == "ada@bücher.example"
    )


def test_a_kelvin_sign_look_alike_cannot_register_beside_the_address(api, kate, mailoutbox):
    """The attack: `Kate@evil.test` with a Kelvin sign registered beside kate@evil.test."""
    response = api.post("/v1/users", user_document(email=KELVIN_KATE, password=DEFAULT_PASSWORD))
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/data/attributes/email"
    assert "already exists" in error["detail"]
    assert list(User.objects.values_list("email", flat=True)) == [KATE]
    assert mailoutbox == []


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_the_register_page_refuses_every_spelling_of_a_taken_address(client, kate, spelling):
    form = {"email": spelling, "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}
    response = client.post("/register/", form)
    assert response.context["form"].errors["email"]  # already exists, or (full-width) not an address
    assert User.objects.count() == 1


def test_a_new_address_is_stored_and_mailed_in_its_normalized_spelling(api, mailoutbox):
    response = api.post("/v1/users", user_document(email=KELVIN_KATE, password=DEFAULT_PASSWORD))
    assert response.status_code == 201, response.content
    assert response.json()["data"]["attributes"]["email"] == KATE
    assert User.objects.get().email == KATE
    assert [message.to for message in mailoutbox] == [[KATE]]


def test_an_address_that_normalizes_into_an_invalid_one_is_refused(api):
    # A dotted capital I passes the address check, but folds to i + a combining dot, which does not.
    response = api.post("/v1/users", user_document(email="\u0130nge@example.com", password=DEFAULT_PASSWORD))
    assert response.status_code == 422
    assert [error["source"]["pointer"] for error in response.json()["errors"]] == ["/data/attributes/email"]
    assert not User.objects.exists()


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_the_api_logs_in_the_one_account_with_any_spelling(api, kate, spelling):
    response = api.post("/v1/auth/login", {"email": spelling, "password": DEFAULT_PASSWORD}, plain=True)
    assert response.status_code == 200, response.content
    assert AccessToken(response.json()["access_token"])["user_id"] == str(kate.pk)


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_the_login_page_logs_in_the_one_account_with_any_spelling(client, kate, spelling):
    client.post("/login/", {"username": spelling, "password": DEFAULT_PASSWORD})
    assert client.session["_auth_user_id"] == str(kate.pk)


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_a_reset_asked_with_any_spelling_mails_the_one_account(kate, mailoutbox, spelling):
    services.request_password_reset(email=spelling, ip_address="10.0.0.1")
    assert [message.to for message in mailoutbox] == [[KATE]]


def test_the_database_refuses_a_second_spelling_whatever_the_way_in(kate):
    """No service in the way: the ORM stores the normalized spelling, the unique index refuses it."""
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=KELVIN_KATE)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="\uff4bate@evil.test")])
    other = UserFactory(email="someone@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=other.pk).update(email="KATE@evil.test")
    assert sorted(User.objects.values_list("email", flat=True)) == [KATE, "someone@example.com"]


def test_the_admin_refuses_a_look_alike_and_stores_new_addresses_normalized(client, kate, site_admin):
    client.force_login(site_admin)
    passwords = {"password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}
    response = client.post("/admin/accounts/user/add/", {"email": KELVIN_KATE, **passwords})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    response = client.post("/admin/accounts/user/add/", {"email": "Grace@Example.COM", **passwords})
    assert response.status_code == 302
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "grace@example.com",
        KATE,
        "root@example.com",
    ]

    grace = User.objects.get(email="grace@example.com")
    response = client.post(
        f"/admin/accounts/user/{grace.pk}/change/", {"email": KELVIN_KATE, "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"]
    grace.refresh_from_db()
    assert grace.email == "grace@example.com"
