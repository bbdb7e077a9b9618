"""The call for speakers in the organizers' admin: each organizer sees the sessions, speakers,
sponsors and tracks of the events they run; every change goes through speakers.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError

from events import permissions as event_permissions
from events.admin import EventChildAdmin
from forms_builder.models import CustomForm
from openevent.errors import DomainError, Forbidden
from openevent.forms import TimesCheckedTogetherMixin, changed_list, changes_of

from . import permissions, services
from .models import Microlocation, Session, SessionType, Speaker, Sponsor, Track


class SessionForm(TimesCheckedTogetherMixin, forms.ModelForm):
    def clean(self):
        """A session moved out of the accepted and confirmed ones leaves the schedule, as the service
        takes it off, unless the organizer typed a new slot for it too."""
        cleaned = super().clean()
        stored, typed = self.instance, services.SCHEDULE_FIELDS & set(self.changed_data)
        if (
            not stored._state.adding
            and not typed
            and services.leaves_schedule(stored.state, cleaned.get("state", stored.state))
        ):
            cleaned.update(dict.fromkeys(services.SCHEDULE_FIELDS))
        return cleaned


@admin.register(Session)
class SessionAdmin(EventChildAdmin):
    form = SessionForm
    delete_service = staticmethod(services.delete_session)
    answers_form = CustomForm.Form.SESSION
    list_display = ["title", "event", "track", "state", "starts_at", "microlocation", "creator"]
    list_filter = [
        "state",
        ("event", admin.RelatedOnlyFieldListFilter),
        ("track", admin.RelatedOnlyFieldListFilter),
        ("microlocation", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "subtitle", "speakers__name"]
    list_select_related = ["event", "track", "microlocation", "creator"]
    readonly_fields = ["creator", "created_at"]
    actions = ["accept", "reject", "confirm"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(permissions.not_someone_elses_draft(request.user))

    def check_form(self, request, stored, cleaned):
        state = cleaned.get("state")
        if not stored._state.adding and state and state not in services.allowed_states(request.user, stored):
            raise Forbidden(f'You cannot change a session state from "{stored.state}" to "{state}"')
        event = self.event_of_form(stored, cleaned)
        if event is not None:  # the room is checked as the service will (under its lock) once saved
            placed = {name: cleaned.get(name) for name in services.SCHEDULE_FIELDS}
            services.check_room_is_free(Session(pk=stored.pk, event=event, **placed))

    def save_model(self, request, obj, form, change):
        if change:
            services.update_session(request.user, obj, **changes_of(form))  # judged on it as stored
        else:
            services.create_session(request.user, obj)

    def _move(self, request, queryset, state):
        """Move the selected sessions, skipping drafts. The user's own drafts are listed; anyone
        else's are not, so they are missing from `queryset`: selected ids that are missing count as
        skipped too, without saying what they are."""
        selected = set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        found = {str(pk) for pk in queryset.values_list("pk", flat=True)}
        skipped = len(selected - found) + queryset.filter(state=Session.State.DRAFT).count()
        if skipped:
            messages.warning(
                request,
                f"{skipped} selected session(s) skipped: drafts are their submitters' until they send them "
                "for review.",
            )
        moved = 0
        for session in queryset.exclude(state=Session.State.DRAFT).select_related("event"):
            try:
                services.change_state(request.user, session, state)
                moved += 1
            except DomainError as error:
                messages.warning(request, f"{session}: {error}")
        if moved:
            told = "; their speakers were told" if state in services.NOTIFY_SPEAKERS_ON else ""
            messages.success(request, f"{moved} session(s) now {state}{told}.")

    @admin.action(description="Accept the selected sessions (emails their speakers)")
    def accept(self, request, queryset):
        self._move(request, queryset, Session.State.ACCEPTED)

    @admin.action(description="Reject the selected sessions (emails their speakers)")
    def reject(self, request, queryset):
        self._move(request, queryset, Session.State.REJECTED)

    @admin.action(description="Confirm the selected sessions")
    def confirm(self, request, queryset):
        self._move(request, queryset, Session.State.CONFIRMED)


@admin.register(Speaker)
class SpeakerAdmin(EventChildAdmin):
    delete_service = staticmethod(services.delete_speaker)
    answers_form = CustomForm.Form.SPEAKER
    list_display = ["name", "email", "event", "organisation"]
    list_filter = [
        ("event", admin.RelatedOnlyFieldListFilter),
        "sessions__state",
        ("sessions__track", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "email", "organisation"]
    readonly_fields = ["user", "creator", "created_at"]
    filter_horizontal = ["sessions"]

    def check_form(self, request, stored, cleaned):
        event = self.event_of_form(stored, cleaned)
        if event and any(session.event_id != event.pk for session in cleaned.get("sessions", [])):
            raise ValidationError("A speaker speaks only at sessions of their own event.")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "sessions":
            events = event_permissions.administered_events(request.user).values("pk")
            kwargs["queryset"] = Session.objects.filter(
                permissions.not_someone_elses_draft(request.user), event_id__in=events
            ).select_related("event")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # saved with its sessions in save_related, through the service

    def save_related(self, request, form, formsets, change):
        sessions = changed_list(form, "sessions")
        if change:
            services.update_speaker(request.user, form.instance, sessions, **changes_of(form, "sessions"))
        else:
            services.create_speaker(request.user, form.instance, sessions)


class EventPartAdmin(EventChildAdmin):
    """A sponsor, room or session type: saved and deleted through the one service for them."""

    delete_service = staticmethod(services.delete_event_part)
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        services.save_event_part(request.user, obj, **changes_of(form) if change else {})


@admin.register(Sponsor)
class SponsorAdmin(EventPartAdmin):
    list_display = ["name", "event", "level", "sponsor_type"]


@admin.register(Microlocation)
class MicrolocationAdmin(EventPartAdmin):
    list_display = ["name", "event", "floor", "position"]


@admin.register(SessionType)
class SessionTypeAdmin(EventPartAdmin):
    list_display = ["name", "event", "length"]


@admin.register(Track)
class TrackAdmin(EventChildAdmin):
    delete_service = staticmethod(services.delete_track)
    list_display = ["name", "event", "color"]
    filter_horizontal = ["organizers"]

    def check_form(self, request, stored, cleaned):
        event = self.event_of_form(stored, cleaned)
        refused = [
            user
            for user in cleaned.get("organizers", [])
            if not event_permissions.can_organize_tracks(user, event)
        ]
        if event and refused:
            raise ValidationError(f"{refused[0]} is not a track organizer of {event}.")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "organizers":
            events = event_permissions.administered_events(request.user)
            kwargs["queryset"] = event_permissions.track_organizers_of(events)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        pass  # saved with its organizers in save_related, through the service

    def save_related(self, request, form, formsets, change):
        changes = changes_of(form, "organizers") if change else {}
        services.save_track(request.user, form.instance, changed_list(form, "organizers"), **changes)
