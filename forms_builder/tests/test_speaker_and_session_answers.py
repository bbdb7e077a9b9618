"""The event's own questions of speakers and sessions: answered in the API and on the call for
speakers with the same check as attendees' answers, and shown by `is-public`: public answers to
anyone (the event page, the public API), the others only to the event's admins and whoever gave
them."""

import html

import pytest

from accounts.factories import UserFactory
from forms_builder.models import CustomForm
from forms_builder.tests.conftest import ask
from speakers import services
from speakers.models import Session, Speaker
from speakers.tests.conftest import programme as programme  # a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def asking(programme):
    """P asks sessions a public "audience" (select) and a private "notes", and speakers a public
    "github" (URL) and a private "phone"; the accepted session and two speakers answered them."""
    event = programme.events["P"]
    ask(
        event,
        "session",
        "audience",
        "Audience",
        field_type="select",
        options=["Beginners", "Experts"],
        is_public=True,
        is_required=True,
        position=2,
    )
    ask(event, "session", "notes", "Notes for the organizers", field_type="paragraph", position=1)
    ask(event, "speaker", "github", "GitHub", field_type="url", is_public=True)
    ask(event, "speaker", "phone", "Phone", field_type="phone", is_required=True)
    programme.sessions["accepted"].complex_field_values = {
        "audience": "Experts",
        "notes": "Needs a projector",
    }
    programme.sessions["accepted"].save()
    for key in ("accepted", "pending"):
        programme.speakers[key].complex_field_values = {
            "github": "https://github.com/ada",
            "phone": "+49 30 1",
        }
        programme.speakers[key].save()
    return programme


PUBLIC_SESSION = {"audience": "Experts"}
ALL_SESSION = {"audience": "Experts", "notes": "Needs a projector"}
PUBLIC_SPEAKER = {"github": "https://github.com/ada"}
ALL_SPEAKER = {"github": "https://github.com/ada", "phone": "+49 30 1"}


@pytest.mark.parametrize(
    ("reader", "session", "accepted_speaker", "pending_speaker"),
    [
        ("anonymous", PUBLIC_SESSION, PUBLIC_SPEAKER, None),
        ("other_user", PUBLIC_SESSION, PUBLIC_SPEAKER, None),
        ("track_organizer", PUBLIC_SESSION, PUBLIC_SPEAKER, PUBLIC_SPEAKER),
        ("other_event_organizer", PUBLIC_SESSION, PUBLIC_SPEAKER, None),
        ("speaker_user", PUBLIC_SESSION, PUBLIC_SPEAKER, ALL_SPEAKER),  # Bea, the pending speaker, is them
        ("submitter", ALL_SESSION, ALL_SPEAKER, ALL_SPEAKER),  # they gave them all
        ("coorganizer", ALL_SESSION, ALL_SPEAKER, ALL_SPEAKER),
        ("site_admin", ALL_SESSION, ALL_SPEAKER, ALL_SPEAKER),
    ],
)
def test_public_answers_show_to_anyone_and_the_others_to_admins_and_who_gave_them(
    asking, client_for, reader, session, accepted_speaker, pending_speaker
):
    client = client_for(asking.users[reader])
    accepted = asking.sessions["accepted"]
    event = asking.events["P"]

    listed = {
        item["id"]: item["attributes"]["complex-field-values"]
        for item in client.get(f"/v1/events/{event.pk}/sessions").json()["data"]
    }
    detail = client.get(f"/v1/sessions/{accepted.pk}?include=speakers").json()
    speakers = {
        item["id"]: item["attributes"]["complex-field-values"]
        for item in client.get(f"/v1/events/{event.pk}/speakers").json()["data"]
    }

    assert listed[str(accepted.pk)] == session
    assert detail["data"]["attributes"]["complex-field-values"] == session
    assert [item["attributes"]["complex-field-values"] for item in detail["included"]] == [accepted_speaker]
    assert speakers[str(asking.speakers["accepted"].pk)] == accepted_speaker
    assert speakers.get(str(asking.speakers["pending"].pk)) == pending_speaker


def test_the_event_page_shows_the_public_answers_only(asking, client):
    speaker = asking.speakers["accepted"]
    speaker.complex_field_values["github"] = "https://github.com/ada?a=<b>"
    speaker.save()

    page = client.get(f"/events/{asking.events['P'].pk}/").content.decode()

    assert "<dt>Audience</dt>" in page
    assert "<dd>Experts</dd>" in page
    assert '<a href="https://github.com/ada?a=&lt;b&gt;" rel="nofollow noopener">' in page
    assert "Needs a projector" not in page
    assert "+49 30 1" not in page


