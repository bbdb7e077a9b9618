from django.urls import path

from openevent.resources import registry

from .views import (
    AcceptInviteView,
    EventTopicViewSet,
    EventViewSet,
    RoleInviteViewSet,
    SettingsView,
    UsersEventsRolesViewSet,
)

registry.register("events", EventViewSet)
registry.register("event-topics", EventTopicViewSet)
registry.register("role-invites", RoleInviteViewSet)
registry.register("users-events-roles", UsersEventsRolesViewSet)

urlpatterns = [
    path("role-invites/accept-invite", AcceptInviteView.as_view(), name="accept-invite"),
    # One resource with the id "1": a document naming another id conflicts (409).
    path("settings", SettingsView.as_view(), {"pk": "1"}, name="settings"),
]
