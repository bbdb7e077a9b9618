from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts import services as account_services
from accounts.factories import UserFactory
from accounts.models import PasswordResetToken
from events import services as event_services
from events.factories import EventFactory
from events.models import Role, RoleInvite
from orders.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_purging_keeps_what_still_works_and_the_record_of_answers(user):
    owner = UserFactory()
    event = EventFactory(owner=owner)
    account_services.request_password_reset(email=user.email, ip_address="10.0.0.1")
    event_services.create_invite(owner, event, email="old@example.com", role_name=Role.MODERATOR)
    declined = event_services.create_invite(owner, event, email="no@example.com", role_name=Role.MODERATOR)
    event_services.answer_invite(UserFactory(email="no@example.com"), declined, "declined", with_token=True)
    IdempotencyKey.objects.create(user=user, key="checkout-1", fingerprint="0" * 64)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        account_services.request_password_reset(email=user.email, ip_address="10.0.0.2")  # still valid
        IdempotencyKey.objects.create(user=user, key="checkout-2", fingerprint="0" * 64)
        out = StringIO()
        call_command("purge_expired", stdout=out)
    assert "Reset tokens deleted: 1" in out.getvalue()
    assert "Expired invites deleted: 1" in out.getvalue()
    assert "Idempotency keys deleted: 1" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["checkout-2"]
    assert PasswordResetToken.objects.count() == 1
    assert list(RoleInvite.objects.values_list("email", flat=True)) == ["no@example.com"]
