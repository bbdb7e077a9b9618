from django.apps import AppConfig


class FormsBuilderConfig(AppConfig):
    name = "forms_builder"
    verbose_name = "Custom forms"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
