"""The organizers' admin. Staff organizers see and change only the events they hold a role on
(events.permissions decides); every change goes through events.services."""

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.permissions import is_site_admin
from forms_builder import services as form_services
from forms_builder.models import CustomForm
from openevent.admin import DeleteThroughServiceMixin, HiddenIs404Mixin, StorableJSONField, add_refusal
from openevent.errors import DomainError
from openevent.forms import TimesCheckedTogetherMixin, show_initial_values

from . import permissions, services
from .forms import TIMEZONE_CHOICES, changed_fields, typed_instant
from .models import TIMEZONES, Event, EventTopic, Role, RoleInvite, Settings, UsersEventsRoles


class ZonedSplitDateTimeField(forms.SplitDateTimeField):
    """A date and time in the event's zone. One the autumn clock change repeats is refused when
    typed (which of the two is meant?), but the stored one, shown and sent back unchanged, keeps
    its instant, so the rest of the form can be saved."""

    stored: datetime | None = None  # set by the form from its initial value

    def compress(self, data_list):
        if data_list and None not in data_list:
            return typed_instant(datetime.combine(*data_list), timezone.get_current_timezone(), self.stored)
        return super().compress(data_list)


class EventZoneMixin:
    """Times are shown and entered in their event's time zone, and say which it is: on a change
    page and in the lists, the event's; on an add page, the posted event's (or time zone's)."""

    def event_of(self, obj) -> Event:
        return obj.event

    def posted_zone(self, request) -> str | None:
        """The time zone of the event an add page's form names, if the user may add to it."""
        try:
            event = Event._meta.pk.clean(request.POST.get("event"), None)
        except ValidationError:
            return None
        events = permissions.administered_events(request.user).filter(pk=event)
        return events.values_list("timezone", flat=True).first()

    def form_zone(self, request, object_id) -> str | None:
        """The zone the form's times are shown and read in."""
        if object_id is not None:
            return self.event_of(self.get_object(request, unquote(object_id))).timezone
        return self.posted_zone(request) if request.method == "POST" else None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone = request.event_zone = self.form_zone(request, object_id)
        with timezone.override(zone and ZoneInfo(zone)):  # rendered within: the widgets show local times
            response = super().changeform_view(request, object_id, form_url, extra_context)
            return response.render() if hasattr(response, "render") else response

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ZonedForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.pk is not None:
                    show_initial_values(self)  # changed_data: what the user changed on the page
                self.times = {
                    name: field
                    for name, field in self.fields.items()
                    if isinstance(field, ZonedSplitDateTimeField)
                }
                for name, field in self.times.items():
                    field.stored = self.initial.get(name)

            def clean(self):
                """A time the user left as the page showed it keeps its instant, also when its
                event's zone changed since (unless it is this form's own new zone)."""
                cleaned = super().clean()
                if "timezone" not in self.changed_data:
                    for name, field in self.times.items():
                        if field.stored and cleaned.get(name) and name not in self.changed_data:
                            cleaned[name] = field.stored
                return cleaned

        return ZonedForm

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField):
            kwargs["form_class"] = ZonedSplitDateTimeField
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and field is not None:
            zone = getattr(request, "event_zone", None)
            where = f"In {zone}, the event's time zone." if zone else "In the event's time zone."
            field.help_text = f"{where} {field.help_text}".strip()
        return field

    def get_list_display(self, request):
        return [self._zoned(name) for name in super().get_list_display(request)]

    def _zoned(self, name):
        """A time column shown in each row's event's time zone, with its abbreviation."""
        try:
            field = self.model._meta.get_field(name) if isinstance(name, str) else None
        except FieldDoesNotExist:  # a method's column
            return name
        if not isinstance(field, models.DateTimeField):
            return name

        @admin.display(description=field.verbose_name, ordering=name)
        def show(obj):
            value = getattr(obj, name)
            if value is None:
                return self.get_empty_value_display()
            return f"{value.astimezone(ZoneInfo(self.event_of(obj).timezone)):%d %b %Y %H:%M %Z}"

        return show


