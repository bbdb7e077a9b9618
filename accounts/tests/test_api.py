from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import PasswordResetToken, User

from .helpers import reset_link_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase"
RESET_URL = "/v1/auth/reset-password"


def user_document(**attributes):
    return {"data": {"type": "user", "attributes": attributes}}


def error_pointers(response) -> list[str | None]:
    return [error.get("source", {}).get("pointer") for error in response.json()["errors"]]


def ask_reset(api, email="ada@example.com", **extra):
    return api.post(RESET_URL, {"data": {"email": email}}, plain=True, **extra)


def reset_token(api, mailoutbox, email="ada@example.com") -> str:
    ask_reset(api, email)
    return reset_link_in(mailoutbox[-1])["token"]


def log_in(api, password=DEFAULT_PASSWORD, email="ada@example.com"):
    return api.post("/v1/auth/login", {"email": email, "password": password}, plain=True)


def set_password(api, token, password=NEW_PASSWORD):
    return api.patch(RESET_URL, {"data": {"token": token, "password": password}}, plain=True)


# Registration


def test_register_returns_the_user_without_its_password(api):
    response = api.post(
        "/v1/users",
        user_document(email="grace@example.com", password=DEFAULT_PASSWORD, **{"first-name": "Grace"}),
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/vnd.api+json"
    data = response.json()["data"]
    assert data["type"] == "user"
    assert data["attributes"]["email"] == "grace@example.com"
    assert data["attributes"]["first-name"] == "Grace"
    assert data["attributes"]["is-verified"] is False
    assert "password" not in data["attributes"]
    assert User.objects.get(pk=data["id"]).check_password(DEFAULT_PASSWORD)


def test_register_refuses_a_weak_password_with_a_pointer(api):
    response = api.post("/v1/users", user_document(email="grace@example.com", password="123"))
    assert response.status_code == 422
    assert error_pointers(response)
    assert set(error_pointers(response)) == {"/data/attributes/password"}
    assert response.json()["errors"][0]["status"] == "422"
    assert not User.objects.exists()


def test_register_refuses_a_taken_address(api, user):
    response = api.post("/v1/users", user_document(email="Ada@Example.com", password=DEFAULT_PASSWORD))
    assert response.status_code == 422
    assert error_pointers(response) == ["/data/attributes/email"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ("[]", 400),
        ({"data": {"type": "user"}}, 422),
        ({"data": {"type": "user", "attributes": {"email": "not-an-address", "password": "x" * 20}}}, 422),
        ({"data": {"type": "event", "attributes": {"email": "a@example.com", "password": "x" * 20}}}, 409),
        ({"data": {"type": "user", "attributes": {"email": ["a@example.com"], "password": {"x": 1}}}}, 422),
        ({"data": "user"}, 400),
    ],
)
def test_register_answers_malformed_bodies_with_an_error_document(api, body, status):
    response = api.post("/v1/users", body)
    assert response.status_code == status, response.content
    assert response.json()["errors"]
    assert not User.objects.exists()


def test_register_refuses_an_overlong_password(api):
    response = api.post("/v1/users", user_document(email="grace@example.com", password="x" * 5000))
    assert response.status_code == 422
    assert error_pointers(response) == ["/data/attributes/password"]


def test_register_with_plain_json_is_unsupported_media_type(api):
    document = user_document(email="a@example.com", password=DEFAULT_PASSWORD)
    response = api.post("/v1/users", document, plain=True)
    assert response.status_code == 415
    assert response.json()["errors"][0]["status"] == "415"


def test_registrations_are_rate_limited_per_ip_with_429(api, settings, mailoutbox):
    settings.REGISTRATION_LIMIT_PER_IP = 2
    for number in range(2):
        document = user_document(email=f"person{number}@example.com", password=DEFAULT_PASSWORD)
        assert api.post("/v1/users", document).status_code == 201
    response = api.post("/v1/users", user_document(email="person2@example.com", password=DEFAULT_PASSWORD))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["status"] == "429"
    assert not User.objects.filter(email="person2@example.com").exists()
    assert len(mailoutbox) == 2


def test_registrations_are_rate_limited_per_address_with_429(api, settings, mailoutbox):
    settings.REGISTRATION_LIMIT_PER_EMAIL = 1
    api.post("/v1/users", user_document(email="grace@example.com", password="123"), REMOTE_ADDR="10.4.0.1")
    document = user_document(email="Grace@example.com", password=DEFAULT_PASSWORD)
    response = api.post("/v1/users", document, REMOTE_ADDR="10.4.0.2")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not User.objects.exists()
    assert mailoutbox == []


# Login and tokens


