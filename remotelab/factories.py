"""factory_boy factories of the remotelab app, for tests."""

import factory

from accounts.factories import UserFactory

from .models import LabScript


class LabScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabScript

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Script {n}")
    code = "print('hello')"
