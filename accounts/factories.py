"""factory_boy factories of the accounts app, for tests and the demo data."""

import factory

from .models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple"  # noqa: S105  (the tests', public on purpose)


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose password (DEFAULT_PASSWORD unless given) is hashed by `create_user`."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = DEFAULT_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._get_manager(model_class).create_user(*args, **kwargs)
