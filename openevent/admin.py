from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.urls import reverse

from events.permissions import may_use_admin


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
        return redirect_to_login(request.GET.get("next", reverse("admin:index")), reverse("accounts:login"))


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
    service, which checks the right to and does what deleting involves."""

    delete_service: staticmethod

    def delete_model(self, request, obj):
        self.delete_service(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(request.user, obj)
