"""The migration that records which speaker profiles an event admin added, run by Django's
migration executor on a database holding profiles from before it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.factories import UserFactory
from events.factories import EventFactory
from speakers.models import Speaker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("speakers", "0002_alter_track_color_and_more")
RECORDING = ("speakers", "0003_speaker_created_as_event_admin")


@pytest.fixture
def old_speakers():
    """The Speaker model as it was before the migration, in a database migrated back to then;
    the database is migrated forward to the latest again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    yield executor.loader.project_state([BEFORE]).apps.get_model("speakers", "Speaker").objects
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_profiles_added_for_someone_else_are_marked_as_added_by_an_event_admin(old_speakers):
    """Until then only event admins could add a profile that was not their own."""
    organizer, submitter, speaker = UserFactory(), UserFactory(), UserFactory()
    event = EventFactory(owner=organizer)
    profiles = {
        "own": {"user_id": submitter.pk, "creator_id": submitter.pk},
        "added": {"creator_id": organizer.pk},
        "added for a user": {"user_id": speaker.pk, "creator_id": organizer.pk},
        "creator gone": {},
    }
    for name, people in profiles.items():
        old_speakers.create(event_id=event.pk, name=name, email="s@example.com", **people)
    MigrationExecutor(connection).migrate([RECORDING])
    assert dict(Speaker.objects.values_list("name", "created_as_event_admin")) == {
        "own": False,
        "added": True,
        "added for a user": True,
        "creator gone": False,
    }