def test_only_a_web_address_is_linked_on_the_event_page(asking, client):
    """A text question turned into a URL one keeps its answers, which may be anything."""
    speaker = asking.speakers["accepted"]
    speaker.complex_field_values["github"] = "javascript:alert(1)"
    speaker.save()

    page = client.get(f"/events/{asking.events['P'].pk}/").content.decode()

    assert "<dd>javascript:alert(1)</dd>" in page
    assert 'href="javascript' not in page


def session_document(event, **attributes) -> dict:
    return {
        "data": {
            "type": "session",
            "attributes": {"title": "A talk", "state": "pending", **attributes},
            "relationships": {"event": {"data": {"type": "event", "id": str(event.pk)}}},
        }
    }


@pytest.mark.parametrize(
    ("answers", "status", "detail", "pointer"),
    [
        ({"audience": "Experts"}, 201, None, None),
        ({}, 422, "Missing required fields ['audience']", "/data/attributes/complex-field-values"),
        (
            {"audience": "Everyone"},
            422,
            "Select a valid choice. Everyone is not one of the available choices.",
            "/data/attributes/complex-field-values/audience",
        ),
        ({"audience": 3}, 422, "Expected a text.", "/data/attributes/complex-field-values/audience"),
        (
            {"audience": "Experts", "rating": 5},
            422,
            "Unknown fields ['rating']: the form does not ask them.",
            "/data/attributes/complex-field-values",
        ),
    ],
)
def test_a_session_is_submitted_with_checked_answers(asking, client_for, answers, status, detail, pointer):
    submitter = client_for(asking.users["other_user"])
    before = Session.objects.count()

    response = submitter.post(
        "/v1/sessions", session_document(asking.events["P"], **{"complex-field-values": answers})
    )

    assert response.status_code == status, response.json()
    if status == 201:
        assert response.json()["data"]["attributes"]["complex-field-values"] == answers
        return
    error = response.json()["errors"][0]
    assert (error["detail"], error["source"]["pointer"]) == (detail, pointer)
    assert Session.objects.count() == before


def test_a_speaker_is_added_and_changed_with_checked_answers_and_keeps_retired_ones(asking, client_for):
    submitter = asking.users["submitter"]
    client = client_for(submitter)
    pending = asking.sessions["pending"]
    document = {
        "data": {
            "type": "speaker",
            "attributes": {"name": "Hal", "email": "hal@example.com", "complex-field-values": {}},
            "relationships": {
                "event": {"data": {"type": "event", "id": str(asking.events["P"].pk)}},
                "sessions": {"data": [{"type": "session", "id": str(pending.pk)}]},
            },
        }
    }
    missing = client.post("/v1/speakers", document)
    document["data"]["attributes"]["complex-field-values"] = {
        "phone": "+1 555 0100",
        "github": "https://x.example",
    }
    added = client.post("/v1/speakers", document)
    speaker = Speaker.objects.get(name="Hal")
    CustomForm.objects.get(event=asking.events["P"], field_identifier="github").delete()
    bad = client.patch(
        f"/v1/speakers/{speaker.pk}",
        {
            "data": {
                "type": "speaker",
                "id": str(speaker.pk),
                "attributes": {"complex-field-values": {"phone": "x"}},
            }
        },
    )
    changed = client.patch(
        f"/v1/speakers/{speaker.pk}",
        {
            "data": {
                "type": "speaker",
                "id": str(speaker.pk),
                "attributes": {"complex-field-values": {"phone": "+1 555 0199"}},
            }
        },
    )

    assert missing.status_code == 422
    assert missing.json()["errors"][0]["detail"] == "Missing required fields ['phone']"
    assert added.status_code == 201
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["source"]["pointer"] == "/data/attributes/complex-field-values/phone"
    assert changed.status_code == 200
    speaker.refresh_from_db()
    assert speaker.complex_field_values == {"phone": "+1 555 0199", "github": "https://x.example"}


def test_a_session_answer_change_keeps_the_answers_of_retired_questions(asking, client_for):
    accepted = asking.sessions["accepted"]
    CustomForm.objects.filter(field_identifier="notes").update(is_included=False)
    patch = {
        "data": {
            "type": "session",
            "id": str(accepted.pk),
            "attributes": {"complex-field-values": {"audience": "Beginners"}},
        }
    }

    response = client_for(asking.users["coorganizer"]).patch(f"/v1/sessions/{accepted.pk}", patch)

    assert response.status_code == 200
    accepted.refresh_from_db()
    assert accepted.complex_field_values == {"audience": "Beginners", "notes": "Needs a projector"}


