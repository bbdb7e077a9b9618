from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
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
