"""The events domain: events, their topics, their team of roles, role invites and the site settings.

Every change of a role goes through here, so the role rows and the django-guardian
permissions they grant stay in step. Each service is one transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User, normalize_email
from accounts.permissions import is_site_admin
from accounts.services import mark_verified
from openevent import ratelimit
from openevent.errors import Conflict, Forbidden, NotFound
from openevent.locks import delete_locked, lock_row
from openevent.mail import send_templated_mail
from openevent.tokens import hash_token, new_token

from . import permissions
from .models import (
    Event,
    EventTopic,
    EventUserObjectPermission,
    Role,
    RoleInvite,
    Settings,
    UsersEventsRoles,
)

INVITE_VALID_FOR = timedelta(days=7)
TOPIC_SLUG_FALLBACK = "topic"  # for names with nothing slugify keeps (only punctuation, emoji ...)
TOPIC_SAVE_ATTEMPTS = 5  # a derived slug taken meanwhile by a concurrent create is derived anew


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
    """Make `changes` to the event as it is now, so what another request changed since `event`
    was read stays; returns the event saved."""
    with transaction.atomic():
        # The dates are checked against the scheduled sessions with the row locked, as sessions are
        # placed (speakers.services): a session placed meanwhile is seen, or waits for the new dates.
        locked = lock_row(Event.objects, event.pk, "event")
        if not permissions.is_event_admin(actor, locked):
            raise Forbidden("Only the event's owner and organizers may change it.")
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save()
    return locked


def delete_event(actor: User, event: Event) -> None:
    if not permissions.is_event_owner(actor, event):
        raise Forbidden("Only the event's owner may delete it.")
    try:
        delete_locked(event)
    except (ProtectedError, RestrictedError) as error:
        raise Conflict("The event has orders, the record of its sales: unpublish it instead.") from error


# Topics


def free_topic_slug(name: str) -> str:
    """A slug for a topic of this name that no topic holds yet: the name slugified, or
    TOPIC_SLUG_FALLBACK, then -2, -3 ... until free, within the slug's max_length."""
    max_length = EventTopic._meta.get_field("slug").max_length
    base = slugify(name)[:max_length].strip("-") or TOPIC_SLUG_FALLBACK
    # Each candidate up to a suffix of "-" and ten digits (with the one "-" it may end in before
    # the suffix dropped) starts with this prefix: one query finds all the taken ones.
    taken = set(
        EventTopic.objects.filter(slug__startswith=base[: max_length - 12]).values_list("slug", flat=True)
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
    return candidate


def create_topic(actor: User, name: str, slug: str | None = None) -> EventTopic:
    """A new topic; without a slug, one is derived from the name (see free_topic_slug)."""
    return save_new_topic(actor, EventTopic(name=name, slug=slug or ""))


def save_new_topic(actor: User, topic: EventTopic) -> EventTopic:
    """Save an unsaved topic (from the API or the admin), deriving its slug if it has none.

    A taken name or explicit slug is a ValidationError (422), also when a concurrent create took
    it between the check and the insert; a derived slug taken meanwhile is derived again."""
    if not is_site_admin(actor):
        raise Forbidden("Only site admins may create topics.")
    derive = not topic.slug
    for _ in range(TOPIC_SAVE_ATTEMPTS):
        if derive:
            topic.slug = free_topic_slug(topic.name)
        # The name and an explicit slug must be free (422), also after a concurrent insert took them;
        # a derived slug taken meanwhile shows as the IntegrityError below, and is derived again.
        topic.full_clean(exclude=["slug"] if derive else None)
        try:
            with transaction.atomic():
                topic.save(force_insert=True)
        except IntegrityError:
            continue
        return topic
    raise ValidationError({"slug": ["Topics are being created with this name right now. Try again."]})


# Roles


def _lock(event: Event) -> None:
    """Take the event's row lock: its team changes one at a time, so role rows and the
    guardian permissions derived from them cannot drift apart under concurrent requests."""
    Event.objects.select_for_update(no_key=True).filter(pk=event.pk).exists()


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
    with transaction.atomic():
        _lock(event)
        if role_name == Role.OWNER:
            previous_owners = UsersEventsRoles.objects.filter(event=event, role__name=Role.OWNER).exclude(
                user=user
            )
            for previous in previous_owners.select_related("user"):
                previous.delete()
                UsersEventsRoles.objects.get_or_create(
                    user=previous.user, event=event, role=Role.objects.get(name=Role.ORGANIZER)
                )
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
        _lock(row.event)
        UsersEventsRoles.objects.filter(pk=row.pk).delete()
        _sync_permissions(row.user, row.event)


# Role invites


def check_invite(
    actor: User, event: Event, email: str, role_name: str, invite: RoleInvite | None = None
) -> None:
    """Raise Forbidden or Conflict unless the actor may invite this address to this role.
    `invite` is the pending invite being edited, if any."""
    email = normalize_email(email)
    if not permissions.can_invite(actor, event, role_name):
        raise Forbidden(
            "Only the owner may invite a new owner."
            if role_name == Role.OWNER
            else "Only the event's owner and organizers may invite people."
        )
    if UsersEventsRoles.objects.filter(event=event, role__name=role_name, user__email=email).exists():
        raise Conflict(f"{email} is {role_name} of this event already.")
    pending = RoleInvite.objects.filter(
        event=event,
        role__name=role_name,
        email=email,
        status=RoleInvite.Status.PENDING,
        expires_at__gt=timezone.now(),
    )
    if pending.exclude(pk=getattr(invite, "pk", None)).exists():
        raise Conflict(f"{email} has a pending invite to this role already.")


def _check_may_manage(actor: User, invite: RoleInvite) -> None:
    """Editing or withdrawing an invite takes the right to make it: an owner invite is the owner's."""
    if not permissions.can_invite(actor, invite.event, invite.role.name):
        raise Forbidden("Only the owner may change an invite to become owner.")


def _send_invite(invite: RoleInvite, raw_token: str) -> None:
    context = {"invite": invite, "invite_url": f"{settings.FRONTEND_URL}/invites/{raw_token}/"}
    send_templated_mail(
        "events/email/role_invite", context, invite.email, f"You are invited to help run {invite.event}"
    )


def _count_invite_mail(actor: User) -> None:
    """Invites are mail to addresses the actor chooses: a limited number per hour."""
    ratelimit.hit("role-invites", str(actor.pk), settings.INVITE_LIMIT_PER_HOUR, 60 * 60)


def create_invite(actor: User, event: Event, *, email: str, role_name: str) -> RoleInvite:
    """Invite an address to a role on the event and email it a single-use link."""
    email = normalize_email(email)
    check_invite(actor, event, email, role_name)
    _count_invite_mail(actor)
    raw_token, token_hash = new_token()
    now = timezone.now()
    try:
        with transaction.atomic():
            # An expired invite to the same role is void: it makes way for the new one.
            RoleInvite.objects.filter(
                event=event, role__name=role_name, email=email, status=RoleInvite.Status.PENDING
            ).filter(expires_at__lte=now).delete()
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
    """An event admin corrects a pending invite; a new address gets a new link, the old one dies.

    `invite` may carry unsaved edits (an admin form's); what counts is the stored invite."""
    with transaction.atomic():
        stored = (
            RoleInvite.objects.select_for_update(of=("self",))
            .select_related("event", "role")
            .get(pk=invite.pk)
        )
        if stored.status != RoleInvite.Status.PENDING:
            raise Conflict(f"This invite was {stored.status} already.")
        _check_may_manage(actor, stored)
        email = normalize_email(email) if email else stored.email
        role_name = role_name or stored.role.name
        check_invite(actor, stored.event, email, role_name, stored)
        readdressed = email != stored.email
        stored.email, stored.role = email, Role.objects.get(name=role_name)
        if readdressed:
            _count_invite_mail(actor)
            raw_token, stored.token_hash = new_token()
            stored.expires_at = timezone.now() + INVITE_VALID_FOR
        try:
            with transaction.atomic():
                stored.save()
        except IntegrityError as error:
            raise Conflict(f"{email} has a pending invite to this role already.") from error
    if readdressed:
        _send_invite(stored, raw_token)
    return stored


def delete_invite(actor: User, invite: RoleInvite) -> None:
    _check_may_manage(actor, invite)
    invite.delete()


def find_invite(raw_token: str) -> RoleInvite:
    invite = (
        RoleInvite.objects.select_related("event", "role").filter(token_hash=hash_token(raw_token)).first()
    )
    if invite is None:
        raise NotFound("This invite link is not valid.")
    return invite


def answer_invite(user: User, invite: RoleInvite, status: str, *, with_token: bool = False) -> RoleInvite:
    """The invitee, logged in with the invited address, accepts or declines.

    Only someone who reads the invited mailbox may answer: either they came with the emailed
    token (`with_token`, which also confirms their address) or their address is confirmed.
    Answering the same way twice changes nothing; an answered invite cannot be answered the
    other way; an expired one cannot be answered at all.
    """
    if status not in (RoleInvite.Status.ACCEPTED, RoleInvite.Status.DECLINED):
        raise Conflict(f'An invite can be "accepted" or "declined", not "{status}".')
    with transaction.atomic():
        _lock(invite.event)
        invite = (
            RoleInvite.objects.select_for_update(of=("self",))
            .select_related("event", "role")
            .get(pk=invite.pk)
        )
        if not permissions.is_invited_address(user, invite):
            raise Forbidden("This invite was sent to another email address. Log in with that address.")
        if with_token:
            mark_verified(user)
        elif not user.is_verified:
            raise Forbidden("Confirm your email address first, or open the link in the invite email.")
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


def purge_expired_invites() -> int:
    """Delete pending invites past their expiry (answered ones stay, as a record); how many went."""
    return RoleInvite.objects.filter(
        status=RoleInvite.Status.PENDING, expires_at__lte=timezone.now()
    ).delete()[0]


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
