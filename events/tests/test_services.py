import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.tests.helpers import link_token
from events import permissions, services
from events.factories import EventFactory
from events.models import Event, EventUserObjectPermission, Role, RoleInvite, UsersEventsRoles
from openevent.errors import Conflict, Forbidden, NotFound
from openevent.ratelimit import RateLimited

pytestmark = pytest.mark.django_db


def held_permissions(user, event) -> set[str]:
    return set(
        EventUserObjectPermission.objects.filter(user=user, content_object=event).values_list(
            "permission__codename", flat=True
        )
    )


def test_creating_an_event_makes_the_creator_its_owner():
    owner = UserFactory()
    event = EventFactory(owner=owner, state=Event.State.DRAFT)
    assert UsersEventsRoles.objects.get(event=event).role.name == Role.OWNER
    assert held_permissions(owner, event) == {"view_event", "change_event", "delete_event"}
    assert permissions.is_event_owner(owner, event)


def test_an_event_must_end_after_it_starts():
    start = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.create_event(UserFactory(), Event(name="Backwards", starts_at=start, ends_at=start))
    assert "ends_at" in error.value.message_dict
    assert not Event.objects.exists()


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError) as error:
        EventFactory(timezone="Mars/Olympus_Mons")
    assert "timezone" in error.value.message_dict


def test_roles_are_scoped_to_their_own_event():
    owner, other_owner = UserFactory(), UserFactory()
    event, other_event = EventFactory(owner=owner), EventFactory(owner=other_owner, state=Event.State.DRAFT)
    assert permissions.is_event_admin(owner, event)
    assert not permissions.is_event_admin(owner, other_event)
    assert not permissions.can_view_event(owner, other_event)
    assert list(permissions.administered_events(owner)) == [event]


def invite(event, email="new@example.com", role_name=Role.ORGANIZER, actor=None):
    owner = actor or UsersEventsRoles.objects.get(event=event, role__name=Role.OWNER).user
    return services.create_invite(owner, event, email=email, role_name=role_name)


def test_an_invite_mails_a_single_use_link_and_stores_only_its_hash(mailoutbox):
    event = EventFactory(name="PyCon")
    role_invite = invite(event, email="New@Example.com")
    token = link_token(mailoutbox[0], "/invites/")
    assert mailoutbox[0].to == ["new@example.com"]
    assert "PyCon" in mailoutbox[0].subject
    assert mailoutbox[0].alternatives[0][1] == "text/html"
    assert role_invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in str(value) for value in RoleInvite.objects.values_list().get())
    assert role_invite.expires_at - role_invite.created_at == timedelta(days=7)


def test_accepting_grants_the_role_once(mailoutbox):
    event = EventFactory(state=Event.State.DRAFT)
    invitee = UserFactory(email="new@example.com", is_verified=True)
    role_invite = invite(event, email="NEW@example.com")
    services.answer_invite(invitee, role_invite, "accepted")
    services.answer_invite(invitee, role_invite, "accepted")  # a double click changes nothing
    assert UsersEventsRoles.objects.filter(user=invitee, event=event).count() == 1
    assert permissions.is_event_admin(invitee, event)
    assert RoleInvite.objects.get().status == "accepted"


def test_only_the_invited_address_may_answer():
    event = EventFactory()
    role_invite = invite(event)
    with pytest.raises(Forbidden):
        services.answer_invite(
            UserFactory(email="someone-else@example.com", is_verified=True),
            role_invite,
            "accepted",
            with_token=True,
        )
    assert RoleInvite.objects.get().status == "pending"
    assert UsersEventsRoles.objects.filter(event=event).count() == 1


def test_an_answered_invite_cannot_be_answered_the_other_way():
    event = EventFactory()
    invitee = UserFactory(email="new@example.com", is_verified=True)
    role_invite = invite(event)
    services.answer_invite(invitee, role_invite, "declined")
    with pytest.raises(Conflict):
        services.answer_invite(invitee, role_invite, "accepted")
    assert not UsersEventsRoles.objects.filter(user=invitee).exists()


