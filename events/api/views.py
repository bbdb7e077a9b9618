from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, permissions
from rest_framework import serializers as fields
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.permissions import is_site_admin
from events import permissions as event_permissions
from events import services
from events.models import EventTopic, RoleInvite, Settings, UsersEventsRoles
from openevent.api import PlainJSONView
from openevent.schema import plain
from openevent.viewsets import ResourceModelViewSet, ResourceQueryMixin, ResourceViewSet

from .serializers import (
    EventSerializer,
    EventTopicSerializer,
    InviteTokenSerializer,
    PublicSettingsSerializer,
    RoleInviteAnswerSerializer,
    RoleInviteChangeSerializer,
    RoleInviteSerializer,
    SettingsSerializer,
    UsersEventsRolesSerializer,
)

EVENT_LIST_OPTIONS = {
    "ordering_fields": ["starts_at", "ends_at", "name", "created_at"],
    "search_fields": ["name", "location_name"],
    "filter_fields": {
        "name": "name",
        "state": "state",
        "event-topic": "event_topic",
        "payment-currency": "payment_currency",
        "starts-at": "starts_at",
        "ends-at": "ends_at",
        "location-name": "location_name",
        "created-at": "created_at",
    },
}
ROLE_INVITE_LIST_OPTIONS = {
    "ordering_fields": ["created_at", "expires_at", "email"],
    "search_fields": ["email"],
    "filter_fields": {"status": "status", "event": "event", "email": "email"},
}
TEAM_LIST_OPTIONS = {
    "ordering_fields": ["created_at"],
    "search_fields": [],
    "filter_fields": {"user": "user"},
}
JSON_API_DOCUMENT_KEYS = {"id", "type", "_meta"}


class IsSiteAdminOrReadOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_site_admin(request.user)


class EventViewSet(ResourceModelViewSet):
    """Anyone reads published events; a role on a draft shows it; event admins write."""

    serializer_class = EventSerializer
    summaries = {
        "list": "List events (anyone: the published ones, and the drafts one holds a role on)",
        "create": "Create an event (logged-in users; the creator becomes its owner)",
        "retrieve": "Read an event (anyone, if published; a draft, whoever holds a role on it)",
        "partial_update": "Change an event (event admins)",
        "destroy": "Delete an event (its owner and site admins)",
        "users_events_roles": "List an event's team (event admins)",
        "role_invites": "List an event's role invites (event admins)",
    }
    list_actions = ("users_events_roles", "role_invites")
    error_answers = {"delete": {409: "The event has orders: it stays, as the record of its sales."}}
    ordering_fields = EVENT_LIST_OPTIONS["ordering_fields"]
    search_fields = EVENT_LIST_OPTIONS["search_fields"]
    filter_fields = EVENT_LIST_OPTIONS["filter_fields"]

    @classmethod
    def visible(cls, user):
        return event_permissions.visible_events(user)

    def perform_destroy(self, instance):
        services.delete_event(self.request.user, instance)

    def _event_admin_list(self, queryset):
        event = generics.get_object_or_404(self.visible(self.request.user), pk=self.kwargs["pk"])
        if not event_permissions.is_event_admin(self.request.user, event):
            raise PermissionDenied("Only the event's owner and organizers see its team.")
        listed = self.filter_queryset(queryset.filter(event=event).order_by("pk"))
        page = self.paginate_queryset(self.prefetched(listed))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(
        detail=True,
        url_path="users-events-roles",
        serializer_class=UsersEventsRolesSerializer,
        **TEAM_LIST_OPTIONS,
    )
    def users_events_roles(self, request, pk=None):
        return self._event_admin_list(UsersEventsRoles.objects.select_related("user", "role"))

    @action(
        detail=True,
        url_path="role-invites",
        serializer_class=RoleInviteSerializer,
        **ROLE_INVITE_LIST_OPTIONS,
    )
    def role_invites(self, request, pk=None):
        return self._event_admin_list(RoleInvite.objects.select_related("role"))


