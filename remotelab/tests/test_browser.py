"""The lab page in a real browser (Playwright driving Debian's Chromium): log in, run a script
with a button, click it, and see its label show the reading."""

import re
import threading
import time

import pytest
from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from accounts.factories import DEFAULT_PASSWORD, UserFactory
from openevent.asgi import application
from openevent.tests.browser import browser_page as browser_page  # a fixture
from openevent.tests.browser import needs_chromium
from remotelab.factories import LabScriptFactory
from remotelab.tests.conftest import needs_sandbox

pytestmark = [
    needs_chromium,
    needs_sandbox,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def site():
    """The whole ASGI site (pages, static files, websockets) served by daphne on a free port."""
    from daphne.server import Server
    from twisted.internet import reactor

    app = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(application.application_mapping["http"]),
            "websocket": application.application_mapping["websocket"],
        }
    )
    server = Server(app, endpoints=["tcp:port=0:interface=127.0.0.1"], signal_handlers=False)
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(100):
        if server.listening_addresses:
            break
        time.sleep(0.05)
    host, port = server.listening_addresses[0]
    yield f"http://{host}:{port}"
    reactor.callFromThread(reactor.stop)


def test_a_scripts_button_reads_the_instrument_into_its_label(site, settings, browser_page, tmp_path):
    from playwright.sync_api import expect

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    user = UserFactory(email="student@example.com")
    LabScriptFactory(
        owner=user,
        title="Voltmeter",
        code="set_pv1(2.5)\nprint_('PV1 is wired to CH3')\nbutton('Read CH3', \"get_voltage('CH3')\")",
    )
    page = browser_page
    page.goto(f"{site}/login/?next=/lab/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#lab-status")).to_have_text("Connected to the lab.")
    page.click("[data-run-script]")
    expect(page.locator("#lab-status")).to_have_text("Finished: done.")
    expect(page.locator(".lab-span.well")).to_have_text("PV1 is wired to CH3")
    label = page.locator('[data-name="button-id0-label"]')
    expect(label).to_have_text("")
    page.get_by_role("button", name="Read CH3").click()
    expect(label).to_have_text(re.compile(r"^2\.\d{3}$"))
    assert abs(float(label.text_content()) - 2.5) < 0.02
    page.screenshot(path=tmp_path / "lab.png", full_page=True)
