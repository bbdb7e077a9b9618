from django.apps import AppConfig


class FormsBuilderConfig(AppConfig):
    name = "forms_builder"
    verbose_name = "Custom forms"