class EventRowsFormSet(BaseInlineFormSet):
    """An inline of the event's rows: a posted id that is not one of them (removed meanwhile, or
    made up), or one posted twice, is refused, not taken as a new row or as two."""

    def clean(self):
        super().clean()
        ids = [form.instance.pk for form in self.forms[: self.initial_form_count()]]
        if None in ids or len(set(ids)) != len(ids):
            raise ValidationError("A row of this list no longer exists. Reload the page and try again.")


class TeamFormSet(EventRowsFormSet):
    """Checks the team rules before anything is saved, so a refused change saves nothing."""

    request = None  # set by the inline

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.errors and form not in self.deleted_forms:
                continue  # the form shows its own errors; its team rules are checked once it is valid
            if not form.has_changed() and form not in self.deleted_forms:
                continue
            try:
                self.check(form)
            except DomainError as error:
                raise ValidationError(str(error)) from error

    def check(self, form):
        raise NotImplementedError


class RoleFormSet(TeamFormSet):
    def check(self, form):
        if form in self.deleted_forms and form.instance.role.name == Role.OWNER:
            raise ValidationError("The owner cannot be removed. Invite a new owner to hand the event over.")


class InviteFormSet(TeamFormSet):
    def check(self, form):
        if form in self.deleted_forms or not form.cleaned_data:
            return
        if form.instance.pk and form.instance.status != RoleInvite.Status.PENDING:
            raise ValidationError(f"The invite of {form.instance.email} was answered already.")
        invite = form.instance if form.instance.pk else None
        services.check_invite(
            self.request.user,
            self.instance,
            form.cleaned_data["email"],
            form.cleaned_data["role"].name,
            invite,
        )


class TeamInline(admin.TabularInline):
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset

    def _may_manage(self, request, obj):
        if obj is None:  # the inline's own queryset, or the add page: the event admin decides
            return permissions.may_use_admin(request.user)
        return permissions.is_event_admin(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request, obj)


class RoleInline(TeamInline):
    """The event's team. People join through invites; here they can be removed."""

    model = UsersEventsRoles
    formset = RoleFormSet
    fields = readonly_fields = ["user", "role", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class InviteInline(TeamInline):
    model = RoleInvite
    formset = InviteFormSet
    fields = ["email", "role", "status", "expires_at"]
    readonly_fields = ["status", "expires_at"]
    extra = 1

    def has_add_permission(self, request, obj=None):
        return self._may_manage(request, obj)


class EventChildAdmin(EventZoneMixin, HiddenIs404Mixin, DeleteThroughServiceMixin, admin.ModelAdmin):
    """Objects of the events the user administers (all for site admins). An object stays with
    its event; its list filters and choices offer only the user's events and their objects (a
    session's track, an attendee's ticket)."""

    list_select_related = ["event"]
    list_filter = [("event", admin.RelatedOnlyFieldListFilter)]
    answers_form: str | None = None  # the event's form whose answers the object keeps, if any

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "event"] if obj else readonly

    def get_form(self, request, obj=None, **kwargs):
        """The model form, with the service's rules run in its clean() so a refusal is a form error."""
        form = super().get_form(request, obj, **kwargs)
        check, answers_form = self.check_form, self.answers_form

        class CheckedForm(form):
            def validate_unique(self):
                """A changed object's event is read-only here, so the model's checks leave out what
                is unique within its event (a track's name): it is checked all the same, as a form
                error. An added object's event is a field: the model checked it all."""
                exclude = self._get_validation_exclusions()
                if "event" not in exclude:
                    return super().validate_unique()
                for validate in (self.instance.validate_unique, self.instance.validate_constraints):
                    try:
                        validate(exclude=exclude - {"event"})
                    except ValidationError as error:
                        self._update_errors(error)

            def clean(self):
                cleaned = super().clean()
                if answers_form and "complex_field_values" in self.changed_data and not self.errors:
                    # The answers checked as the service will (the instance holds the stored ones yet).
                    event = self.instance.event if self.instance.pk else cleaned["event"]
                    cleaned["complex_field_values"] = form_services.clean_answers(
                        event,
                        answers_form,
                        cleaned["complex_field_values"],
                        self.instance.complex_field_values,
                    )
                return cleaned

            def _post_clean(self):
                """The service's rules, once the model's own checks pass on what was typed: a check
                never queries with a time no zone converts, nor misreads a field it refused."""
                stored = copy.copy(self.instance)  # as it was before the form's values are put on it
                super()._post_clean()
                if not self.errors:
                    try:
                        check(request, stored, self.cleaned_data)
                    except (DomainError, ValidationError) as error:
                        add_refusal(self, error)

        return CheckedForm

    def check_form(self, request, stored, cleaned: dict) -> None:
        """Raise DomainError or ValidationError if the service would refuse this change."""

    @staticmethod
    def event_of_form(stored, cleaned: dict) -> Event | None:
        """The event of the form's object: the one chosen while it is added (a primary key may be
        set before it is saved), its own after."""
        return cleaned.get("event") if stored._state.adding else stored.event

    def get_queryset(self, request):
        events = permissions.administered_events(request.user).values("pk")
        return super().get_queryset(request).filter(event_id__in=events)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        events = permissions.administered_events(request.user)
        target = db_field.related_model
        if db_field.name == "event":
            kwargs["queryset"] = events
        elif any(field.name == "event" for field in target._meta.get_fields()):
            kwargs["queryset"] = target._default_manager.filter(event__in=events).select_related("event")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return permissions.may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_add_permission(self, request):
        return self._may(request, None)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj)

    def _may(self, request, obj):
        if obj is None:
            return permissions.may_use_admin(request.user)
        return permissions.is_event_admin(request.user, obj.event)


