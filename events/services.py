"""The events domain: events, their team of roles, role invites and the site settings.

Every change of a role goes through here, so the role rows and the django-guardian
permissions they grant stay in step. Each service is one transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import is_site_admin
from openevent.errors import Conflict, Forbidden, NotFound
from openevent.mail import send_templated_mail
from openevent.tokens import hash_token, new_token

from . import permissions
from .models import Event, EventUserObjectPermission, Role, RoleInvite, Settings, UsersEventsRoles

INVITE_VALID_FOR = timedelta(days=7)


# Events


def create_event(creator: User, event: Event) -> Event:
    """Save a new event (built from a form or a serializer) and make its creator the owner."""
    if not creator.is_authenticated:
        raise Forbidden("Log in to create an event.")
    with transaction.atomic():
        event.full_clean()
        event.save()
        grant_role(creator, event, Role.OWNER)
    return event


def update_event(actor: User, event: Event, **changes) -> Event:
    if not permissions.is_event_admin(actor, event):
        raise Forbidden("Only the event's owner and organizers may change it.")
    for field, value in changes.items():
        setattr(event, field, value)
    event.full_clean()
    event.save()
    return event


def delete_event(actor: User, event: Event) -> None:
    if not permissions.is_event_owner(actor, event):
        raise Forbidden("Only the event's owner may delete it.")
    event.delete()


# Roles


def _sync_permissions(user: User, event: Event) -> None:
    """Make the user's guardian permissions on the event exactly those their roles grant."""
    roles = UsersEventsRoles.objects.filter(user=user, event=event).values_list("role__name", flat=True)
    wanted = set().union(*(permissions.ROLE_PERMISSIONS[name] for name in roles))
    held = EventUserObjectPermission.objects.filter(user=user, content_object=event)
    held.exclude(permission__codename__in=wanted).delete()
    missing = wanted - set(held.values_list("permission__codename", flat=True))
    EventUserObjectPermission.objects.bulk_create(
        EventUserObjectPermission(user=user, content_object=event, permission=permission)
        for permission in Permission.objects.filter(content_type__app_label="events", codename__in=missing)
    )


def grant_role(user: User, event: Event, role_name: str) -> UsersEventsRoles:
    """Give the user the role (once). A new owner takes over: the old one stays as an organizer.

    No permission check: callers are the services that decided it (event creation, an accepted
    invite) and the demo data."""
    if role_name == Role.OWNER:
        Event.objects.select_for_update().get(pk=event.pk)  # one ownership change at a time
        for previous in UsersEventsRoles.objects.filter(event=event, role__name=Role.OWNER).exclude(
            user=user
        ):
            previous.role = Role.objects.get(name=Role.ORGANIZER)
            previous.save(update_fields=["role"])
            _sync_permissions(previous.user, event)
    row, _ = UsersEventsRoles.objects.get_or_create(
        user=user, event=event, role=Role.objects.get(name=role_name)
    )
    _sync_permissions(user, event)
    return row


def remove_role(actor: User, row: UsersEventsRoles) -> None:
    if not permissions.is_event_admin(actor, row.event):
        raise Forbidden("Only the event's owner and organizers may change its team.")
    if row.role.name == Role.OWNER:
        raise Forbidden("The owner cannot be removed. Invite a new owner to hand the event over.")
    with transaction.atomic():
        row.delete()
        _sync_permissions(row.user, row.event)


# Role invites


def check_invite(
    actor: User, event: Event, email: str, role_name: str, invite: RoleInvite | None = None
) -> None:
    """Raise Forbidden or Conflict unless the actor may invite this address to this role.
    `invite` is the pending invite being edited, if any."""
    if not permissions.can_invite(actor, event, role_name):
        raise Forbidden(
            "Only the owner may invite a new owner."
            if role_name == Role.OWNER
            else "Only the event's owner and organizers may invite people."
        )
    if UsersEventsRoles.objects.filter(event=event, role__name=role_name, user__email__iexact=email).exists():
        raise Conflict(f"{email} is {role_name} of this event already.")
    pending = RoleInvite.objects.filter(
        event=event, role__name=role_name, email__iexact=email, status=RoleInvite.Status.PENDING
    )
    if pending.exclude(pk=getattr(invite, "pk", None)).exists():
        raise Conflict(f"{email} has a pending invite to this role already.")


