from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AcceptInviteView,
    EventTopicViewSet,
    EventViewSet,
    RoleInviteViewSet,
    SettingsView,
    UsersEventsRolesViewSet,
)

router = SimpleRouter(trailing_slash=False)
router.register("events", EventViewSet, basename="event")
router.register("event-topics", EventTopicViewSet, basename="event-topic")
router.register("role-invites", RoleInviteViewSet, basename="role-invite")
router.register("users-events-roles", UsersEventsRolesViewSet, basename="users-events-roles")

urlpatterns = [
    path("role-invites/accept-invite", AcceptInviteView.as_view(), name="accept-invite"),
    # One resource with the id "1": a document naming another id conflicts (409).
    path("settings", SettingsView.as_view(), {"pk": "1"}, name="settings"),
    *router.urls,
]
