from dataclasses import dataclass

import pytest

from accounts.factories import UserFactory
from events import services
from events.factories import EventFactory, EventTopicFactory
from events.models import Event, EventTopic, Role, RoleInvite, UsersEventsRoles

EVENT_ROLES = [
    Role.ORGANIZER,
    Role.COORGANIZER,
    Role.TRACK_ORGANIZER,
    Role.MODERATOR,
    Role.REGISTRAR,
    Role.ATTENDEE,
]


@dataclass
class World:
    """A draft event with a user in every role and a pending invite; a published event of the
    same owner (no other roles); another owner's draft event; a topic."""

    users: dict
    event: Event
    published_event: Event
    other_event: Event
    invite: RoleInvite
    invite_token: str
    topic: EventTopic

    def role_row(self, role_name: str) -> UsersEventsRoles:
        return UsersEventsRoles.objects.get(event=self.event, role__name=role_name)


@pytest.fixture
def world(db, mailoutbox) -> World:
    from accounts.tests.helpers import link_token

    users = {"owner": UserFactory(email="owner@example.com")}
    event = EventFactory(owner=users["owner"], state=Event.State.DRAFT, name="Draft conference")
    for role_name in EVENT_ROLES:
        users[role_name] = UserFactory(email=f"{role_name}@example.com")
        services.grant_role(users[role_name], event, role_name)
    published_event = EventFactory(owner=users["owner"], name="Published conference")
    users["other_event_owner"] = UserFactory(email="other-owner@example.com")
    other_event = EventFactory(
        owner=users["other_event_owner"], state=Event.State.DRAFT, name="Another event"
    )
    users["user"] = UserFactory(email="someone@example.com")
    users["invitee"] = UserFactory(email="invitee@example.com", is_verified=True)
    users["site_admin"] = UserFactory(email="admin@example.com", is_staff=True)
    users["anonymous"] = None
    invite = services.create_invite(
        users["owner"], event, email="Invitee@example.com", role_name=Role.ORGANIZER
    )
    token = link_token(mailoutbox[-1], "/invites/")
    mailoutbox.clear()
    return World(users, event, published_event, other_event, invite, token, EventTopicFactory())
