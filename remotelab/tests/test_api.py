import threading

import pytest

from accounts.factories import UserFactory
from openevent.errors import Conflict
from remotelab import services
from remotelab.factories import LabScriptFactory
from remotelab.functions import FUNCTIONS
from remotelab.models import LabScript
from remotelab.sandbox import RunResult
from remotelab.sandbox import shutil as sandbox_shutil
from remotelab.tests.conftest import needs_sandbox

pytestmark = pytest.mark.django_db


def call(api, function, **extra):
    return api.post("/v1/remotelab/eval", {"function": function, **extra}, plain=True)


def test_a_function_call_answers_from_the_instrument(api, user):
    api.as_user(user)
    assert call(api, "set_pv1(2.5)").json() == {"status": True, "result": 2.5, "stringified": False}
    answer = call(api, "get_voltage('CH3')").json()
    assert answer["status"] is True
    assert answer["result"] == pytest.approx(2.5, abs=0.02)


def test_captures_come_back_as_lists_and_can_be_stringified(api, user):
    api.as_user(user)
    answer = call(api, "capture1('CH1', 50, 10)").json()
    times, volts = answer["result"]
    assert len(times) == len(volts) == 50
    stringified = call(api, "get_resistance()", stringify=True).json()
    assert stringified["stringified"] is True
    assert float(stringified["result"]) == pytest.approx(10_000, rel=0.05)


@pytest.mark.parametrize(
    "function",
    ["__import__('os').system('id')", "get_voltage('CH9')", "get_voltage('CH1'); exit()", "x" * 600],
)
def test_anything_but_one_valid_call_is_422_with_status_false(api, user, function):
    response = call(api.as_user(user), function)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] is False
    assert body["errors"][0]["source"]["pointer"] == "/function"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"function": 5},
        {"function": ""},
        {"function": "get_resistance()\x00"},
        {"function": "get_resistance()", "stringify": "maybe"},
        {"function": "get_resistance()", "stringify": "yes"},  # DRF alone would take it for true
        {"function": "get_resistance()", "stringify": 1},
        [],
    ],
)
def test_malformed_bodies_are_422(api, user, body):
    response = api.as_user(user).post("/v1/remotelab/eval", body, plain=True)
    assert response.status_code == 422
    assert response.json()["status"] is False


def test_the_lab_is_for_logged_in_users(api):
    assert call(api, "get_resistance()").status_code == 401
    assert api.get("/v1/remotelab/functions").status_code == 401
    assert api.get("/v1/remotelab/scripts").status_code == 401


def test_functions_are_documented(api, user):
    listed = api.as_user(user).get("/v1/remotelab/functions").json()
    assert [item["name"] for item in listed] == list(FUNCTIONS)
    voltage = next(item for item in listed if item["name"] == "get_voltage")
    assert voltage["signature"].startswith("get_voltage(channel: 'CH1'")
    assert voltage["doc"]
    units = {item["name"]: item["unit"] for item in listed}
    assert (units["get_voltage"], units["get_resistance"], units["set_sine1"], units["capture1"]) == (
        "V",
        "Ω",
        "Hz",
        "",
    )


def script_document(title="Hello", code="print('hi')", script_id=None):
    data = {"type": "lab-script", "attributes": {"title": title, "code": code}}
    if script_id:
        data["id"] = str(script_id)
    return {"data": data}


def test_scripts_are_their_owners_alone(api, user):
    created = api.as_user(user).post("/v1/remotelab/scripts", script_document())
    assert created.status_code == 201
    script_id = created.json()["data"]["id"]
    assert LabScript.objects.get(pk=script_id).owner == user
    stranger = UserFactory()
    api.as_user(stranger)
    assert api.get("/v1/remotelab/scripts").json()["data"] == []
    assert api.get(f"/v1/remotelab/scripts/{script_id}").status_code == 404
    assert (
        api.patch(
            f"/v1/remotelab/scripts/{script_id}", script_document("Mine", script_id=script_id)
        ).status_code
        == 404
    )
    assert api.post(f"/v1/remotelab/scripts/{script_id}/run", plain=True).status_code == 404
    assert api.delete(f"/v1/remotelab/scripts/{script_id}").status_code == 404
    assert LabScript.objects.get(pk=script_id).title == "Hello"


