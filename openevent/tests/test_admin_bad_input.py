"""Input the database cannot hold, in every admin changelist's actions and filters and in
many-to-many choices: answered as bad input, never a 500."""

import pytest
from django.contrib import admin
from django.contrib.admin import helpers

from accounts.factories import UserFactory
from events.factories import EventFactory
from speakers.factories import SpeakerFactory

HUGE = "99999999999999999999"

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
@pytest.mark.parametrize("selected", ["abc", "9223372036854775808", "1.5", ""])
def test_an_action_on_ids_no_row_can_have_changes_nothing_and_says_so(client, model, selected):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    data = {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [selected, "1"], "index": "0"}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    if response.context["action_form"] is None:  # a changelist without actions ignores the post
        return
    assert "No items have been changed" in " ".join(str(message) for message in response.context["messages"])
    assert response.redirect_chain == [(url, 302)]


def relation_filters():
    for model in MODELS:
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete:
                yield model, field.name


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field"), list(relation_filters()), ids=lambda value: str(value))
def test_a_changelist_filtered_by_an_id_no_column_can_hold_is_an_incorrect_lookup(client, model, field):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    response = client.get(f"{url}?{field}={HUGE}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == f"{url}?e=1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "drill_down", [f"starts_at__year={HUGE}", "starts_at__year=9999&starts_at__month=12&starts_at__day=31"]
)
def test_a_date_drill_down_past_any_date_is_an_incorrect_lookup(client, drill_down):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/events/event/?{drill_down}")
    assert response.status_code == 302
    assert response["Location"] == "/admin/events/event/?e=1"


@pytest.mark.django_db
def test_a_many_to_many_choice_no_column_can_hold_is_a_form_error(client):
    owner = UserFactory(is_staff=True, is_superuser=True)
    speaker = SpeakerFactory(event=EventFactory(owner=owner), name="Ada", email="ada@example.com")
    client.force_login(owner)
    data = {"name": "Ada", "email": "ada@example.com", "sessions": [HUGE]}
    response = client.post(f"/admin/speakers/speaker/{speaker.pk}/change/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sessions"]