class CustomFormForm(forms.ModelForm):
    """A field of the event's forms; a built-in one keeps its identifier, type and form and is
    always asked (forms_builder.services' rules: those fields are not editable)."""

    class Meta:
        model = CustomForm
        fields = [
            "form",
            "position",
            "field_identifier",
            "field_type",
            "name",
            "description",
            "options",
            "is_required",
            "is_included",
            "is_public",
        ]
        field_classes = {"options": StorableJSONField}  # an inline's fields are not the site's

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_fixed:
            for name in ("form", "field_identifier", "field_type", "options", "is_required", "is_included"):
                self.fields[name].disabled = True


class CustomFormFormSet(EventRowsFormSet):
    """The event's form fields. Those deleted are deleted first, so a field may take a deleted
    one's identifier in the same save; two fields trading identifiers take two saves."""

    def clean(self):
        super().clean()
        if any(form.instance.is_fixed for form in self.deleted_forms):
            raise ValidationError(
                "A built-in field is not deleted: it is the attendee's, speaker's or session's own."
            )
        kept = [form for form in self.forms[: self.initial_form_count()] if form not in self.deleted_forms]
        stored = {(form.initial["form"], form.initial["field_identifier"]): form for form in kept}
        for form in self.forms:
            if form in self.deleted_forms or not form.has_changed() or not form.is_valid():
                continue
            holder = stored.get((form.cleaned_data["form"], form.cleaned_data["field_identifier"]))
            if holder is not None and holder is not form:
                raise ValidationError(
                    f'"{form.cleaned_data["field_identifier"]}" is another field\'s identifier until this is '
                    "saved: change that field first, then this one."
                )


class CustomFormInline(TeamInline):
    """The questions the event asks its attendees, speakers and sessions, in position order; the
    answers to a field removed here are kept, retired."""

    model = CustomForm
    form = CustomFormForm
    formset = CustomFormFormSet
    extra = 0
    ordering = ["form", "position", "pk"]
    verbose_name = "form field"

    def has_add_permission(self, request, obj=None):
        return self._may_manage(request, obj)


class EventAdminForm(TimesCheckedTogetherMixin, forms.ModelForm):
    pass


