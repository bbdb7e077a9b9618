from django.db import migrations

ROLES = [
    ("owner", "Owner"),
    ("organizer", "Organizer"),
    ("coorganizer", "Co-organizer"),
    ("track_organizer", "Track organizer"),
    ("moderator", "Moderator"),
    ("registrar", "Registrar"),
    ("attendee", "Attendee"),
]


def create_roles_and_settings(apps, schema_editor):
    Role = apps.get_model("events", "Role")
    for name, title_name in ROLES:
        Role.objects.update_or_create(name=name, defaults={"title_name": title_name})
    apps.get_model("events", "Settings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(create_roles_and_settings, migrations.RunPython.noop)]