def _send_invite(invite: RoleInvite, raw_token: str) -> None:
    context = {"invite": invite, "invite_url": f"{settings.FRONTEND_URL}/invites/{raw_token}/"}
    send_templated_mail(
        "events/email/role_invite", context, invite.email, f"You are invited to help run {invite.event}"
    )


def create_invite(actor: User, event: Event, *, email: str, role_name: str) -> RoleInvite:
    """Invite an address to a role on the event and email it a single-use link."""
    email = User.objects.normalize_email(email.strip())
    check_invite(actor, event, email, role_name)
    raw_token, token_hash = new_token()
    now = timezone.now()
    try:
        with transaction.atomic():
            invite = RoleInvite.objects.create(
                email=email,
                event=event,
                role=Role.objects.get(name=role_name),
                token_hash=token_hash,
                invited_by=actor,
                created_at=now,
                expires_at=now + INVITE_VALID_FOR,
            )
    except IntegrityError as error:
        raise Conflict(f"{email} has a pending invite to this role already.") from error
    _send_invite(invite, raw_token)
    return invite


def update_invite(actor: User, invite: RoleInvite, *, email: str | None = None, role_name: str | None = None):
    """An event admin corrects a pending invite; a new address gets a new link, the old one dies."""
    if invite.status != RoleInvite.Status.PENDING:
        raise Conflict(f"This invite was {invite.status} already.")
    email = User.objects.normalize_email(email.strip()) if email else invite.email
    role_name = role_name or invite.role.name
    check_invite(actor, invite.event, email, role_name, invite)
    readdressed = email.lower() != invite.email.lower()
    invite.email, invite.role = email, Role.objects.get(name=role_name)
    if readdressed:
        raw_token, invite.token_hash = new_token()
        invite.expires_at = timezone.now() + INVITE_VALID_FOR
    try:
        with transaction.atomic():
            invite.save()
    except IntegrityError as error:
        raise Conflict(f"{email} has a pending invite to this role already.") from error
    if readdressed:
        _send_invite(invite, raw_token)
    return invite


def delete_invite(actor: User, invite: RoleInvite) -> None:
    if not permissions.is_event_admin(actor, invite.event):
        raise Forbidden("Only the event's owner and organizers may withdraw invites.")
    invite.delete()


def find_invite(raw_token: str) -> RoleInvite:
    invite = (
        RoleInvite.objects.select_related("event", "role").filter(token_hash=hash_token(raw_token)).first()
    )
    if invite is None:
        raise NotFound("This invite link is not valid.")
    return invite


def answer_invite(user: User, invite: RoleInvite, status: str) -> RoleInvite:
    """The invitee, logged in with the invited address, accepts or declines.

    Answering the same way twice changes nothing; an answered invite cannot be answered
    the other way; an expired one cannot be answered at all.
    """
    if status not in (RoleInvite.Status.ACCEPTED, RoleInvite.Status.DECLINED):
        raise Conflict(f'An invite can be "accepted" or "declined", not "{status}".')
    with transaction.atomic():
        invite = RoleInvite.objects.select_for_update().select_related("event", "role").get(pk=invite.pk)
        if not permissions.is_invitee(user, invite):
            raise Forbidden("This invite was sent to another email address. Log in with that address.")
        if invite.status == status:
            return invite
        if invite.status != RoleInvite.Status.PENDING:
            raise Conflict(f"This invite was {invite.status} already.")
        if invite.is_expired:
            raise NotFound("This invite has expired. Ask the organizers for a new one.")
        invite.status = status
        invite.answered_at = timezone.now()
        invite.save(update_fields=["status", "answered_at"])
        if status == RoleInvite.Status.ACCEPTED:
            grant_role(user, invite.event, invite.role.name)
    return invite


# Settings


def update_settings(actor: User, **changes) -> Settings:
    if not is_site_admin(actor):
        raise Forbidden("Only site admins may change the settings.")
    site_settings = Settings.load()
    for field, value in changes.items():
        setattr(site_settings, field, value)
    site_settings.full_clean()
    site_settings.save()
    return site_settings
