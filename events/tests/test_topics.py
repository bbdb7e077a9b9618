"""Event topics: site admins create them with a name alone, and get a free slug made from it."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.factories import UserFactory
from events import services
from events.factories import EventTopicFactory
from events.models import EventTopic
from openevent.errors import CLASHED, Forbidden

pytestmark = pytest.mark.django_db


def topic_document(**attributes):
    return {"data": {"type": "event-topic", "attributes": attributes}}


def create(api, user, **attributes):
    return api.as_user(user).post("/v1/event-topics", topic_document(**attributes))


def created_slug(response) -> str:
    assert response.status_code == 201, response.content
    return response.json()["data"]["attributes"]["slug"]


def test_a_topic_created_with_only_a_name_gets_its_slug_from_the_name(api, site_admin):
    response = create(api, site_admin, name="Data Science & AI")
    assert created_slug(response) == "data-science-ai"
    topic = EventTopic.objects.get(pk=response.json()["data"]["id"])
    assert (topic.name, topic.slug) == ("Data Science & AI", "data-science-ai")


def test_names_that_slugify_alike_get_distinct_slugs(api, site_admin):
    EventTopicFactory(name="Science")  # slug "science"
    assert created_slug(create(api, site_admin, name="Science!")) == "science-2"
    assert created_slug(create(api, site_admin, name="SCIENCE")) == "science-3"
    assert created_slug(create(api, site_admin, name=" science ")) == "science-4"


def test_a_free_slug_is_not_confused_by_longer_ones(api, site_admin):
    EventTopic.objects.create(name="Science fiction", slug="science-fiction")
    EventTopic.objects.create(name="Science 2", slug="science-2")
    assert created_slug(create(api, site_admin, name="Science")) == "science"
    assert created_slug(create(api, site_admin, name="Science?")) == "science-3"


@pytest.mark.parametrize("names", [("🎉", "🎸🎸"), ("!!!", "…?"), ("音楽", "日本語")])
def test_names_with_nothing_to_slugify_get_the_fallback_slug(api, site_admin, names):
    assert [created_slug(create(api, site_admin, name=name)) for name in names] == ["topic", "topic-2"]


def test_a_fallback_slug_taken_by_a_topic_named_so_is_counted_on(api, site_admin):
    EventTopicFactory(name="Topic")  # slug "topic"
    assert created_slug(create(api, site_admin, name="🎉")) == "topic-2"


def test_derived_slugs_stay_within_the_slugs_max_length(api, site_admin):
    assert created_slug(create(api, site_admin, name="a" * 100)) == "a" * 100
    assert created_slug(create(api, site_admin, name="A" * 100)) == "a" * 98 + "-2"
    # Cut before a dash, a slug does not end in "--2".
    assert created_slug(create(api, site_admin, name="b" * 97 + " cd")) == "b" * 97 + "-cd"
    assert created_slug(create(api, site_admin, name="B" * 97 + " cd")) == "b" * 97 + "-2"


def test_an_explicit_slug_is_kept(api, site_admin):
    assert created_slug(create(api, site_admin, name="Robotics", slug="robots")) == "robots"


def test_an_explicit_slug_that_is_taken_is_422(api, site_admin):
    EventTopicFactory(name="Science")
    response = create(api, site_admin, name="Physics", slug="science")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/slug"
    assert not EventTopic.objects.filter(name="Physics").exists()


@pytest.mark.parametrize("slug", ["", "not a slug", "ü"])
def test_an_explicit_bad_slug_is_422(api, site_admin, slug):
    response = create(api, site_admin, name="Physics", slug=slug)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/slug"


def test_a_taken_name_is_422(api, site_admin):
    EventTopicFactory(name="Science")
    response = create(api, site_admin, name="Science")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"


def test_only_site_admins_create_topics(api, user):
    assert create(api, user, name="Robotics").status_code == 403
    api.credentials()  # anonymous
    assert api.post("/v1/event-topics", topic_document(name="Robotics")).status_code == 401
    assert not EventTopic.objects.exists()
    with pytest.raises(Forbidden):
        services.create_topic(user, "Robotics")


def test_a_slug_taken_meanwhile_by_a_concurrent_create_is_derived_again(api, site_admin, monkeypatch):
    """The other request inserted "science" after this one chose it: no 500, the next free slug."""
    choose = services.free_topic_slug

    def chosen_then_taken(name):
        slug = choose(name)
        if not EventTopic.objects.filter(name="Science").exists():
            EventTopic.objects.create(name="Science", slug=slug)
        return slug

    monkeypatch.setattr(services, "free_topic_slug", chosen_then_taken)
    assert created_slug(create(api, site_admin, name="Science!")) == "science-2"


def test_a_name_taken_meanwhile_by_a_concurrent_create_is_422(api, site_admin, monkeypatch):
    """The other request inserted the name after this one checked it: the insert fails, no 500."""
    full_clean = EventTopic.full_clean

    def checked_then_taken(topic, *args, **kwargs):
        full_clean(topic, *args, **kwargs)
        if not EventTopic.objects.filter(name=topic.name).exists():
            EventTopic.objects.create(name=topic.name, slug="the-other-one")

    monkeypatch.setattr(EventTopic, "full_clean", checked_then_taken)
    response = create(api, site_admin, name="Science")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"
    assert list(EventTopic.objects.values_list("slug", flat=True)) == ["the-other-one"]


def test_a_slug_always_taken_meanwhile_ends_in_422(api, site_admin, monkeypatch):
    monkeypatch.setattr(services, "free_topic_slug", lambda name: "science")
    EventTopicFactory(name="Science")
    response = create(api, site_admin, name="Science!")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/slug"


# The admin


def test_the_admin_makes_the_slug_of_a_topic_added_without_one(client, site_admin):
    EventTopicFactory(name="Science")
    client.force_login(site_admin)
    page = client.get("/admin/events/eventtopic/add/")
    assert page.status_code == 200
    assert 'name="slug"' in page.content.decode()
    response = client.post("/admin/events/eventtopic/add/", {"name": "Science!", "slug": ""})
    assert response.status_code == 302, response.content
    assert EventTopic.objects.get(name="Science!").slug == "science-2"
    response = client.post("/admin/events/eventtopic/add/", {"name": "Robotics", "slug": "robots"})
    assert response.status_code == 302, response.content
    assert EventTopic.objects.get(name="Robotics").slug == "robots"


def test_the_admin_refuses_a_taken_slug_and_an_empty_one_on_change(client, site_admin):
    science, physics = EventTopicFactory(name="Science"), EventTopicFactory(name="Physics")
    client.force_login(site_admin)
    response = client.post("/admin/events/eventtopic/add/", {"name": "Biology", "slug": "science"})
    assert response.status_code == 200  # the form again, with its error
    assert not EventTopic.objects.filter(name="Biology").exists()
    change = f"/admin/events/eventtopic/{physics.pk}/change/"
    assert client.post(change, {"name": "Physics", "slug": ""}).status_code == 200
    assert client.post(change, {"name": "Physics", "slug": science.slug}).status_code == 200
    physics.refresh_from_db()
    assert physics.slug == "physics"


# At once, on PostgreSQL (SQLite runs one writer at a time)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL")
def test_topics_created_at_once_never_fail_with_a_500():
    admin = UserFactory(email="root@example.com", is_staff=True)
    barrier = threading.Barrier(2)

    def create_at_once(name):
        barrier.wait()
        try:
            return services.create_topic(admin, name).slug
        except ValidationError as error:
            return error.message_dict
        finally:
            connection.close()

    for round_number in range(8):
        with ThreadPoolExecutor(2) as pool:
            same = list(pool.map(create_at_once, [f"Same {round_number}"] * 2))
        assert [answer for answer in same if isinstance(answer, str)] == [f"same-{round_number}"]
        assert [list(answer) for answer in same if isinstance(answer, dict)] == [["name"]]
        with ThreadPoolExecutor(2) as pool:
            alike = list(pool.map(create_at_once, [f"Alike {round_number}", f"alike {round_number}!"]))
        assert sorted(alike) == [f"alike-{round_number}", f"alike-{round_number}-2"]


def test_a_topic_renamed_to_a_name_taken_meanwhile_is_a_form_error(client, site_admin, admin_saves_after):
    topic = EventTopic.objects.create(name="Maths", slug="maths")
    admin_saves_after(EventTopic, lambda: EventTopic.objects.create(name="Science", slug="science"))
    client.force_login(site_admin)
    response = client.post(
        f"/admin/events/eventtopic/{topic.pk}/change/", {"name": "Science", "slug": "maths"}
    )
    assert response.status_code == 200
    # Here the other topic is rolled back with the refused save (one transaction), so the form finds
    # no duplicate on its second look: it says what happened.
    assert response.context["adminform"].form.non_field_errors() == [CLASHED]
    topic.refresh_from_db()
    assert topic.name == "Maths"