def test_an_expired_invite_cannot_be_accepted():
    event = EventFactory()
    invitee = UserFactory(email="new@example.com", is_verified=True)
    role_invite = invite(event)
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)), pytest.raises(NotFound):
        services.answer_invite(invitee, role_invite, "accepted")
    assert not UsersEventsRoles.objects.filter(user=invitee).exists()


def test_an_unknown_invite_token_is_not_found():
    with pytest.raises(NotFound):
        services.find_invite("not-a-token")


def test_duplicate_pending_invites_conflict_but_a_new_one_after_an_answer_is_fine():
    event = EventFactory()
    first = invite(event)
    with pytest.raises(Conflict):
        invite(event, email="NEW@example.com")
    services.answer_invite(UserFactory(email="new@example.com", is_verified=True), first, "declined")
    assert invite(event).status == "pending"


def test_inviting_someone_to_a_role_they_hold_conflicts():
    event = EventFactory()
    member = UserFactory(email="member@example.com")
    services.grant_role(member, event, Role.MODERATOR)
    with pytest.raises(Conflict):
        invite(event, email="member@example.com", role_name=Role.MODERATOR)


def test_only_the_owner_invites_an_owner():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    organizer = UserFactory()
    services.grant_role(organizer, event, Role.ORGANIZER)
    with pytest.raises(Forbidden):
        invite(event, role_name=Role.OWNER, actor=organizer)
    assert invite(event, role_name=Role.OWNER, actor=owner)


def test_a_new_owner_takes_over_and_the_old_one_stays_as_organizer():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    successor = UserFactory(email="new@example.com", is_verified=True)
    services.answer_invite(successor, invite(event, role_name=Role.OWNER), "accepted")
    roles = dict(UsersEventsRoles.objects.filter(event=event).values_list("user__email", "role__name"))
    assert roles == {owner.email: Role.ORGANIZER, successor.email: Role.OWNER}
    assert held_permissions(owner, event) == {"view_event", "change_event"}
    assert permissions.is_event_owner(successor, event)


def test_the_owner_cannot_be_removed():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    with pytest.raises(Forbidden):
        services.remove_role(owner, UsersEventsRoles.objects.get(event=event))
    assert permissions.is_event_owner(owner, event)


def test_removing_one_role_keeps_what_another_role_grants():
    owner = UserFactory()
    event = EventFactory(owner=owner, state=Event.State.DRAFT)
    member = UserFactory()
    services.grant_role(member, event, Role.COORGANIZER)
    services.grant_role(member, event, Role.ATTENDEE)
    services.remove_role(owner, UsersEventsRoles.objects.get(user=member, role__name=Role.COORGANIZER))
    assert held_permissions(member, event) == {"view_event"}
    assert permissions.can_view_event(member, event)
    assert not permissions.is_event_admin(member, event)
    services.remove_role(owner, UsersEventsRoles.objects.get(user=member))
    assert held_permissions(member, event) == set()
    assert not permissions.can_view_event(member, event)


def test_editing_an_invite_to_a_new_address_sends_a_new_link_and_voids_the_old(mailoutbox):
    owner = UserFactory()
    event = EventFactory(owner=owner)
    role_invite = invite(event, email="typo@example.con")
    old_token = link_token(mailoutbox[0], "/invites/")
    services.update_invite(owner, role_invite, email="right@example.com")
    assert mailoutbox[1].to == ["right@example.com"]
    with pytest.raises(NotFound):
        services.find_invite(old_token)
    assert services.find_invite(link_token(mailoutbox[1], "/invites/")) == role_invite


def test_deleting_an_event_takes_its_roles_and_permissions_along():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    services.delete_event(owner, event)
    assert not UsersEventsRoles.objects.exists()
    assert not EventUserObjectPermission.objects.exists()


