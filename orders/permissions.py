"""Who sees tickets, discount codes, attendees and orders: the one module the API, the pages and
the admin ask. Every list is a database filter; a detail view is the same filter narrowed to
one row, so a list never shows what a detail would hide (invisible is 404).

- Anyone sees the tickets of the events they see (events.permissions), but hidden ones.
- An event's registrars and admins (events.permissions.is_registrar) see all its tickets, and
  all its attendees and orders; its discount codes are its admins' alone.
- A buyer sees their own orders and the attendees they added.
"""

from django.db.models import Q, QuerySet

from accounts.permissions import is_site_admin
from events import permissions as event_permissions

from .models import Attendee, DiscountCode, Order, Ticket


def _registered(user) -> Q:
    return Q(event_id__in=event_permissions.registered_event_ids(user))


def visible_tickets(user) -> QuerySet[Ticket]:
    if is_site_admin(user):
        return Ticket.objects.all()
    listed = Q(is_hidden=False, event__in=event_permissions.visible_events(user))
    return Ticket.objects.filter(listed | _registered(user) if user.is_authenticated else listed)


def visible_discount_codes(user) -> QuerySet[DiscountCode]:
    return DiscountCode.objects.filter(event__in=event_permissions.administered_events(user))


def visible_attendees(user) -> QuerySet[Attendee]:
    if is_site_admin(user):
        return Attendee.objects.all()
    if not user.is_authenticated:
        return Attendee.objects.none()
    return Attendee.objects.filter(Q(creator=user) | _registered(user))


def visible_orders(user) -> QuerySet[Order]:
    if is_site_admin(user):
        return Order.objects.all()
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(Q(buyer=user) | _registered(user))


def can_see_attendee(user, attendee: Attendee) -> bool:
    """One attendee, as visible_attendees shows them: no query for one's own."""
    if attendee.creator_id is not None and attendee.creator_id == user.pk:
        return True
    return is_site_admin(user) or event_permissions.is_registrar(user, attendee.event)
