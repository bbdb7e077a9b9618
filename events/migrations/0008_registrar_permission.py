from django.db import migrations

CODENAME = "register_attendees"


def grant_to_registrars(apps, schema_editor):
    """Registrars made before this permission existed get it, as events.services grants it now."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    UsersEventsRoles = apps.get_model("events", "UsersEventsRoles")
    EventUserObjectPermission = apps.get_model("events", "EventUserObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="events", model="event")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=CODENAME,
        defaults={"name": "See the event's orders and attendees, and take payment at the venue"},
    )
    EventUserObjectPermission.objects.bulk_create(
        [
            EventUserObjectPermission(user_id=row.user_id, content_object_id=row.event_id, permission=permission)
            for row in UsersEventsRoles.objects.filter(role__name="registrar")
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0007_clamp_event_dates"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="event",
            options={
                "ordering": ["starts_at", "pk"],
                "permissions": [
                    ("organize_tracks", "See the sessions of the tracks one organizes"),
                    ("register_attendees", "See the event's orders and attendees, and take payment at the venue"),
                ],
            },
        ),
        migrations.RunPython(grant_to_registrars, migrations.RunPython.noop),
    ]
