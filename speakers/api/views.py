from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from rest_framework import permissions, viewsets
from rest_framework.response import Response

from events import permissions as event_permissions
from openevent.api import PlainJSONView
from speakers import permissions as speaker_permissions
from speakers import services

from .serializers import SessionSerializer, SpeakerSerializer, SponsorSerializer, TrackSerializer


class EventChildViewSet(viewsets.ModelViewSet):
    """Objects of events: `visible(user)` decides what the caller sees, services what they change.
    Routed at `/v1/<things>` and, for lists, at `/v1/events/{id}/<things>`."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"\d+"
    select_related: tuple[str, ...] = ()
    filter_fields = {"event": "event"}

    def visible(self, user):
        raise NotImplementedError

    def get_queryset(self):
        queryset = self.visible(self.request.user)
        if "event_pk" in self.kwargs:
            visible_events = event_permissions.visible_events(self.request.user)
            queryset = queryset.filter(event=get_object_or_404(visible_events, pk=self.kwargs["event_pk"]))
        return queryset.select_related(*self.select_related).prefetch_related(*self.prefetched())

    def prefetched(self) -> list:
        """Many-relationships to prefetch, each showing only what the caller may see."""
        return []


class SessionViewSet(EventChildViewSet):
    serializer_class = SessionSerializer
    select_related = ("event", "track", "creator")
    ordering_fields = ["title", "created_at", "state"]
    filter_fields = {"event": "event", "state": "state", "track": "track", "level": "level"}
    search_fields = ["title", "subtitle"]

    def visible(self, user):
        return speaker_permissions.visible_sessions(user)

    def prefetched(self):
        return [Prefetch("speakers", queryset=speaker_permissions.visible_speakers(self.request.user))]

    def perform_destroy(self, instance):
        services.delete_session(self.request.user, instance)


class SpeakerViewSet(EventChildViewSet):
    serializer_class = SpeakerSerializer
    select_related = ("event", "user")
    ordering_fields = ["name", "created_at"]
    search_fields = ["name", "organisation"]

    def visible(self, user):
        return speaker_permissions.visible_speakers(user)

    def prefetched(self):
        return [Prefetch("sessions", queryset=speaker_permissions.visible_sessions(self.request.user))]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["administered_event_ids"] = speaker_permissions.administered_event_ids(self.request.user)
        return context

    def perform_destroy(self, instance):
        services.delete_speaker(self.request.user, instance)


class SponsorViewSet(EventChildViewSet):
    serializer_class = SponsorSerializer
    select_related = ("event",)
    ordering_fields = ["level", "name"]
    filter_fields = {"event": "event", "level": "level", "sponsor-type": "sponsor_type"}

    def visible(self, user):
        return speaker_permissions.visible_sponsors(user)

    def perform_destroy(self, instance):
        services.delete_sponsor(self.request.user, instance)


class TrackViewSet(EventChildViewSet):
    serializer_class = TrackSerializer
    select_related = ("event",)
    ordering_fields = ["name"]

    def visible(self, user):
        return speaker_permissions.visible_tracks(user)

    def prefetched(self):
        return ["organizers"]

    def perform_destroy(self, instance):
        services.delete_track(self.request.user, instance)


class SessionStatesView(PlainJSONView):
    """`GET /v1/sessions/states`: which state each side may move a session to, from each state."""

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        def table(transitions):
            return {state: sorted(targets) for state, targets in transitions.items()}

        return Response(
            {
                "organizer": table(services.ORGANIZER_TRANSITIONS),
                "submitter": table(services.SUBMITTER_TRANSITIONS),
            }
        )
