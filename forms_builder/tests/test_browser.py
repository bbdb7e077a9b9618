"""The call for speakers' questions in a real browser (Playwright driving Debian's Chromium): asked
in position order, a required one asked by the browser, a wrong one said beside its field with
what was typed kept, then sent."""

import pytest

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from forms_builder.tests.conftest import call as call  # a fixture
from openevent.tests.browser import browser_page as browser_page  # a fixture
from openevent.tests.browser import needs_chromium
from speakers.models import Session, Speaker

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_speaker_answers_the_events_questions_in_the_call_for_speakers(
    live_server, call, browser_page, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page
    user = UserFactory()
    cfp = f"{live_server.url}/events/{call.pk}/call-for-speakers/"
    page.goto(f"{live_server.url}/login/?next=/events/{call.pk}/call-for-speakers/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(cfp)
    labels = page.locator("main form label").all_inner_texts()
    assert labels.index("Length in minutes") < labels.index("Audience") < labels.index("Phone")
    expect(page.locator("main form")).to_contain_text("Who it is <i>for</i>.")  # shown as text, not markup
    expect(page.get_by_label("Old question")).to_have_count(0)

    page.get_by_label("Title", exact=True).fill("Compilers for everyone")
    page.get_by_label("Length in minutes").fill("45")
    page.get_by_label("Audience").select_option("Beginners")
    page.get_by_role("button", name="Submit for review").click()
    assert page.get_by_label("Phone").evaluate("input => input.validity.valueMissing")  # the browser asks
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Submit for review").click()
    phone = page.locator(".field", has=page.get_by_label("Phone"))
    expect(phone.locator(".field-error")).to_have_text("Enter a phone number: digits, spaces and + ( ) - . /")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Compilers for everyone")
    expect(page.get_by_label("Audience")).to_have_value("Beginners")
    expect(page.get_by_label("Phone")).to_have_value("call me")
    page.screenshot(path=tmp_path / "call-for-speakers.png", full_page=True)
    assert not Session.objects.exists()

    page.get_by_label("Phone").fill("+1 555 0100")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("main")).to_contain_text("Your session is submitted.")
    session = Session.objects.get()
    assert (session.title, session.complex_field_values) == (
        "Compilers for everyone",
        {"audience": "Beginners", "length": 45},
    )
    assert Speaker.objects.get(user=user).complex_field_values == {"phone": "+1 555 0100"}
