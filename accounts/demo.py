"""Demo accounts for `make run`. Their passwords are public: never load this into production."""

from .factories import UserFactory
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


def demo_user(fields: dict) -> User:
    """The demo user of this email, made with DEMO_PASSWORD unless loaded already. Its address is
    confirmed, as a real user's would be by now, so the invites sent to it show."""
    return User.objects.filter(email=fields["email"]).first() or UserFactory(
        password=DEMO_PASSWORD, is_verified=True, **fields
    )


def load(stdout) -> None:
    for fields in DEMO_USERS:
        demo_user(fields)
    stdout.write(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
    for fields in DEMO_USERS:
        stdout.write(f"  {fields['email']}{'  (site admin)' if fields.get('is_superuser') else ''}")
