"""Team changes racing each other, on PostgreSQL (SQLite runs one writer at a time anyway).

Each round starts two requests at the same instant; whatever order the database lets them
finish in, the guardian permissions must be exactly what the remaining role rows grant."""

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from django.db import connection

from accounts.factories import UserFactory
from conftest import JSONClient
from events import permissions, services
from events.factories import EventFactory
from events.models import EventUserObjectPermission, Role, UsersEventsRoles

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keep the migrations' roles
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL"),
]
ROUNDS = 8


def at_once(*actions):
    """Run the actions in threads released together; re-raise what any of them raised."""
    barrier = threading.Barrier(len(actions))

    def run(action):
        barrier.wait()
        try:
            return action()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(actions)) as pool:
        return [future.result() for future in [pool.submit(run, action) for action in actions]]


def assert_in_step(user, event):
    roles = UsersEventsRoles.objects.filter(user=user, event=event).values_list("role__name", flat=True)
    granted = set().union(*(permissions.ROLE_PERMISSIONS[name] for name in roles))
    held = EventUserObjectPermission.objects.filter(user=user, content_object=event)
    assert set(held.values_list("permission__codename", flat=True)) == granted


def test_removing_and_granting_roles_at_once_keeps_permissions_in_step():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    for round_number in range(ROUNDS):
        member = UserFactory(email=f"member{round_number}@example.com")
        services.grant_role(member, event, Role.ORGANIZER)
        row = UsersEventsRoles.objects.get(user=member, event=event)
        at_once(
            partial(services.remove_role, owner, row),
            partial(services.grant_role, member, event, Role.MODERATOR),
        )
        assert list(UsersEventsRoles.objects.filter(user=member).values_list("role__name", flat=True)) == [
            Role.MODERATOR
        ]
        assert_in_step(member, event)
        assert not permissions.is_event_admin(member, event)


def test_accepting_one_invite_twice_at_once_makes_one_role():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    for round_number in range(ROUNDS):
        invitee = UserFactory(email=f"invitee{round_number}@example.com", is_verified=True)
        invite = services.create_invite(owner, event, email=invitee.email, role_name=Role.COORGANIZER)
        accept = partial(services.answer_invite, invitee, invite, "accepted")
        at_once(accept, accept)
        assert UsersEventsRoles.objects.filter(user=invitee, event=event).count() == 1
        assert_in_step(invitee, event)


def test_two_organizers_changing_different_fields_at_once_keep_both_changes():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    api = JSONClient().as_user(owner)

    def patch(**attributes):
        document = {"data": {"type": "event", "id": str(event.pk), "attributes": attributes}}
        return lambda: api.patch(f"/v1/events/{event.pk}", document).status_code

    for round_number in range(ROUNDS):
        name, place = f"Renamed {round_number}", f"Hall {round_number}"
        assert at_once(patch(name=name), patch(**{"location-name": place})) == [200, 200]
        event.refresh_from_db()
        assert (event.name, event.location_name) == (name, place), f"round {round_number}"
