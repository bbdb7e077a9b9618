from django.apps import AppConfig


class OpenEventConfig(AppConfig):
    """The project itself: site-wide pieces such as the `load_demo_data` command."""

    name = "openevent"
    verbose_name = "OpenEvent"
