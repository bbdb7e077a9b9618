from django.conf import settings
from django.db import models
from django.utils.timezone import now

MAX_SCRIPT_LENGTH = 20000


class LabScript(models.Model):
    """A user's own Python script for the remote lab; only its owner sees or runs it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_scripts")
    title = models.CharField(max_length=100)
    code = models.TextField(max_length=MAX_SCRIPT_LENGTH)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "pk"]

    def __str__(self) -> str:
        return self.title
