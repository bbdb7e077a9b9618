from django.db import migrations

# forms_builder.services.BUILT_IN as it was when this ran.
BUILT_IN = [
    ("attendee", "firstname", "First name", "text"),
    ("attendee", "lastname", "Last name", "text"),
    ("attendee", "email", "Email", "email"),
    ("speaker", "name", "Name", "text"),
    ("speaker", "email", "Email", "email"),
    ("session", "title", "Title", "text"),
]


def add_built_in_fields(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    CustomForm = apps.get_model("forms_builder", "CustomForm")
    CustomForm.objects.bulk_create(
        [
            CustomForm(
                event=event,
                form=form,
                field_identifier=identifier,
                name=name,
                field_type=field_type,
                is_required=True,
                is_fixed=True,
                position=position,
            )
            for event in Event.objects.all()
            for position, (form, identifier, name, field_type) in enumerate(BUILT_IN)
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("forms_builder", "0001_custom_forms")]

    operations = [migrations.RunPython(add_built_in_fields, migrations.RunPython.noop)]
