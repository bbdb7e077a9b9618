from django.db.models.signals import post_save
from django.dispatch import receiver

from events.models import Event

from .services import add_built_in_fields


@receiver(post_save, sender=Event, dispatch_uid="forms_builder.built_in_fields")
def built_in_fields_for_a_new_event(sender, instance: Event, created: bool, raw: bool = False, **kwargs):
    """Every event asks its attendees, speakers and sessions the built-in fields from the start."""
    if created and not raw:
        add_built_in_fields(instance)