def test_login_returns_tokens_that_authenticate_with_jwt_and_bearer(api, user):
    response = log_in(api)
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access_token", "refresh_token"}
    for scheme in ["JWT", "Bearer"]:
        me = api.get("/v1/users/me", HTTP_AUTHORIZATION=f"{scheme} {tokens['access_token']}")
        assert me.status_code == 200
        assert me.json()["data"]["id"] == str(user.pk)


@pytest.mark.parametrize(
    "credentials",
    [{"email": "ada@example.com", "password": "wrong"}, {"email": "nobody@example.com", "password": "x"}],
)
def test_login_with_wrong_credentials_is_401(api, user, credentials):
    response = api.post("/v1/auth/login", credentials, plain=True)
    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == "401"


@pytest.mark.parametrize(
    ("body", "status", "pointers"),
    [
        ({"email": "ada@example.com"}, 422, ["/password"]),
        ({}, 422, ["/email", "/password"]),
        ([1, 2], 422, [None]),
        ("nope", 400, [None]),
    ],
)
def test_login_with_a_malformed_body_is_an_error_with_pointers(api, body, status, pointers):
    response = api.post("/v1/auth/login", body, plain=True)
    assert response.status_code == status
    assert sorted(error_pointers(response), key=str) == pointers


def test_refresh_returns_a_new_access_token(api, user):
    tokens = log_in(api).json()
    response = api.post("/v1/auth/token/refresh", {"refresh_token": tokens["refresh_token"]}, plain=True)
    assert response.status_code == 200
    access = response.json()["access_token"]
    assert api.get("/v1/users/me", HTTP_AUTHORIZATION=f"JWT {access}").status_code == 200


@pytest.mark.parametrize(
    ("body", "status"), [({"refresh_token": "garbage"}, 401), ({"refresh_token": ""}, 422), ({}, 422)]
)
def test_refresh_with_a_bad_token_is_refused(api, body, status):
    response = api.post("/v1/auth/token/refresh", body, plain=True)
    assert response.status_code == status
    assert response.json()["errors"][0]["status"] == str(status)


def test_guessing_passwords_is_stopped_with_429(api, user, settings):
    settings.LOGIN_LIMIT_PER_EMAIL = 3
    for _ in range(3):
        assert log_in(api, "guess").status_code == 401
    response = log_in(api)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["status"] == "429"


def test_an_access_token_cannot_be_used_as_a_refresh_token(api, user):
    tokens = log_in(api).json()
    response = api.post("/v1/auth/token/refresh", {"refresh_token": tokens["access_token"]}, plain=True)
    assert response.status_code == 401


def test_an_expired_access_token_is_401(api, user, settings):
    tokens = log_in(api).json()
    later = timezone.now() + settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(minutes=1)
    with time_machine.travel(later):
        response = api.get("/v1/users/me", HTTP_AUTHORIZATION=f"JWT {tokens['access_token']}")
    assert response.status_code == 401


# Users


def test_me_is_401_for_anonymous(api):
    response = api.get("/v1/users/me")
    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == "401"


