"""The migration that normalizes stored addresses, run by Django's migration executor on a
database holding accounts from before it."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("accounts", "0001_initial")
NORMALIZING = ("accounts", "0002_normalized_emails")
SharedAddresses = importlib.import_module("accounts.migrations.0002_normalized_emails").SharedAddresses


@pytest.fixture
def old_users():
    """The User model as it was before the migration, in a database migrated back to then;
    the database is migrated forward to the latest again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield executor.loader.project_state([BEFORE]).apps.get_model("accounts", "User").objects
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward() -> None:
    MigrationExecutor(connection).migrate([NORMALIZING])


def applied() -> bool:
    return MigrationRecorder(connection).migration_qs.filter(app=NORMALIZING[0], name=NORMALIZING[1]).exists()


def test_existing_addresses_are_rewritten_in_their_normalized_spelling(old_users):
    grace = old_users.create(email="Grace@Example.COM", date_joined=timezone.now())
    kate = old_users.create(email="\u212aate@evil.test", date_joined=timezone.now())
    ada = old_users.create(email="ada@example.com", date_joined=timezone.now())
    migrate_forward()
    emails = dict(User.objects.values_list("pk", "email"))
    assert emails == {grace.pk: "grace@example.com", kate.pk: "kate@evil.test", ada.pk: "ada@example.com"}


def test_accounts_that_share_a_normalized_address_stop_the_migration_and_are_named(old_users):
    """Which of them owns the address is for a person to say: nothing changes, nobody is lost."""
    now = timezone.now()
    kate = old_users.create(email="kate@evil.test", date_joined=now, is_verified=True)
    look_alike = old_users.create(email="\uff4bate@evil.test", date_joined=now)  # a full-width k
    grace = old_users.create(email="Grace@Example.com", date_joined=now)
    with pytest.raises(SharedAddresses, match="share an email address") as error:
        migrate_forward()
    message = str(error.value)
    assert f"user {kate.pk} 'kate@evil.test'" in message
    assert f"user {look_alike.pk} '\\uff4bate@evil.test'" in message
    assert "Grace" not in message
    assert "Nothing was changed" in message
    assert not applied()
    assert set(old_users.values_list("email", flat=True)) == {
        "kate@evil.test",
        "\uff4bate@evil.test",
        "Grace@Example.com",
    }

    old_users.filter(pk=look_alike.pk).update(email="kate-look-alike@example.com")  # what the operator does
    migrate_forward()
    assert applied()
    assert User.objects.get(pk=grace.pk).email == "grace@example.com"
    assert User.objects.count() == 3
