"""An invite is to an address, and every spelling of it (NFKC, case-folded) is that one address:
a look-alike account cannot exist beside the invitee's, so it cannot claim the invite."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from accounts.models import User
from accounts.tests.helpers import link_token
from events import services
from events.factories import EventFactory
from events.models import Role, RoleInvite, UsersEventsRoles
from openevent.errors import Conflict

KATE = "kate@evil.test"
KELVIN_KATE = "\u212aate@evil.test"  # `Kate@evil.test` written with the Kelvin sign for its K
ACCEPT = "/v1/role-invites/accept-invite"


def invite_kate(mailoutbox, email=KATE, role_name=Role.ORGANIZER) -> tuple[RoleInvite, str]:
    owner = UserFactory(email="owner@example.com")
    event = EventFactory(owner=owner, name="Kate's conference")
    invite = services.create_invite(owner, event, email=email, role_name=role_name)
    return invite, link_token(mailoutbox[-1], "/invites/")


@pytest.mark.django_db
def test_a_kelvin_sign_look_alike_cannot_claim_kates_invite_with_her_token(api, mailoutbox):
    """The attack: `Kate@evil.test` with a Kelvin sign, registered beside kate, accepted her invite."""
    kate = UserFactory(email=KATE)
    invite, token = invite_kate(mailoutbox)
    registered = api.post(
        "/v1/users",
        {"data": {"type": "user", "attributes": {"email": KELVIN_KATE, "password": "mallory-passphrase-1"}}},
    )
    assert registered.status_code == 422, registered.content
    login = api.post("/v1/auth/login", {"email": KELVIN_KATE, "password": "mallory-passphrase-1"}, plain=True)
    assert login.status_code == 401  # the spelling is kate's address, and that is not kate's password

    mallory = UserFactory(email="mallory@evil.test", is_verified=True)
    assert api.as_user(mallory).post(ACCEPT, {"data": {"token": token}}, plain=True).status_code == 403
    assert not UsersEventsRoles.objects.filter(user=mallory).exists()

    assert api.as_user(kate).post(ACCEPT, {"data": {"token": token}}, plain=True).status_code == 200
    assert UsersEventsRoles.objects.get(event=invite.event, role__name=Role.ORGANIZER).user == kate


@pytest.mark.django_db
def test_a_look_alike_registered_before_the_invitee_is_her_address_and_mails_her(api, mailoutbox):
    """Registered first, the look-alike is kate@evil.test: its confirmation link goes to kate."""
    invite, _ = invite_kate(mailoutbox)
    api.post(
        "/v1/users",
        {"data": {"type": "user", "attributes": {"email": KELVIN_KATE, "password": DEFAULT_PASSWORD}}},
    )
    assert mailoutbox[-1].to == [KATE]
    squatter = User.objects.get(email=KATE)
    assert not squatter.is_verified
    document = {"data": {"type": "role-invite", "id": str(invite.pk), "attributes": {"status": "accepted"}}}
    assert api.as_user(squatter).patch(f"/v1/role-invites/{invite.pk}", document).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", [KELVIN_KATE, "KATE@EVIL.TEST", "\uff4bate@evil.test"])
def test_an_invite_to_another_spelling_is_the_same_pending_invite(mailoutbox, spelling):
    invite, _ = invite_kate(mailoutbox)
    owner = invite.invited_by
    with pytest.raises(Conflict):
        services.create_invite(owner, invite.event, email=spelling, role_name=Role.ORGANIZER)
    assert list(RoleInvite.objects.values_list("email", flat=True)) == [KATE]
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_an_invite_is_stored_and_mailed_in_the_normalized_spelling_and_found_by_its_invitee(api, mailoutbox):
    invite, _ = invite_kate(mailoutbox, email=KELVIN_KATE)
    assert invite.email == KATE
    assert mailoutbox[-1].to == [KATE]
    kate = UserFactory(email="Kate@Evil.Test", is_verified=True)
    listed = api.as_user(kate).get("/v1/role-invites").json()["data"]
    assert [item["id"] for item in listed] == [str(invite.pk)]


@pytest.mark.django_db
def test_inviting_a_role_holder_by_another_spelling_conflicts(mailoutbox):
    kate = UserFactory(email=KATE)
    invite, _ = invite_kate(mailoutbox)
    services.grant_role(kate, invite.event, Role.MODERATOR)
    with pytest.raises(Conflict):
        services.create_invite(invite.invited_by, invite.event, email=KELVIN_KATE, role_name=Role.MODERATOR)


@pytest.mark.django_db
def test_readdressing_an_invite_to_another_spelling_keeps_its_link_and_address(mailoutbox):
    invite, _ = invite_kate(mailoutbox)
    token_hash = invite.token_hash
    updated = services.update_invite(invite.invited_by, invite, email=KELVIN_KATE)
    assert (updated.email, updated.token_hash) == (KATE, token_hash)
    assert RoleInvite.objects.get().email == KATE
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_pending_invite_in_another_spelling(mailoutbox):
    invite, _ = invite_kate(mailoutbox)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleInvite.objects.create(
            email=KELVIN_KATE,
            event=invite.event,
            role=invite.role,
            token_hash="0" * 64,
            expires_at=invite.expires_at,
        )


# The migration that normalizes stored invite addresses

BEFORE = ("events", "0005_bound_event_dates")
NORMALIZING = ("events", "0006_normalized_invite_emails")
SharedInviteAddresses = importlib.import_module(
    "events.migrations.0006_normalized_invite_emails"
).SharedInviteAddresses


@pytest.fixture
def old_invites(transactional_db):
    """RoleInvite as it was before the migration, in a database migrated back to then; the
    database is migrated forward to the latest again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield executor.loader.project_state([BEFORE]).apps.get_model("events", "RoleInvite").objects
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def old_invite(old_invites, event, email, number, status="pending"):
    now = timezone.now()
    return old_invites.create(
        email=email,
        event_id=event.pk,
        role_id=Role.objects.get(name=Role.ORGANIZER).pk,
        status=status,
        token_hash=f"{number:064x}",
        created_at=now,
        expires_at=now + services.INVITE_VALID_FOR,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_rewrites_stored_invite_addresses_normalized(old_invites):
    event = EventFactory()
    pending = old_invite(old_invites, event, KELVIN_KATE, 1)
    answered = old_invite(old_invites, event, "Grace@Example.COM", 2, status="declined")
    MigrationExecutor(connection).migrate([NORMALIZING])
    emails = dict(RoleInvite.objects.values_list("pk", "email"))
    assert emails == {pending.pk: KATE, answered.pk: "grace@example.com"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pending_invites_that_share_a_normalized_address_stop_the_migration_and_are_named(old_invites):
    event = EventFactory()
    first = old_invite(old_invites, event, KATE, 1)
    look_alike = old_invite(old_invites, event, "\uff4bate@evil.test", 2)
    old_invite(old_invites, event, "\uff4bate@evil.test", 3, status="declined")  # answered: no conflict
    with pytest.raises(SharedInviteAddresses, match="share an email address") as error:
        MigrationExecutor(connection).migrate([NORMALIZING])
    assert f"invite {first.pk} 'kate@evil.test'" in str(error.value)
    assert f"invite {look_alike.pk} '\\uff4bate@evil.test'" in str(error.value)
    assert not MigrationRecorder(connection).migration_qs.filter(app="events", name=NORMALIZING[1]).exists()
    assert old_invites.filter(email="\uff4bate@evil.test").count() == 2

    old_invites.filter(pk=look_alike.pk).delete()  # the operator withdraws one
    MigrationExecutor(connection).migrate([NORMALIZING])
    assert set(RoleInvite.objects.values_list("email", flat=True)) == {KATE}
