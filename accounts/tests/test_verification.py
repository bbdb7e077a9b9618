from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone

from accounts import services
from accounts.factories import DEFAULT_PASSWORD
from accounts.models import User
from accounts.tests.helpers import link_token, reset_link_in

pytestmark = pytest.mark.django_db


def register(email="grace@example.com"):
    return services.register_user(email=email, password=DEFAULT_PASSWORD, ip_address="10.0.0.1")


def test_registering_mails_a_confirmation_link_that_verifies_the_address(client, mailoutbox):
    user = register()
    assert not user.is_verified
    message = mailoutbox[0]
    assert message.to == ["grace@example.com"]
    assert message.alternatives[0][1] == "text/html"
    link = urlsplit(message.body[message.body.index("http") :].split()[0])
    response = client.get(f"{link.path}?{link.query}")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_verified


@pytest.mark.parametrize("token", ["", "forged", "eyJpZCI6MX0:1abc:def"])
def test_a_bad_confirmation_link_verifies_nothing(client, token):
    user = register()
    assert client.get(f"/verify-email/?token={token}").status_code == 404
    user.refresh_from_db()
    assert not user.is_verified


def test_a_confirmation_link_expires(mailoutbox, settings):
    user = register()
    token = link_token(mailoutbox[0], "/verify-email", separator="?token=")
    later = timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT + 1)
    with time_machine.travel(later), pytest.raises(services.InvalidVerificationToken):
        services.verify_email(token=token)
    user.refresh_from_db()
    assert not user.is_verified


def test_the_api_verifies_and_resends(api, mailoutbox, settings):
    settings.EMAIL_VERIFICATION_LIMIT = 2
    user = register()
    token = link_token(mailoutbox[0], "/verify-email", separator="?token=")
    api.as_user(user)
    assert api.post("/v1/auth/verify-email/resend", plain=True).status_code == 200
    assert len(mailoutbox) == 2
    assert api.post("/v1/auth/verify-email/resend", plain=True).status_code == 429
    response = api.post("/v1/auth/verify-email", {"data": {"token": token}}, plain=True)
    assert response.status_code == 200
    assert response.json() == {"id": str(user.pk), "email": user.email, "is_verified": True}
    assert api.post("/v1/auth/verify-email", {"data": {"token": "x"}}, plain=True).status_code == 404


def test_a_completed_password_reset_also_confirms_the_address(mailoutbox):
    user = register()
    services.request_password_reset(email=user.email, ip_address="10.0.0.1")
    services.reset_password(token=reset_link_in(mailoutbox[-1])["token"], password="a-brand-new-passphrase")
    assert User.objects.get(pk=user.pk).is_verified


def test_the_profile_page_resends_the_link(client, mailoutbox):
    user = register()
    client.force_login(user)
    response = client.post("/account/verify/", follow=True)
    assert b"A new confirmation link is on its way" in response.content
    assert len(mailoutbox) == 2
