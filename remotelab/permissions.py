"""Lab scripts are private: each user sees, changes and runs only their own."""

from django.db.models import QuerySet

from .models import LabScript


def visible_scripts(user) -> QuerySet[LabScript]:
    if not user.is_authenticated:
        return LabScript.objects.none()
    return LabScript.objects.filter(owner=user)


def may_use_lab(user) -> bool:
    return bool(user.is_authenticated and user.is_active)
