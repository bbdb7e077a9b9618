"""Who may see and change user accounts: the user themself, or a site admin."""

from django.db.models import QuerySet

from .models import User


def is_site_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def visible_users(actor) -> QuerySet[User]:
    if is_site_admin(actor):
        return User.objects.all()
    if not actor.is_authenticated:
        return User.objects.none()
    return User.objects.filter(pk=actor.pk)