def test_an_overlong_script_is_422(api, user):
    response = api.as_user(user).post("/v1/remotelab/scripts", script_document(code="x" * 20_001))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/code"


@needs_sandbox
def test_running_a_script_returns_its_widgets(api, user):
    code = (
        "set_pv1(1.5)\n"
        "print(round(get_voltage('CH3'), 1))\n"
        "button('Read', \"get_voltage('CH3')\")\n"
        "plot([1, 2], [3, 4])"
    )
    script = LabScriptFactory(owner=user, title="Demo", code=code)
    response = api.as_user(user).post(f"/v1/remotelab/scripts/{script.pk}/run", plain=True)
    assert response.status_code == 200
    body = response.json()
    assert (body["Id"], body["Filename"], body["status"], body["finished"]) == (
        script.pk,
        "Demo",
        True,
        "done",
    )
    assert "error" not in body
    assert body["Date"]
    assert [widget["type"] for widget in body["result"]] == ["span", "button", "label", "plot"]
    assert body["result"][0]["value"] == "1.5"


@needs_sandbox
def test_a_failing_script_reports_its_error(api, user):
    script = LabScriptFactory(owner=user, title="Broken", code="get_voltage('CH9')")
    body = api.as_user(user).post(f"/v1/remotelab/scripts/{script.pk}/run", plain=True).json()
    assert (body["status"], body["finished"]) == (False, "error")
    assert "channel must be one of" in body["error"]


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("done", None),
        ("error", "Traceback (most recent call last): ..."),
        ("timeout", "The script ran longer than 10 s."),
        ("stopped", None),
    ],
)
def test_a_runs_status_says_whether_it_finished_normally_and_finished_how(
    api, user, monkeypatch, reason, error
):
    widgets = [{"type": "span", "name": "print", "value": "1"}]
    monkeypatch.setattr(
        services, "run_code", lambda user, code: RunResult(status=reason, error=error, widgets=widgets)
    )
    script = LabScriptFactory(owner=user, title="Any", code="print(1)")
    response = api.as_user(user).post(f"/v1/remotelab/scripts/{script.pk}/run", plain=True)
    assert response.status_code == 200
    expected = {
        "Id": script.pk,
        "Filename": "Any",
        "Date": script.updated_at.isoformat(),
        "status": reason == "done",
        "finished": reason,
        "result": widgets,
    }
    assert response.json() == expected | ({"error": error} if error else {})


@needs_sandbox
def test_a_script_out_of_time_is_not_a_normal_finish(api, user, settings):
    settings.REMOTELAB_SCRIPT_TIMEOUT = 1
    script = LabScriptFactory(owner=user, title="Slow", code="print('going')\nimport time\ntime.sleep(30)")
    body = api.as_user(user).post(f"/v1/remotelab/scripts/{script.pk}/run", plain=True).json()
    assert (body["status"], body["finished"]) == (False, "timeout")
    assert "longer than 1 s" in body["error"]
    assert body["result"] == [{"type": "span", "name": "print", "value": "going"}]


def test_without_bubblewrap_running_is_refused_clearly(api, user, monkeypatch):
    monkeypatch.setattr(sandbox_shutil, "which", lambda name: None)
    script = LabScriptFactory(owner=user, title="Any", code="print(1)")
    response = api.as_user(user).post(f"/v1/remotelab/scripts/{script.pk}/run", plain=True)
    assert response.status_code == 503
    assert "bubblewrap" in response.json()["errors"][0]["detail"]
    assert call(api, "get_resistance()").status_code == 200  # function strings still work


@needs_sandbox
def test_one_user_runs_one_script_at_a_time(user):
    running = threading.Event()
    first = threading.Thread(
        target=services.run_code,
        args=(user, "print('going')\nimport time\ntime.sleep(1)"),
        kwargs={"on_widget": lambda widget: running.set()},
    )
    first.start()
    assert running.wait(10)
    with pytest.raises(Conflict, match="running already"):
        services.run_code(user, "print(1)")
    first.join()
    assert services.run_code(user, "print(1)").status == "done"
