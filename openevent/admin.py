import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from events.permissions import may_use_admin
from openevent.errors import CLASHED, DomainError
from openevent.forms import MultilineField
from openevent.mail import held_mail


class OpenEventAdminSite(admin.AdminSite):
    """The admin for site admins (staff) and for event organizers, who see only their events.

    Organizers are not staff: `is_staff` makes a site admin (shared/docs/API.md), so the
    site lets in whoever events.permissions says may use it, and logs people in on the
    site's own login page.
    """

    site_header = "OpenEvent administration"
    site_title = "OpenEvent admin"

    def has_permission(self, request):
        return may_use_admin(request.user)

    def login(self, request, extra_context=None):
        """Someone logged in who runs no event is told so; anyone else logs in first."""
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.user.is_authenticated:
            return TemplateResponse(request, "admin/no_events.html", self.each_context(request), status=403)
        return redirect_to_login(request.GET.get("next", reverse("admin:index")), reverse("accounts:login"))

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every model admin, Django's own too, answers input the database cannot hold as bad input."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, BadInputMixin):
            admin_class = type(admin_class.__name__, (BadInputMixin, RefusedSaveMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)


class KeyCheckedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Ids the related key cannot hold (past the database's range) are invalid choices, not a
    database error."""

    def _check_values(self, value):
        options = self.queryset.model._meta
        key = options.get_field(self.to_field_name) if self.to_field_name else options.pk
        for item in value:
            try:
                key.clean(item, None)
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                ) from None
        return super()._check_values(value)


class StorableJSONField(forms.JSONField):
    """JSON in a form, which may spell text no database column holds (a lone surrogate such as
    `"\\ud800"`): the model's validators refuse it, and the form shows it again as it was typed
    (the decoded text cannot be written into the page). JSON nested deeper than the parser
    goes, or a number too long to read, is invalid JSON, not a 500."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except (RecursionError, ValueError) as error:  # nested past the parser, a number past 4300 digits
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from error

    def bound_data(self, data, initial):
        try:
            value = super().bound_data(data, initial)
            json.dumps(value, ensure_ascii=False, cls=self.encoder).encode()
        except (RecursionError, ValueError):  # UnicodeEncodeError is one
            return forms.fields.InvalidJSONInput(data)
        return value


# What the changelist's own filters and date drill-down put after a field's name.
FILTER_LOOKUPS = frozenset(
    {"exact", "isnull", "isempty", "in", "gt", "gte", "lt", "lte", "year", "month", "day"}
)


class BadInputMixin:
    """Input Django's admin sends to the database unchecked, answered as bad input, not a 500:
    a changelist action on ids the model's key cannot hold (`abc`, or past the database's
    range) changes nothing and says so; a changelist takes only the lookups its list filters
    and date drill-down send, and one past any range, or any other, is its "incorrect lookup"
    redirect; such ids among a form's many-to-many choices are invalid choices; JSON holding
    text no column holds is a form error; an add page leaves empty the times given in its address
    (text that Django's time widget cannot show)."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        times = {field.name for field in self.model._meta.fields if isinstance(field, models.DateTimeField)}
        return {name: None if name in times else value for name, value in initial.items()}

    def changelist_view(self, request, extra_context=None):
        if any("\x00" in value for value in request.GET.values()):  # PostgreSQL holds no NUL in text
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        try:
            response = super().changelist_view(request, extra_context)
            return response.render() if hasattr(response, "render") else response
        except (OverflowError, DisallowedModelAdminLookup):  # OverflowError: SQLite cannot hold the
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")  # value, or past year 9999

    def lookup_allowed(self, lookup, value, request=None):
        """Django takes any lookup on a local field from the address, and a broken pattern
        (`?name__regex=(`) or a lookup the database lacks was a 500."""
        offered = {self.date_hierarchy}
        for item in self.get_list_filter(request) if request is not None else self.list_filter:
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                offered.add(item.parameter_name)
            else:
                offered.add(item[0] if isinstance(item, (list, tuple)) else item)
        parts = lookup.split(LOOKUP_SEP)
        return any(
            LOOKUP_SEP.join(parts[:length]) in offered and set(parts[length:]) <= FILTER_LOOKUPS | {"id"}
            for length in range(1, len(parts) + 1)
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            kwargs.setdefault("form_class", StorableJSONField)
        elif isinstance(db_field, models.TextField):
            kwargs.setdefault("form_class", MultilineField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", KeyCheckedMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def response_action(self, request, queryset):
        key = self.model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                key.clean(value, None)
        except ValidationError:
            self.message_user(
                request, "Some selected items do not exist. No items have been changed.", messages.WARNING
            )
            return None  # the changelist redirects to itself
        return super().response_action(request, queryset)


def add_refusal(form, error: DomainError | ValidationError | IntegrityError) -> None:
    """Show a service's refusal on the form: beside the fields it names, above the form otherwise
    (a field the form does not show, such as a change page's read-only event). A database
    constraint that a concurrent write broke, past the form's checks, says so."""
    if isinstance(error, IntegrityError):
        error = ValidationError(CLASHED)
    elif isinstance(error, DomainError):
        error = ValidationError(str(error))
    if hasattr(error, "error_dict"):
        by_field = {}
        for name, messages in error.error_dict.items():
            by_field.setdefault(name if name in form.fields else NON_FIELD_ERRORS, []).extend(messages)
        error = ValidationError(by_field)
    form.add_error(None, error)


class RefusedSaveMixin:
    """A save the service refuses, when it checks under its locks what another request changed
    after the form was checked (a name taken meanwhile, an event's new dates), or that the
    database refuses (a plain model save of a name taken meanwhile), saves nothing and shows the
    form again as posted, with the refusal: Django's admin lets it through as a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with held_mail():  # sent once the admin's transaction is committed
                return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError, IntegrityError) as error:  # the transaction is rolled back
            if request.method != "POST" or hasattr(request, "refused_save"):
                raise
            request.refused_save = error
        with held_mail():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "refused_save", None)
        if refusal is None:
            return form

        class RefusedForm(form):
            def _post_clean(self):
                super()._post_clean()
                if not self.errors:  # checked again, the form may find the reason itself: said once
                    add_refusal(self, refusal)

        return RefusedForm


class HiddenIs404Mixin:
    """For a ModelAdmin whose queryset holds what the user may see: anything else is a 404,
    as in the API and on the pages, not the admin's redirect that tells it exists."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Not found.")
        return obj


class DeleteThroughServiceMixin:
    """Deleting one object or a selection goes through `delete_service(actor, obj)`, the app's
    service, which checks the right to and does what deleting involves. What the service refuses
    after the admin's own check of what protects the objects (an attendee added to a ticket in
    between) deletes nothing and is said on the page the deletion was asked from."""

    delete_service: staticmethod

    def delete_model(self, request, obj):
        self.delete_service(request.user, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_service(request.user, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            return self._refused(request, error)

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except DomainError as error:
            return self._refused(request, error)

    def _refused(self, request, error: DomainError):
        self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())
