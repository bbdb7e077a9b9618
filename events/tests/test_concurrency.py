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
from events.models import Event, EventUserObjectPermission, Role, UsersEventsRoles
from openevent.errors import CLASHED
from openevent.tests.races import run_just_before_the_delete
from speakers.factories import SessionFactory, SpeakerFactory
from speakers.models import Session, Speaker

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


def _part_of(event, resource: str, name: str) -> dict:
    event_link = {"event": {"data": {"type": "event", "id": str(event.pk)}}}
    return {"data": {"type": resource, "attributes": {"name": name}, "relationships": event_link}}


@pytest.mark.parametrize(
    ("path", "resource"), [("/v1/microlocations", "microlocation"), ("/v1/tracks", "track")]
)
def test_an_event_deleted_as_a_part_of_it_is_added_is_deleted_and_the_addition_a_409(path, resource):
    """A room or track committed right before Django's DELETE of its event (after it deleted the
    parts it found) broke the deletion's commit: a 500 (up to 13 of 20 tries in the outside attack)."""
    owner = UserFactory()
    event = EventFactory(owner=owner)
    api = JSONClient().as_user(owner)
    adding = run_just_before_the_delete(
        partial(services.delete_event, owner, Event.objects.get(pk=event.pk)),
        Event,
        lambda: api.post(path, _part_of(event, resource, "Added meanwhile")),
    )
    response = adding.result()
    assert response.status_code == 409, response.content
    assert response.json()["errors"][0]["detail"] == CLASHED
    assert not Event.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("deleted_just_before", [Session, Speaker])
def test_an_event_deleted_as_a_speaker_is_linked_to_a_session_is_deleted(deleted_just_before):
    """A speaker's link to a session of an event being deleted deadlocked with the deletion, or
    committed past it and broke its commit: a 500 for one of the two (15 of 20 tries in the
    outside attack). The deletion wins; the link is a 200 (deleted along), a 404 or a 409."""
    owner = UserFactory()
    event = EventFactory(owner=owner)
    session = SessionFactory(event=event, state=Session.State.ACCEPTED)
    speaker = SpeakerFactory(event=event, sessions=[])
    api = JSONClient().as_user(owner)
    sessions = {"sessions": {"data": [{"type": "session", "id": str(session.pk)}]}}
    document = {"data": {"type": "speaker", "id": str(speaker.pk), "relationships": sessions}}
    linking = run_just_before_the_delete(
        partial(services.delete_event, owner, Event.objects.get(pk=event.pk)),
        deleted_just_before,
        lambda: api.patch(f"/v1/speakers/{speaker.pk}", document),
    )
    assert linking.result().status_code in (200, 404, 409), linking.result().content
    assert not Event.objects.filter(pk=event.pk).exists()
    assert not Speaker.sessions.through.objects.exists()
