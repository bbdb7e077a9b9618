"""Who may do what to an event and its team: the one module the API, the pages and the admin ask.

Roles are django-guardian object permissions on the event: holding a role grants the
permissions ROLE_PERMISSIONS names for it on that one event (events.services keeps them in
step with the role rows). Every check names the event it is about, so a role on one event
never reaches another. "Event admin" is the owner, an organizer or a co-organizer of that
event, or a site admin.
"""

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.permissions import is_site_admin

from .models import Event, EventUserObjectPermission, Role, RoleInvite, UsersEventsRoles

VIEW = "view_event"  # see the event while it is a draft
CHANGE = "change_event"  # an event admin's rights
DELETE = "delete_event"  # the owner's rights
ORGANIZE_TRACKS = "organize_tracks"  # see the sessions of the event's tracks one is assigned to
REGISTER = "register_attendees"  # a registrar's: see orders and attendees, take payment at the venue

ROLE_PERMISSIONS = {
    Role.OWNER: {VIEW, CHANGE, DELETE},
    Role.ORGANIZER: {VIEW, CHANGE},
    Role.COORGANIZER: {VIEW, CHANGE},
    Role.TRACK_ORGANIZER: {VIEW, ORGANIZE_TRACKS},
    Role.MODERATOR: {VIEW},
    Role.REGISTRAR: {VIEW, REGISTER},
    Role.ATTENDEE: {VIEW},
}


def _has(user, codename: str, event: Event) -> bool:
    """Whether the user's roles grant `codename` on the event: one query on the guardian rows
    (roles grant user permissions only), not guardian's checker, which asks two."""
    if not (user.is_authenticated and user.is_active):
        return False
    return _event_ids_with(user, codename).filter(content_object_id=event.pk).exists()


def _event_ids_with(user, codename: str) -> QuerySet:
    return EventUserObjectPermission.objects.filter(
        user=user, permission__codename=codename, permission__content_type__app_label="events"
    ).values("content_object_id")


def can_view_event(user, event: Event) -> bool:
    return event.is_published or is_site_admin(user) or _has(user, VIEW, event)


def is_event_admin(user, event: Event) -> bool:
    return is_site_admin(user) or _has(user, CHANGE, event)


def is_event_owner(user, event: Event) -> bool:
    return is_site_admin(user) or _has(user, DELETE, event)


def is_registrar(user, event: Event) -> bool:
    """Whoever sees the event's orders and attendees and marks orders paid at the venue: its
    registrars and its admins."""
    return is_event_admin(user, event) or _has(user, REGISTER, event)


def can_organize_tracks(user, event: Event) -> bool:
    return _has(user, ORGANIZE_TRACKS, event)


def track_organizers_of(events: QuerySet[Event]) -> QuerySet[User]:
    """The users holding the track organizer role on any of these events."""
    holders = EventUserObjectPermission.objects.filter(
        permission__codename=ORGANIZE_TRACKS, content_object__in=events
    ).values("user_id")
    return User.objects.filter(pk__in=holders)


def can_invite(user, event: Event, role_name: str) -> bool:
    if role_name == Role.OWNER:
        return is_event_owner(user, event)
    return is_event_admin(user, event)


def is_invited_address(user, invite: RoleInvite) -> bool:
    """The user's address is the invited one (whether they read that mailbox is another matter)."""
    return bool(user.is_authenticated and user.email == invite.email)


def published_events() -> QuerySet[Event]:
    return Event.objects.filter(state=Event.State.PUBLISHED)


def visible_events(user) -> QuerySet[Event]:
    """Published events, and the drafts the user holds a role on."""
    if is_site_admin(user):
        return Event.objects.all()
    if not user.is_authenticated:
        return published_events()
    return Event.objects.filter(Q(state=Event.State.PUBLISHED) | Q(pk__in=_event_ids_with(user, VIEW)))


def event_ids_where(user, codename: str) -> QuerySet:
    """The ids of the events on which the user's roles grant `codename`, as a subquery."""
    if not user.is_authenticated:
        return EventUserObjectPermission.objects.none().values("content_object_id")
    return _event_ids_with(user, codename)


def registered_event_ids(user) -> QuerySet:
    """The ids of the events whose orders and attendees the user sees (is_registrar), as a
    subquery; all of them for a site admin is the caller's to handle."""
    if not user.is_authenticated:
        return EventUserObjectPermission.objects.none().values("content_object_id")
    return EventUserObjectPermission.objects.filter(
        user=user, permission__codename__in=(CHANGE, REGISTER), permission__content_type__app_label="events"
    ).values("content_object_id")


def administered_events(user) -> QuerySet[Event]:
    if is_site_admin(user):
        return Event.objects.all()
    if not user.is_authenticated:
        return Event.objects.none()
    return Event.objects.filter(pk__in=_event_ids_with(user, CHANGE))


def may_use_admin(user) -> bool:
    """Site admins, and the owners and organizers of at least one event."""
    return bool(user.is_active and (is_site_admin(user) or administered_events(user).exists()))


def visible_role_invites(user) -> QuerySet[RoleInvite]:
    """Invites to events the user administers, and those sent to the user's own, confirmed address."""
    invites = RoleInvite.objects.all()
    if is_site_admin(user):
        return invites
    if not user.is_authenticated:
        return invites.none()
    administered = Q(event__in=administered_events(user))
    return invites.filter(administered | Q(email=user.email) if user.is_verified else administered)


def visible_event_roles(user) -> QuerySet[UsersEventsRoles]:
    """The team of every event the user administers."""
    return UsersEventsRoles.objects.filter(event__in=administered_events(user))