def test_a_user_reads_themself_but_nobody_else(api, user):
    other = UserFactory()
    api.as_user(user)
    assert api.get(f"/v1/users/{user.pk}").status_code == 200
    response = api.get(f"/v1/users/{other.pk}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_a_site_admin_reads_and_renames_anybody(api, user, site_admin):
    api.as_user(site_admin)
    assert api.get(f"/v1/users/{user.pk}").json()["data"]["attributes"]["email"] == "ada@example.com"
    response = api.patch(
        f"/v1/users/{user.pk}",
        {"data": {"type": "user", "id": str(user.pk), "attributes": {"last-name": "Byron"}}},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.last_name == "Byron"


def test_anonymous_reads_nobody(api, user):
    assert api.get(f"/v1/users/{user.pk}").status_code == 401


def test_patch_renames_but_keeps_email_and_password(api, user):
    api.as_user(user)
    response = api.patch(
        f"/v1/users/{user.pk}",
        {
            "data": {
                "type": "user",
                "id": str(user.pk),
                "attributes": {"first-name": "Augusta", "email": "evil@example.com", "password": "x"},
            }
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["attributes"]["first-name"] == "Augusta"
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Augusta", "ada@example.com")
    assert user.check_password(DEFAULT_PASSWORD)


def test_patch_of_another_user_is_404_and_changes_nothing(api, user):
    other = UserFactory(first_name="Other")
    api.as_user(user)
    response = api.patch(
        f"/v1/users/{other.pk}",
        {"data": {"type": "user", "id": str(other.pk), "attributes": {"first-name": "Hacked"}}},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.first_name == "Other"


@pytest.mark.parametrize("path", ["/v1/users/abc", "/v1/users/99999999999999999999999"])
def test_odd_user_ids_are_404(api, user, path):
    api.as_user(user)
    assert api.get(path).status_code == 404


# Password reset


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(api, user, mailoutbox):
    known = ask_reset(api, "ada@example.com")
    unknown = ask_reset(api, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert "message" in known.json()
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]


def test_reset_requests_are_rate_limited_with_429(api, user, settings, mailoutbox):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    assert ask_reset(api).status_code == 200
    assert ask_reset(api).status_code == 200
    response = ask_reset(api)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["status"] == "429"
    assert len(mailoutbox) == 2


def test_reset_requests_are_rate_limited_per_ip(api, db, settings, mailoutbox):
    UserFactory(email="three@example.com")
    settings.PASSWORD_RESET_LIMIT_PER_IP = 2
    ask_reset(api, "one@example.com", REMOTE_ADDR="198.51.100.1")
    ask_reset(api, "two@example.com", REMOTE_ADDR="198.51.100.1")
    assert ask_reset(api, "three@example.com", REMOTE_ADDR="198.51.100.1").status_code == 429
    assert mailoutbox == []
    assert not PasswordResetToken.objects.filter(user__isnull=False).exists()
    assert ask_reset(api, "three@example.com", REMOTE_ADDR="198.51.100.2").status_code == 200
    assert len(mailoutbox) == 1


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(api, db, settings):
    settings.TRUSTED_PROXIES = 1
    settings.PASSWORD_RESET_LIMIT_PER_IP = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    assert ask_reset(api, "a@example.com", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 200
    assert ask_reset(api, "b@example.com", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    assert ask_reset(api, "b@example.com", HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200


def test_ipv6_clients_are_limited_by_their_64_network(api, db, settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 1
    assert ask_reset(api, "a@example.com", REMOTE_ADDR="2001:db8:1:2::1").status_code == 200
    assert ask_reset(api, "b@example.com", REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert ask_reset(api, "b@example.com", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_reset_sets_the_password_and_answers_who(api, user, mailoutbox):
    response = set_password(api, reset_token(api, mailoutbox))
    assert response.status_code == 200
    assert response.json() == {"id": str(user.pk), "email": "ada@example.com", "name": "Ada Lovelace"}
    login = log_in(api, NEW_PASSWORD)
    assert login.status_code == 200


def test_a_reset_token_works_once(api, user, mailoutbox):
    token = reset_token(api, mailoutbox)
    assert set_password(api, token).status_code == 200
    response = set_password(api, token, "another-fine-passphrase")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_an_expired_reset_token_is_404(api, user, mailoutbox, settings):
    token = reset_token(api, mailoutbox)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)):
        assert set_password(api, token).status_code == 404
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_weak_new_password_is_422_with_a_pointer(api, user, mailoutbox):
    response = set_password(api, reset_token(api, mailoutbox), "password")
    assert response.status_code == 422
    assert set(error_pointers(response)) == {"/data/password"}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_a_completed_reset_revokes_old_access_and_refresh_tokens(api, user, mailoutbox):
    old = log_in(api).json()
    assert api.get("/v1/users/me", HTTP_AUTHORIZATION=f"JWT {old['access_token']}").status_code == 200
    set_password(api, reset_token(api, mailoutbox))

    assert api.get("/v1/users/me", HTTP_AUTHORIZATION=f"JWT {old['access_token']}").status_code == 401
    refresh = api.post("/v1/auth/token/refresh", {"refresh_token": old["refresh_token"]}, plain=True)
    assert refresh.status_code == 401
    new = log_in(api, NEW_PASSWORD).json()
    assert api.get("/v1/users/me", HTTP_AUTHORIZATION=f"JWT {new['access_token']}").status_code == 200


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [
        ("post", "{", 400),
        ("post", {"email": "ada@example.com"}, 422),
        ("post", {"data": "ada@example.com"}, 422),
        ("post", {"data": {"email": "not-an-address"}}, 422),
        ("post", {"data": {}}, 422),
        ("patch", {"data": {"token": "abc"}}, 422),
        ("patch", {"data": {"password": NEW_PASSWORD}}, 422),
        ("patch", {"data": {"token": ["abc"], "password": 5}}, 422),
        ("patch", {"data": {"token": "x" * 1000, "password": NEW_PASSWORD}}, 422),
        ("patch", [], 422),
        ("post", {"data": {"email": "a@example.com" + "x" * 5000}}, 422),
    ],
)
def test_reset_answers_malformed_bodies_without_writing(api, user, method, body, status, mailoutbox):
    response = getattr(api, method)(RESET_URL, body, plain=True)
    assert response.status_code == status, response.content
    assert response.json()["errors"]
    assert mailoutbox == []
    assert not PasswordResetToken.objects.exists()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
