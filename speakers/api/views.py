from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework import serializers as fields
from rest_framework.response import Response

from openevent.api import PlainJSONView
from openevent.schema import plain
from openevent.viewsets import ResourceModelViewSet
from speakers import permissions as speaker_permissions
from speakers import services

from .serializers import (
    MicrolocationSerializer,
    SessionSerializer,
    SessionTypeSerializer,
    SpeakerSerializer,
    SponsorSerializer,
    TrackSerializer,
)

STATE_TABLE = fields.DictField(child=fields.ListField(child=fields.CharField()))


class SessionViewSet(ResourceModelViewSet):
    serializer_class = SessionSerializer
    summaries = {
        "list": "List sessions (anyone: the accepted and confirmed ones of published events, and one's own; "
        "event admins and track organizers: all of their events' but others' drafts)",
        "create": "Submit a session (logged-in users, to a published event; event admins, to a draft too)",
        "retrieve": "Read a session (whoever the list shows it to)",
        "partial_update": "Change a session or move its state (its creator and event admins; "
        "the moves GET /v1/sessions/states allows)",
        "destroy": "Delete a session (its creator, while a draft; event admins)",
    }
    ordering_fields = ["title", "created_at", "state", "starts_at"]
    filter_fields = {
        "event": "event",
        "state": "state",
        "track": "track",
        "microlocation": "microlocation",
        "session-type": "session_type",
        "starts-at": "starts_at",
        "level": "level",
        "title": "title",
        "language": "language",
        "created-at": "created_at",
    }
    search_fields = ["title", "subtitle"]

    @classmethod
    def visible(cls, user):
        return speaker_permissions.visible_sessions(user)

    def perform_destroy(self, instance):
        services.delete_session(self.request.user, instance)


class SpeakerViewSet(ResourceModelViewSet):
    serializer_class = SpeakerSerializer
    summaries = {
        "list": "List speakers (anyone: those of accepted and confirmed sessions of published events, and of "
        "one's own sessions; event admins: all)",
        "create": "Add a speaker to sessions (logged-in users, to their own sessions of a published event; "
        "event admins, to any)",
        "retrieve": "Read a speaker (whoever the list shows them to)",
        "partial_update": "Change a speaker (the speaker's user, who added them, and event admins)",
        "destroy": "Delete a speaker (the speaker's user, who added them, and event admins)",
    }
    ordering_fields = ["name", "created_at"]
    filter_fields = {"event": "event", "name": "name", "organisation": "organisation", "country": "country"}
    search_fields = ["name", "organisation"]

    @classmethod
    def visible(cls, user):
        return speaker_permissions.visible_speakers(user)

    def perform_destroy(self, instance):
        services.delete_speaker(self.request.user, instance)


class EventPartViewSet(ResourceModelViewSet):
    """Sponsors, rooms and session types: deleted through the one service for them."""

    def perform_destroy(self, instance):
        services.delete_event_part(self.request.user, instance)


class SponsorViewSet(EventPartViewSet):
    serializer_class = SponsorSerializer
    summaries = {
        "list": "List sponsors (anyone: those of published events; whoever holds a role on a draft: its)",
        "create": "Add a sponsor to an event (event admins)",
        "retrieve": "Read a sponsor (anyone, on a published event; whoever holds a role on a draft)",
        "partial_update": "Change a sponsor (event admins)",
        "destroy": "Delete a sponsor (event admins)",
    }
    ordering_fields = ["level", "name"]
    filter_fields = {"event": "event", "name": "name", "level": "level", "sponsor-type": "sponsor_type"}

    @classmethod
    def visible(cls, user):
        return speaker_permissions.visible_sponsors(user)


class TrackViewSet(ResourceModelViewSet):
    serializer_class = TrackSerializer
    summaries = {
        "list": "List tracks (anyone: those of published events; whoever holds a role on a draft: its)",
        "create": "Add a track to an event (event admins)",
        "retrieve": "Read a track (anyone, on a published event; whoever holds a role on a draft)",
        "partial_update": "Change a track (event admins)",
        "destroy": "Delete a track (event admins)",
    }
    ordering_fields = ["name"]
    filter_fields = {"event": "event", "name": "name"}

    @classmethod
    def visible(cls, user):
        return speaker_permissions.visible_tracks(user)

    def perform_destroy(self, instance):
        services.delete_track(self.request.user, instance)


class MicrolocationViewSet(EventPartViewSet):
    serializer_class = MicrolocationSerializer
    summaries = {
        "list": "List rooms (anyone: those of published events; whoever holds a role on a draft: its)",
        "create": "Add a room to an event (event admins)",
        "retrieve": "Read a room (anyone, on a published event; whoever holds a role on a draft)",
        "partial_update": "Change a room (event admins)",
        "destroy": "Delete a room (event admins; its sessions keep their times, without a room)",
    }
    ordering_fields = ["position", "name", "floor"]
    filter_fields = {"event": "event", "name": "name", "floor": "floor"}

    @classmethod
    def visible(cls, user):
        return speaker_permissions.visible_microlocations(user)


class SessionTypeViewSet(EventPartViewSet):
    serializer_class = SessionTypeSerializer
    summaries = {
        "list": "List session types (anyone: those of published events; who holds a role on a draft: its)",
        "create": "Add a session type to an event (event admins)",
        "retrieve": "Read a session type (anyone, on a published event; whoever holds a role on a draft)",
        "partial_update": "Change a session type (event admins)",
        "destroy": "Delete a session type (event admins; its sessions keep their times, without a type)",
    }
    ordering_fields = ["name", "length"]
    filter_fields = {"event": "event", "name": "name"}

    @classmethod
    def visible(cls, user):
        return speaker_permissions.visible_session_types(user)


class SessionStatesView(PlainJSONView):
    """`GET /v1/sessions/states`: which state each side may move a session to, from each state."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="The session state machine: where each side may move a session from each state (anyone)",
        responses={200: plain("SessionStates", organizer=STATE_TABLE, submitter=STATE_TABLE)},
    )
    def get(self, request):
        def table(transitions):
            return {state: sorted(targets) for state, targets in transitions.items()}

        return Response(
            {
                "organizer": table(services.ORGANIZER_TRANSITIONS),
                "submitter": table(services.SUBMITTER_TRANSITIONS),
            }
        )
