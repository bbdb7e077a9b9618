"""Every admin changelist's actions, posted with ids no row can have: a message, never a 500."""

import pytest
from django.contrib import admin
from django.contrib.admin import helpers

from accounts.tests.factories import make_user

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
@pytest.mark.parametrize("selected", ["abc", "9223372036854775808", "1.5", ""])
def test_an_action_on_ids_no_row_can_have_changes_nothing_and_says_so(client, model, selected):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    data = {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [selected, "1"], "index": "0"}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    if response.context["action_form"] is None:  # a changelist without actions ignores the post
        return
    assert "No items have been changed" in " ".join(str(message) for message in response.context["messages"])
    assert response.redirect_chain == [(url, 302)]
