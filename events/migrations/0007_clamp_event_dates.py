"""Move dates stored before 0005 bounded them (1970 to 2199) into that range, so that no page
overflows converting them to local time. Such dates were nonsense (year 1, year 9999)."""

from datetime import UTC, datetime, timedelta

from django.db import migrations
from django.db.models import Q

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # openevent.validators' range, as it was then
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def clamp_event_dates(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    outside = Q()
    for field in ("starts_at", "ends_at"):
        outside |= Q(**{f"{field}__lt": EARLIEST}) | Q(**{f"{field}__gte": LATEST})
    hour = timedelta(hours=1)
    for event in Event.objects.filter(outside):
        event.starts_at = min(max(event.starts_at, EARLIEST), LATEST - 2 * hour)
        event.ends_at = min(max(event.ends_at, event.starts_at + hour), LATEST - hour)
        event.save(update_fields=["starts_at", "ends_at"])

class Migration(migrations.Migration):
    dependencies = [("events", "0006_normalized_invite_emails")]

    operations = [migrations.RunPython(clamp_event_dates, migrations.RunPython.noop)]
