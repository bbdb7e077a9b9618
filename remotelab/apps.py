from django.apps import AppConfig


class RemotelabConfig(AppConfig):
    name = "remotelab"
    verbose_name = "Remote lab"
