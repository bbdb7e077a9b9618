from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demo data of every app that has a `demo` module. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            for config in apps.get_app_configs():
                if find_spec(f"{config.name}.demo") is not None:
                    import_module(f"{config.name}.demo").load(self.stdout)