def test_ownership_can_be_handed_on_again_and_again():
    first = UserFactory()
    event = EventFactory(owner=first)
    second, third = (
        UserFactory(email="second@example.com", is_verified=True),
        UserFactory(email="third@example.com", is_verified=True),
    )
    services.grant_role(second, event, Role.ORGANIZER)
    services.answer_invite(
        second, invite(event, email=second.email, role_name=Role.OWNER, actor=first), "accepted"
    )
    services.answer_invite(
        third, invite(event, email=third.email, role_name=Role.OWNER, actor=second), "accepted"
    )
    roles = set(UsersEventsRoles.objects.filter(event=event).values_list("user__email", "role__name"))
    assert roles == {(first.email, Role.ORGANIZER), (second.email, Role.ORGANIZER), (third.email, Role.OWNER)}
    assert [permissions.is_event_owner(user, event) for user in (first, second, third)] == [
        False,
        False,
        True,
    ]


def test_an_unconfirmed_address_answers_only_with_the_emailed_token(mailoutbox):
    event = EventFactory()
    squatter = UserFactory(email="new@example.com")  # registered the address, never read its mail
    role_invite = invite(event)
    with pytest.raises(Forbidden):
        services.answer_invite(squatter, role_invite, "accepted")
    assert not permissions.visible_role_invites(squatter).exists()
    assert RoleInvite.objects.get().status == "pending"
    token = link_token(mailoutbox[0], "/invites/")
    services.answer_invite(squatter, services.find_invite(token), "accepted", with_token=True)
    squatter.refresh_from_db()
    assert squatter.is_verified  # the token proves they read the mailbox after all
    assert permissions.is_event_admin(squatter, event)


def test_an_expired_invite_makes_way_for_a_new_one():
    event = EventFactory()
    old = invite(event)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        new = invite(event)
    assert not RoleInvite.objects.filter(pk=old.pk).exists()
    assert RoleInvite.objects.get() == new


def test_invites_are_rate_limited_per_inviter(settings):
    settings.INVITE_LIMIT_PER_HOUR = 2
    event = EventFactory()
    invite(event, email="one@example.com")
    invite(event, email="two@example.com")
    with pytest.raises(RateLimited):
        invite(event, email="three@example.com")
    assert RoleInvite.objects.count() == 2


def test_only_the_owner_edits_or_withdraws_an_owner_invite():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    organizer = UserFactory()
    services.grant_role(organizer, event, Role.ORGANIZER)
    owner_invite = invite(event, role_name=Role.OWNER, actor=owner)
    with pytest.raises(Forbidden):
        services.update_invite(organizer, owner_invite, role_name=Role.ATTENDEE)
    with pytest.raises(Forbidden):
        services.delete_invite(organizer, owner_invite)
    assert RoleInvite.objects.get().role.name == Role.OWNER


def test_an_edit_counts_against_the_stored_invite_not_unsaved_changes(mailoutbox):
    owner = UserFactory()
    event = EventFactory(owner=owner)
    role_invite = invite(event, email="typo@example.con")
    old_token = link_token(mailoutbox[0], "/invites/")
    role_invite.email = "right@example.com"  # as an admin form leaves it before saving
    services.update_invite(owner, role_invite, email="right@example.com")
    assert mailoutbox[-1].to == ["right@example.com"]
    with pytest.raises(NotFound):
        services.find_invite(old_token)


def test_a_change_keeps_what_another_request_changed_since_the_event_was_read():
    owner = UserFactory()
    event = EventFactory(owner=owner, description="Old words")
    stale = Event.objects.get(pk=event.pk)
    services.update_event(owner, Event.objects.get(pk=event.pk), description="New words")
    saved = services.update_event(owner, stale, name="Renamed")
    event.refresh_from_db()
    assert (event.name, event.description) == ("Renamed", "New words")
    assert (saved.name, saved.description) == ("Renamed", "New words")