class EventTopicViewSet(ResourceModelViewSet):
    """Site admins write topics; anyone reads them and the published events under each."""

    serializer_class = EventTopicSerializer
    permission_classes = [IsSiteAdminOrReadOnly]
    summaries = {
        "list": "List event topics (anyone)",
        "create": "Create an event topic (site admins)",
        "retrieve": "Read an event topic (anyone)",
        "partial_update": "Change an event topic (site admins)",
        "destroy": "Delete an event topic (site admins)",
        "events": "List the published events of a topic (anyone)",
    }
    list_actions = ("events",)
    ordering_fields = search_fields = ["name"]
    filter_fields = {"name": "name", "slug": "slug"}

    @classmethod
    def visible(cls, user):
        return EventTopic.objects.all()

    @action(detail=True, serializer_class=EventSerializer, **EVENT_LIST_OPTIONS)
    def events(self, request, pk=None):
        topic = generics.get_object_or_404(self.get_queryset(), pk=pk)  # not filtered as events are
        events = event_permissions.published_events().filter(event_topic=topic)
        page = self.paginate_queryset(self.prefetched(self.filter_queryset(events)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RoleInviteViewSet(ResourceModelViewSet):
    """Event admins invite and edit pending invites; the invitee sees theirs and answers it."""

    serializer_class = RoleInviteSerializer
    permission_classes = [permissions.IsAuthenticated]
    summaries = {
        "list": "List role invites (event admins: their events'; invitees: those to their confirmed address)",
        "create": "Invite someone by email to a role on an event (event admins; owners alone invite owners)",
        "retrieve": "Read a role invite (event admins, and the invitee)",
        "partial_update": "Accept or decline a role invite (the invitee: `status` only), or change a pending "
        "one (event admins)",
        "destroy": "Delete a role invite (event admins)",
    }
    error_answers = {"post": {429: "The caller sent too many invites in the last hour."}}
    select_related = ("role",)
    filter_fields = ROLE_INVITE_LIST_OPTIONS["filter_fields"]
    ordering_fields = ROLE_INVITE_LIST_OPTIONS["ordering_fields"]
    search_fields = ROLE_INVITE_LIST_OPTIONS["search_fields"]

    @classmethod
    def visible(cls, user):
        return event_permissions.visible_role_invites(user)

    def perform_destroy(self, instance):
        services.delete_invite(self.request.user, instance)

    @extend_schema(request=RoleInviteChangeSerializer)
    def partial_update(self, request, *args, **kwargs):
        invite = self.get_object()
        sent = set(request.data) - JSON_API_DOCUMENT_KEYS
        if "status" in sent or not event_permissions.is_event_admin(request.user, invite.event):
            invite = self._answer(invite, sent)
        else:
            serializer = self.get_serializer(invite, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            invite = serializer.save()
        return Response(self.get_serializer(invite).data)

    def _answer(self, invite, sent):
        """The invitee's PATCH: `status` and nothing else."""
        if others := sorted(sent - {"status"}):
            raise ValidationError(
                {name: ["Only the invite's status may be changed by the invitee."] for name in others}
            )
        answer = RoleInviteAnswerSerializer(data=self.request.data)
        answer.is_valid(raise_exception=True)
        return services.answer_invite(self.request.user, invite, answer.validated_data["status"])


class AcceptInviteView(PlainJSONView):
    """`POST /v1/role-invites/accept-invite {"data": {"token"}}`: the emailed link's token."""

    permission_classes = [permissions.IsAuthenticated]
    error_answers = {
        "post": {
            404: "The token is unknown, or the invite has expired.",
            409: "The invite was declined already.",
        }
    }

    @extend_schema(
        summary="Accept a role invite with the emailed token (the invited, logged in)",
        request=InviteTokenSerializer,
        responses={
            200: plain(
                "AcceptedInvite",
                id=fields.CharField(),
                status=fields.CharField(),
                event=fields.CharField(),
                role=fields.CharField(),
            )
        },
    )
    def post(self, request):
        token = self.validated(InviteTokenSerializer)["token"]
        invite = services.find_invite(token)
        invite = services.answer_invite(request.user, invite, RoleInvite.Status.ACCEPTED, with_token=True)
        return Response(
            {
                "id": str(invite.pk),
                "status": invite.status,
                "event": str(invite.event_id),
                "role": invite.role.name,
            }
        )


class UsersEventsRolesViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ResourceViewSet):
    """An event's team: its admins see each role and remove any but the owner's."""

    serializer_class = UsersEventsRolesSerializer
    permission_classes = [permissions.IsAuthenticated]
    summaries = {
        "retrieve": "Read a role on an event's team (event admins)",
        "destroy": "Remove someone's role from an event's team (event admins; the owner's stays)",
    }
    select_related = ("user", "role")

    @classmethod
    def visible(cls, user):
        return event_permissions.visible_event_roles(user)

    def perform_destroy(self, instance):
        services.remove_role(self.request.user, instance)


class SettingsView(ResourceQueryMixin, generics.RetrieveUpdateAPIView):
    """The site settings: everybody reads the public part, site admins read and change all."""

    permission_classes = [IsSiteAdminOrReadOnly]
    http_method_names = ["get", "patch", "head", "options"]
    summaries = {
        "get": "Read the site settings (anyone: the public ones; site admins: all)",
        "patch": "Change the site settings (site admins)",
    }

    def get_object(self):
        return Settings.load()

    def get_serializer_class(self):
        """The schema (drf-spectacular's fake view) describes the site admins' answer; the public
        one holds a subset of its attributes."""
        if getattr(self, "swagger_fake_view", False) or is_site_admin(self.request.user):
            return SettingsSerializer
        return PublicSettingsSerializer
