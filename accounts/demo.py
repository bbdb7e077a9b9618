"""Demo accounts for `make run`. Their passwords are public: never load this into production."""

from .models import User

DEMO_PASSWORD = "open-event-demo"
DEMO_USERS = [
    {
        "email": "admin@openevent.test",
        "first_name": "Ada",
        "last_name": "Admin",
        "is_staff": True,
        "is_superuser": True,
    },
    {"email": "attendee@openevent.test", "first_name": "Alex", "last_name": "Attendee"},
]


def load(stdout) -> None:
    for fields in DEMO_USERS:
        user, created = User.objects.get_or_create(email=fields["email"], defaults=fields)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    stdout.write(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
    for fields in DEMO_USERS:
        stdout.write(f"  {fields['email']}{'  (site admin)' if fields.get('is_superuser') else ''}")