def test_a_speaker_change_from_a_stale_read_keeps_what_others_wrote_since(asking):
    """Two organizers edit one speaker: the second read it before the first saved an answer that
    was retired since; the second's change keeps it, and the name the first changed."""
    speaker = asking.speakers["accepted"]
    coorganizer = asking.users["coorganizer"]
    read_before = Speaker.objects.get(pk=speaker.pk)
    services.update_speaker(
        coorganizer,
        Speaker.objects.get(pk=speaker.pk),
        name="Ada L.",
        complex_field_values={"github": "https://github.com/ada-l", "phone": "+49 30 1"},
    )
    CustomForm.objects.filter(event=speaker.event, field_identifier="github").update(is_included=False)

    returned = services.update_speaker(coorganizer, read_before, complex_field_values={"phone": "+49 30 2"})

    speaker.refresh_from_db()
    assert speaker.name == "Ada L."
    assert speaker.complex_field_values == {"github": "https://github.com/ada-l", "phone": "+49 30 2"}
    assert returned.name == "Ada L."


# The call for speakers


def cfp_url(event) -> str:
    return f"/events/{event.pk}/call-for-speakers/"


def proposal(**fields) -> dict:
    return {
        "title": "My first talk",
        "speaker-name": "Grace Hopper",
        "speaker-email": "grace@example.com",
        "session-answers-audience": "Beginners",
        "speaker-answers-phone": "+1 555 0100",
    } | fields


def test_the_call_for_speakers_asks_the_events_questions_in_position_order(call, client):
    client.force_login(UserFactory())

    page = client.get(cfp_url(call)).content.decode()

    assert (
        page.index("Length in minutes")
        < page.index("Audience")
        < page.index("About you")
        < page.index("Phone")
    )
    assert "Who it is &lt;i&gt;for&lt;/i&gt;." in page
    assert "Old question" not in page


def test_the_call_for_speakers_stores_the_answers_and_shows_the_profiles_next_time(call, client):
    user = UserFactory()
    client.force_login(user)

    first = client.post(cfp_url(call), proposal(**{"session-answers-length": "45"}))
    second_page = client.get(cfp_url(call))
    second = client.post(
        cfp_url(call), proposal(title="My second talk", **{"speaker-answers-phone": "+1 555 0199"})
    )

    assert (first.status_code, second.status_code) == (302, 302)
    first_session = Session.objects.get(title="My first talk")
    assert first_session.complex_field_values == {"audience": "Beginners", "length": 45}
    assert second_page.context["speaker_answers"]["phone"].value() == "+1 555 0100"
    speaker = Speaker.objects.get(user=user)
    assert speaker.complex_field_values == {"phone": "+1 555 0199"}
    assert speaker.sessions.count() == 2


@pytest.mark.parametrize(
    ("identifier", "typed", "sent", "message"),
    [
        (
            "audience",
            "Everyone",
            "Everyone",
            "Select a valid choice. Everyone is not one of the available choices.",
        ),
        ("length", "1e30", 1e30, "Ensure that there are no more than 20 digits in total."),
    ],
)
def test_the_call_for_speakers_and_the_api_refuse_the_same_answer_with_the_same_words(
    call, client, client_for, identifier, typed, sent, message
):
    """The page's form sends text, the API JSON: the same answer in each."""
    user = UserFactory()
    client.force_login(user)

    page = client.post(cfp_url(call), proposal(**{f"session-answers-{identifier}": typed}))
    api = client_for(user).post(
        "/v1/sessions",
        session_document(call, **{"complex-field-values": {"audience": "Beginners", identifier: sent}}),
    )

    assert page.status_code == 200
    assert page.context["session_answers"].errors == {identifier: [message]}
    assert 'value="+1 555 0100"' in page.content.decode()  # what was typed stays
    assert message in html.unescape(page.content.decode())
    assert api.status_code == 422
    error = api.json()["errors"][0]
    assert (error["detail"], error["source"]["pointer"]) == (
        message,
        f"/data/attributes/complex-field-values/{identifier}",
    )
    assert not Session.objects.exists()


def test_the_call_for_speakers_needs_the_required_answers(call, client):
    client.force_login(UserFactory())

    page = client.post(cfp_url(call), proposal(**{"speaker-answers-phone": ""}))

    assert page.context["speaker_answers"].errors == {"phone": ["This field is required."]}
    assert not Session.objects.exists()
    assert not Speaker.objects.exists()
