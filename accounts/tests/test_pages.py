from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.factories import DEFAULT_PASSWORD
from accounts.models import User

from .helpers import reset_link_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"


def new_password(password1=NEW_PASSWORD, password2=NEW_PASSWORD):
    return {"password1": password1, "password2": password2}


def open_reset_link(client, mailoutbox):
    """Follow the emailed reset link as a browser does: the token moves into the session."""
    link = urlsplit(reset_link_in(mailoutbox[-1])["url"])
    response = client.get(f"{link.path}?{link.query}")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:reset-password")
    return response


def test_forgot_password_email_link_new_password_login(client, user, mailoutbox):
    """The whole page flow, as a person would walk it."""
    page = client.get("/forgot-password/")
    assert page.status_code == 200
    sent = client.post("/forgot-password/", {"email": "ada@example.com"})
    assert sent.status_code == 200
    assert b"Check your email" in sent.content

    token = reset_link_in(mailoutbox[0])["token"]
    form = client.get(open_reset_link(client, mailoutbox)["Location"])
    assert form.status_code == 200
    assert b"Set a new password" in form.content
    assert token.encode() not in form.content

    done = client.post(reverse("accounts:reset-password"), new_password())
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:login")

    assert not client.login(email="ada@example.com", password=DEFAULT_PASSWORD)
    logged_in = client.post(
        reverse("accounts:login"), {"username": "ada@example.com", "password": NEW_PASSWORD}, follow=True
    )
    assert logged_in.context["user"] == user
    assert logged_in.redirect_chain[-1][0] == reverse("events:mine")  # where a login without `next` lands

    again = client.get(reset_link_in(mailoutbox[0])["url"], follow=True)
    assert again.status_code == 404
    assert b"does not work any more" in again.content


def test_a_reset_ends_the_sessions_logged_in_with_the_old_password(client, user, mailoutbox):
    other_device = Client()
    other_device.force_login(user)
    assert other_device.get("/account/").status_code == 200
    client.post("/forgot-password/", {"email": "ada@example.com"})
    open_reset_link(client, mailoutbox)
    client.post(reverse("accounts:reset-password"), new_password())
    assert other_device.get("/account/").status_code == 302


def test_forgot_password_looks_the_same_for_unknown_addresses(client, mailoutbox):
    response = client.post("/forgot-password/", {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert b"Check your email" in response.content
    assert mailoutbox == []


def test_forgot_password_shows_the_rate_limit_as_a_form_error(client, settings, db):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    client.post("/forgot-password/", {"email": "nobody@example.com"})
    response = client.post("/forgot-password/", {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert "Too many reset requests" in str(response.context["form"].non_field_errors())


def test_forgot_password_shows_a_bad_address_next_to_the_field(client, db):
    response = client.post("/forgot-password/", {"email": "not an address"})
    assert response.context["form"].errors["email"]
    assert b'class="field-error"' in response.content


def test_a_weak_new_password_is_shown_next_to_its_field(client, user, mailoutbox):
    client.post("/forgot-password/", {"email": "ada@example.com"})
    open_reset_link(client, mailoutbox)
    response = client.post(reverse("accounts:reset-password"), new_password("abc", "abc"))
    assert response.status_code == 200
    assert "too short" in " ".join(response.context["form"].errors["password1"])
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_mismatched_new_passwords_are_refused(client, user, mailoutbox):
    client.post("/forgot-password/", {"email": "ada@example.com"})
    open_reset_link(client, mailoutbox)
    response = client.post(reverse("accounts:reset-password"), new_password(password2="different-1"))
    assert response.context["form"].errors["password2"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize("query", ["", "?token=", "?token=forged"])
def test_the_reset_page_without_a_valid_token_offers_a_new_link(client, db, query):
    response = client.get(f"/reset-password/{query}", follow=True)
    assert response.status_code == 404
    assert reverse("accounts:forgot-password").encode() in response.content


def test_register_logs_the_new_user_in(client):
    response = client.post(
        "/register/",
        {
            "email": "grace@example.com",
            "first_name": "Grace",
            "last_name": "Hopper",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:profile")
    assert response.context["user"].email == "grace@example.com"
    assert b"Grace Hopper" in response.content


def test_register_shows_errors_next_to_their_fields(client, user):
    response = client.post(
        "/register/", {"email": "ada@example.com", "password1": "short", "password2": "short"}
    )
    errors = response.context["form"].errors
    assert "already exists" in " ".join(errors["email"])
    assert "too short" in " ".join(errors["password1"])
    assert User.objects.count() == 1


def test_register_shows_the_rate_limit_as_a_form_error(client, settings, db, mailoutbox):
    settings.REGISTRATION_LIMIT_PER_EMAIL = 1
    client.post("/register/", {"email": "grace@example.com", "password1": "short", "password2": "short"})
    response = client.post(
        "/register/",
        {"email": "grace@example.com", "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    assert "Too many registrations" in str(response.context["form"].non_field_errors())
    assert b"Too many registrations" in response.content
    assert not User.objects.exists()
    assert mailoutbox == []
    assert "_auth_user_id" not in client.session


def test_login_page_refuses_a_wrong_password(client, user):
    response = client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_login_page_stops_password_guessing(client, user, settings):
    settings.LOGIN_LIMIT_PER_EMAIL = 2
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "guess"})
    response = client.post(
        reverse("accounts:login"), {"username": "ada@example.com", "password": DEFAULT_PASSWORD}
    )
    assert "Too many failed logins" in str(response.context["form"].non_field_errors())
    assert "_auth_user_id" not in client.session


def test_logout_asks_to_confirm_on_get(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/register/", "/forgot-password/", "/reset-password/", "/account/"])
def test_pages_refuse_other_methods(client, db, path):
    assert client.put(path).status_code == 405


def test_logout_ends_the_session(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_profile_needs_login_and_saves_the_name(client, user):
    assert client.get("/account/")["Location"].startswith(reverse("accounts:login"))
    client.force_login(user)
    response = client.post("/account/", {"first_name": "Augusta", "last_name": "King"}, follow=True)
    assert b"Your profile is saved" in response.content
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Augusta", "King")


def test_pages_render_for_a_phone(client, db):
    for path in ["/", "/login/", "/register/", "/forgot-password/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b'name="viewport"' in response.content


def test_a_login_without_next_lands_on_my_events(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.url == reverse("events:mine")


def test_the_login_page_sends_someone_logged_in_on(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:login")).url == reverse("events:mine")
    assert client.get(reverse("accounts:login") + "?next=/my-orders/").url == "/my-orders/"
