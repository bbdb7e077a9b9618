"""The lab's pages in a real browser (Playwright driving Debian's Chromium): readings with their
units, plots with named axes, the output beside or under what was run, the status in words."""

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


def log_in(page, site, user, next_page):
    from playwright.sync_api import expect

    page.goto(f"{site}/login/?next={next_page}")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#lab-status")).to_have_text("Connected to the lab.")


@pytest.fixture
def student(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    return UserFactory(email="student@example.com")


def test_a_scripts_buttons_read_the_instrument_into_their_labels_with_units(
    site, student, browser_page, tmp_path
):
    from playwright.sync_api import expect

    LabScriptFactory(
        owner=student,
        title="Voltmeter",
        code="set_pv1(2.5)\nprint_('PV1 is wired to CH3')\nbutton('Read CH3', \"get_voltage('CH3')\")\n"
        "button('Read RES', 'get_resistance()')",
    )
    page = browser_page
    log_in(page, site, student, "/lab/")
    page.click("[data-run-script]")
    expect(page.locator("#lab-status")).to_have_text("Finished.")
    expect(page.locator(".lab-span.well")).to_have_text("PV1 is wired to CH3")
    label = page.locator('[data-name="button-id0-label"]')
    expect(label).to_have_text("")
    page.get_by_role("button", name="Read CH3").click()
    expect(label).to_have_text(re.compile(r"^2\.\d{3} V$"))
    assert abs(float(label.text_content().removesuffix(" V")) - 2.5) < 0.02
    page.get_by_role("button", name="Read RES").click()
    expect(page.locator('[data-name="button-id1-label"]')).to_have_text(re.compile(r"^\d+\.\d+ kΩ$"))
    page.fill("#lab-function", "get_voltage('CH3')")
    page.get_by_role("button", name="Call").click()
    expect(page.locator("#lab-console-result")).to_have_text(re.compile(r"^2\.\d{3} V$"))
    page.screenshot(path=tmp_path / "lab.png", full_page=True)


def test_an_example_run_far_down_the_phone_page_brings_its_output_into_view(site, student, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, site, student, "/lab/")
    page.locator("summary", has_text="sine_wave").click()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#lab-output-card")).not_to_be_in_viewport()
    page.locator('[data-run-example="sine_wave"]').click()

    expect(page.locator("#lab-status")).to_have_text("Finished.")
    expect(page.locator("#lab-output-card")).to_be_in_viewport(ratio=0.9)
    plot = page.locator("svg.lab-plot")
    expect(plot.locator(".axis-label")).to_have_text(["Time (ms)", "Voltage (V)"])
    expect(plot).to_have_attribute("aria-label", "Voltage (V) against Time (ms)")
    assert plot.locator("text:not(.axis-label)").count() >= 6  # the axes' round values


@pytest.mark.parametrize(("width", "where"), [(1280, "beside"), (390, "under")])
def test_a_script_runs_from_its_editor_with_the_output_beside_or_under_it(
    site, student, browser_page, width, where
):
    from playwright.sync_api import expect

    script = LabScriptFactory(owner=student, title="Loop", code="print('saved code')")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, site, student, f"/lab/scripts/{script.pk}/edit/")
    page.fill("textarea[name=code]", "print('typed code')\nwhile True:\n    pass")
    page.get_by_role("button", name="Run").click()

    expect(page.locator("#lab-status")).to_have_text("Running…")
    expect(page.locator(".lab-span")).to_have_text("typed code")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#lab-status")).to_have_text("Stopped.")
    editor, output = (
        page.locator("form.lab-editor").bounding_box(),
        page.locator("#lab-output-card").bounding_box(),
    )
    if where == "beside":
        assert output["x"] >= editor["x"] + editor["width"]
        assert output["y"] < editor["y"] + editor["height"]
    else:
        assert 0 <= output["y"] - (editor["y"] + editor["height"]) < 40
    expect(page.locator("#lab-output-card")).to_be_in_viewport()


def test_a_script_past_its_time_reads_timed_out(site, student, settings, browser_page):
    from playwright.sync_api import expect

    settings.REMOTELAB_SCRIPT_TIMEOUT = 1
    page = browser_page
    log_in(page, site, student, "/lab/scripts/new/")
    page.fill("textarea[name=code]", "while True:\n    pass")
    page.get_by_role("button", name="Run").click()

    expect(page.locator("#lab-status")).to_have_text("Timed out.")


def test_plots_of_a_flat_line_float_noise_or_huge_spans_draw_without_nan(site, student, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, site, student, "/lab/scripts/new/")
    page.fill(
        "textarea[name=code]",
        "plot([1, 2, 3], [0.3, 0.1 + 0.2, 0.3])\nplot([1, 2], [5, 5])\nplot([1, 2], [1e308, -1e308])\n"
        "plot([1, 2], [1.79e308, 1.79e308])\nplot([1, 2], [1.0e308, 1.7e308])\n"
        "plot([0, 5e-324], [0, 5e-324])",
    )
    page.get_by_role("button", name="Run").click()

    expect(page.locator("#lab-status")).to_have_text("Finished.")
    plots = page.locator("svg.lab-plot")
    expect(plots).to_have_count(6)
    drawn = plots.evaluate_all("svgs => svgs.map(svg => svg.innerHTML)")
    assert not any("NaN" in markup or "Infinity" in markup for markup in drawn)
    for extreme in range(2, 6):
        expect(plots.nth(extreme)).to_contain_text("These values are too far apart, or too close, to draw.")
