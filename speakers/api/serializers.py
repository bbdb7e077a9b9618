from rest_framework import serializers as fields

from events import permissions as event_permissions
from events.api.serializers import EventChildSerializer, VisibleEventField
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from openevent.resources import Relationship
from speakers import permissions, services
from speakers.models import Microlocation, Session, SessionType, Speaker, Sponsor, Track

EVENT = "events.api.serializers.EventSerializer"


class VisibleTrackField(Relationship):
    """Tracks of events the caller cannot see do not exist for them."""

    def get_queryset(self):
        return permissions.visible_tracks(self.context["request"].user)


class VisibleMicrolocationField(Relationship):
    def get_queryset(self):
        return permissions.visible_microlocations(self.context["request"].user)


class VisibleSessionTypeField(Relationship):
    def get_queryset(self):
        return permissions.visible_session_types(self.context["request"].user)


class TrackOrganizerField(Relationship):
    """Users who may be made organizers of a track: track organizers of the caller's events."""

    def get_queryset(self):
        return event_permissions.track_organizers_of(
            event_permissions.administered_events(self.context["request"].user)
        )


def answers_field(form: str) -> fields.DictField:
    return fields.DictField(
        required=False,
        help_text=f"Answers to the event's own {form} questions, by field identifier: the public ones are "
        "shown to anyone, the others only to the event's admins and to whoever gave them.",
    )


class AnsweringSerializer(EventChildSerializer):
    """A session or speaker, which answers the event's questions (`complex-field-values`). Who may
    not see its private details sees only the public answers (and no speaker's address)."""

    answers_form: str

    def shows_private_details(self, instance) -> bool:
        raise NotImplementedError

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.shows_private_details(instance):
            data.pop("email", None)
            if "complex_field_values" in data:
                public = self.public_identifiers(instance.event_id)
                answers = data["complex_field_values"]
                data["complex_field_values"] = {key: answers[key] for key in answers if key in public}
        return data

    @property
    def administered_event_ids(self) -> set[int] | None:
        """Asked once per request, however many objects it shows (included ones too)."""
        if "administered_event_ids" not in self.context:
            self.context["administered_event_ids"] = permissions.administered_event_ids(self.actor)
        return self.context["administered_event_ids"]

    def public_identifiers(self, event_id: int) -> set[str]:
        """Asked once per event and form in a request."""
        known = self.context.setdefault("public_identifiers", {})
        if (event_id, self.answers_form) not in known:
            public = forms_services.public_fields(event_id, self.answers_form)
            known[event_id, self.answers_form] = {field.field_identifier for field in public}
        return known[event_id, self.answers_form]


class SessionSerializer(AnsweringSerializer):
    # A draft event one may see but not submit to is a 404 from the service.
    event = VisibleEventField()
    track = VisibleTrackField(required=False, allow_null=True)
    microlocation = VisibleMicrolocationField(required=False, allow_null=True)
    session_type = VisibleSessionTypeField(required=False, allow_null=True)
    speakers = Relationship(many=True, read_only=True)
    creator = Relationship(read_only=True)
    complex_field_values = answers_field("session")

    answers_form = CustomForm.Form.SESSION
    included_serializers = {
        "event": EVENT,
        "track": "speakers.api.serializers.TrackSerializer",
        "microlocation": "speakers.api.serializers.MicrolocationSerializer",
        "session_type": "speakers.api.serializers.SessionTypeSerializer",
        "speakers": "speakers.api.serializers.SpeakerSerializer",
    }
    seen_with_parent = {"speakers"}  # who sees a session sees its speakers (visible_speakers)

    class Meta:
        model = Session
        resource_name = "session"
        fields = [
            "title",
            "subtitle",
            "short_abstract",
            "long_abstract",
            "level",
            "language",
            "state",
            "starts_at",
            "ends_at",
            "complex_field_values",
            "created_at",
            "event",
            "track",
            "microlocation",
            "session_type",
            "speakers",
            "creator",
        ]

    def shows_private_details(self, instance) -> bool:
        return permissions.can_see_session_private_answers(self.actor, instance, self.administered_event_ids)

    def create(self, validated_data):
        return services.create_session(self.actor, Session(**validated_data))

    def update(self, instance, validated_data):
        return services.update_session(self.actor, instance, **validated_data)


class SpeakerSerializer(AnsweringSerializer):
    event = VisibleEventField()
    # Any session exists here; the service answers one that is not the caller's as missing.
    sessions = Relationship(queryset=Session.objects.all(), many=True, required=False)
    user = Relationship(read_only=True)
    complex_field_values = answers_field("speaker")

    answers_form = CustomForm.Form.SPEAKER
    included_serializers = {"event": EVENT, "sessions": SessionSerializer}

    class Meta:
        model = Speaker
        resource_name = "speaker"
        fields = [
            "name",
            "email",
            "short_biography",
            "long_biography",
            "photo_url",
            "website",
            "twitter",
            "github",
            "linkedin",
            "organisation",
            "country",
            "complex_field_values",
            "created_at",
            "event",
            "sessions",
            "user",
        ]

    def shows_private_details(self, instance) -> bool:
        return permissions.can_see_speaker_private_details(self.actor, instance, self.administered_event_ids)

    def create(self, validated_data):
        sessions = validated_data.pop("sessions", [])
        return services.create_speaker(self.actor, Speaker(**validated_data), sessions)

    def update(self, instance, validated_data):
        return services.update_speaker(self.actor, instance, **validated_data)


class EventPartSerializer(EventChildSerializer):
    """A sponsor, room or session type: written through the one service for them."""

    event = VisibleEventField()

    included_serializers = {"event": EVENT}

    def create(self, validated_data):
        return services.save_event_part(self.actor, self.Meta.model(**validated_data))

    def update(self, instance, validated_data):
        return services.save_event_part(self.actor, instance, **validated_data)


class SponsorSerializer(EventPartSerializer):
    class Meta:
        model = Sponsor
        resource_name = "sponsor"
        fields = ["name", "url", "level", "sponsor_type", "description", "logo_url", "event"]


class TrackSerializer(EventChildSerializer):
    event = VisibleEventField()
    organizers = TrackOrganizerField(many=True, required=False)

    included_serializers = {"event": EVENT}

    class Meta:
        model = Track
        resource_name = "track"
        fields = ["name", "description", "color", "event", "organizers"]

    def create(self, validated_data):
        organizers = validated_data.pop("organizers", None)
        return services.save_track(self.actor, Track(**validated_data), organizers)

    def update(self, instance, validated_data):
        return services.save_track(self.actor, instance, **validated_data)


class MicrolocationSerializer(EventPartSerializer):
    class Meta:
        model = Microlocation
        resource_name = "microlocation"
        fields = ["name", "floor", "position", "event"]


class SessionTypeSerializer(EventPartSerializer):
    class Meta:
        model = SessionType
        resource_name = "session-type"
        fields = ["name", "length", "event"]
