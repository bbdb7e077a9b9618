from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OpenEventConfig(AppConfig):
    """The project itself: site-wide pieces such as the `load_demo_data` command."""

    default = True
    name = "openevent"
    verbose_name = "OpenEvent"


class OpenEventAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with OpenEvent's admin site (openevent.admin)."""

    default = False
    default_site = "openevent.admin.OpenEventAdminSite"