@admin.register(Event)
class EventAdmin(EventZoneMixin, HiddenIs404Mixin, DeleteThroughServiceMixin, admin.ModelAdmin):
    form = EventAdminForm
    delete_service = staticmethod(services.delete_event)
    list_display = ["name", "state", "starts_at", "ends_at", "location_name", "event_topic"]
    list_filter = ["state", "event_topic"]
    search_fields = ["name", "location_name"]
    date_hierarchy = "starts_at"
    list_select_related = ["event_topic"]
    inlines = [RoleInline, InviteInline, CustomFormInline]

    def get_queryset(self, request):
        return permissions.administered_events(request.user)

    def event_of(self, obj) -> Event:
        return obj

    def posted_zone(self, request) -> str | None:
        zone = request.POST.get("timezone")
        return zone if zone in TIMEZONES else None

    def form_zone(self, request, object_id) -> str | None:
        """An event's times are read in the zone chosen with them, as on its edit page."""
        return (request.method == "POST" and self.posted_zone(request)) or super().form_zone(
            request, object_id
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "timezone":
            return forms.ChoiceField(
                choices=TIMEZONE_CHOICES,
                initial=db_field.default,
                label="Time zone",
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_deleted_objects(self, objs, request):
        """What deleting takes with it, naming no one else's draft: a draft is its submitter's
        alone (speakers.permissions), so it is counted but not shown."""
        from speakers.models import Session
        from speakers.permissions import not_someone_elses_draft

        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        drafts = Session.objects.filter(event__in=objs).exclude(not_someone_elses_draft(request.user))
        hidden = {
            format_html(
                '{}: <a href="{}">{}</a>',
                "Session",
                reverse("admin:speakers_session_change", args=[quote(draft.pk)]),
                draft,
            )
            for draft in drafts
        }
        return (
            _replaced(deleted, hidden, "Session: a draft its submitter has not sent in"),
            counts,
            perms_needed,
            protected,
        )

    def has_module_permission(self, request):
        return permissions.may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_module_permission(request)
        return permissions.is_event_admin(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return is_site_admin(request.user)
        return permissions.is_event_owner(request.user, obj)

    def save_model(self, request, obj, form, change):
        if change:
            services.update_event(request.user, obj, **changed_fields(form))
        else:
            services.create_event(request.user, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:  # said once every row is saved: a refused one saves none
            if formset.model is RoleInvite:
                for invite in formset.new_objects:
                    messages.info(request, f"Invited {invite.email}: the invite is on its way.")

    def save_formset(self, request, form, formset, change):
        """Team changes go through the services, which keep guardian in step and send invites;
        form fields through forms_builder's."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is CustomForm:  # deleted first: their identifiers are free for the others
            for item in formset.deleted_forms:
                if item.instance.pk:
                    form_services.delete_field(request.user, item.instance)
            for item in formset.forms:
                if item not in formset.deleted_forms and item.has_changed():
                    form_services.save_field(request.user, item.instance)
            return
        for item in formset.forms:
            instance = item.instance
            if item in formset.deleted_forms:
                if isinstance(instance, UsersEventsRoles):
                    services.remove_role(request.user, instance)
                elif instance.pk:
                    services.delete_invite(request.user, instance)
                formset.deleted_objects.append(instance)
            elif formset.model is RoleInvite and item.has_changed():
                data = {"email": item.cleaned_data["email"], "role_name": item.cleaned_data["role"].name}
                if instance.pk:
                    services.update_invite(request.user, instance, **data)
                    formset.changed_objects.append((instance, item.changed_data))
                else:
                    formset.new_objects.append(services.create_invite(request.user, form.instance, **data))


def _replaced(nested: list, hidden: set[str], placeholder: str) -> list:
    """The admin's nested list of what a deletion takes with it, with `hidden` entries replaced."""
    return [
        _replaced(item, hidden, placeholder)
        if isinstance(item, list)
        else placeholder
        if item in hidden
        else item
        for item in nested
    ]


class SiteAdminOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_site_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_site_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_site_admin(request.user)

    def has_add_permission(self, request):
        return is_site_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_site_admin(request.user)


@admin.register(EventTopic)
class EventTopicAdmin(SiteAdminOnly):
    """A new topic's slug may be left empty: events.services derives a free one from its name."""

    list_display = ["name", "slug"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            slug = form.base_fields["slug"]
            slug.required = False
            slug.help_text = "Leave empty to make one from the name."
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            services.save_new_topic(request.user, obj)


@admin.register(Settings)
class SettingsAdmin(SiteAdminOnly):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
