import json

from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, renderers, status
from rest_framework import serializers as fields
from rest_framework.decorators import action
from rest_framework.response import Response

from openevent.api import PlainJSONView, error_object
from openevent.errors import Conflict
from openevent.ratelimit import RateLimited
from openevent.schema import plain
from openevent.viewsets import ResourceModelViewSet
from remotelab import services
from remotelab.functions import FUNCTIONS, FunctionError
from remotelab.instrument import InstrumentError
from remotelab.permissions import visible_scripts

from .serializers import FunctionCallSerializer, LabScriptSerializer


def _failure(http_status: int, detail: str, pointer: str | None = None) -> Response:
    return Response({"errors": [error_object(http_status, detail, pointer)]}, status=http_status)


class EvalView(PlainJSONView):
    """`POST /v1/remotelab/eval {"function": "get_voltage('CH1')", "stringify": false}`."""

    permission_classes = [permissions.IsAuthenticated]
    body_key = None
    error_answers = {
        "post": {
            409: "The caller's previous call is still under way.",
            429: "The caller has used up their instrument time for now.",
            503: "The PSLab is busy or cannot be reached.",
        }
    }

    def finalize_response(self, request, response, *args, **kwargs):
        """Every failure, a bad body's too, says `"status": false` beside its errors (API.md)."""
        if response.status_code >= 400 and isinstance(response.data, dict):
            response.data = {"status": False, **response.data}
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="Run one PSLab function string, such as get_voltage('CH1') (logged-in users)",
        request=FunctionCallSerializer,
        responses={
            200: plain(
                "FunctionResult",
                status=fields.BooleanField(),
                result=fields.JSONField(),
                stringified=fields.BooleanField(),
            )
        },
    )
    def post(self, request):
        data = self.validated(FunctionCallSerializer)
        try:
            result = services.call_function(request.user, data["function"])
        except FunctionError as error:
            return _failure(422, str(error), "/function")
        except Conflict as error:  # the user's previous call is still under way
            return _failure(409, str(error))
        except RateLimited as error:  # past the user's instrument time
            response = _failure(429, str(error))
            response["Retry-After"] = str(error.retry_after)
            return response
        except InstrumentError as error:
            return _failure(503, str(error))
        if data["stringify"]:
            result = json.dumps(result)
        return Response({"status": True, "result": result, "stringified": data["stringify"]})


class FunctionsView(PlainJSONView):
    """`GET /v1/remotelab/functions`: each callable's name, signature, doc and the unit of the
    number it returns ("" for lists and for none)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="The PSLab functions one may call, with their signatures (logged-in users)",
        responses={
            200: plain(
                "LabFunction",
                many=True,
                name=fields.CharField(),
                signature=fields.CharField(),
                doc=fields.CharField(),
                unit=fields.CharField(help_text='Of the number it returns: "V", "Hz", "Ω", "F" or "".'),
            )
        },
    )
    def get(self, request):
        return Response(
            [
                {
                    "name": function.name,
                    "signature": function.signature,
                    "doc": function.doc,
                    "unit": function.unit,
                }
                for function in FUNCTIONS.values()
            ]
        )


class LabScriptViewSet(ResourceModelViewSet):
    """A user's own scripts (others' are 404), and running them."""

    serializer_class = LabScriptSerializer
    permission_classes = [permissions.IsAuthenticated]
    summaries = {
        "list": "List one's lab scripts (logged-in users: their own)",
        "create": "Save a lab script (logged-in users)",
        "retrieve": "Read a lab script (its owner)",
        "partial_update": "Change a lab script (its owner)",
        "destroy": "Delete a lab script (its owner)",
        "run": "Run a saved lab script in the sandbox, its widgets in the answer (its owner)",
    }
    ordering_fields = ["title", "updated_at", "created_at"]
    search_fields = ["title"]
    filter_fields = {"title": "title"}

    @classmethod
    def visible(cls, user):
        return visible_scripts(user)

    def perform_destroy(self, instance):
        services.delete_script(self.request.user, instance)

    @extend_schema(
        request=None,
        responses={
            200: plain(
                "LabRun",
                Id=fields.IntegerField(),
                Filename=fields.CharField(),
                Date=fields.DateTimeField(),
                status=fields.BooleanField(),
                finished=fields.ChoiceField(choices=["done", "error", "timeout", "stopped"]),
                result=fields.ListField(child=fields.DictField()),
                error=fields.CharField(required=False),
            )
        },
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[parsers.JSONParser],
        renderer_classes=[renderers.JSONRenderer],
    )
    def run(self, request, pk=None):
        """`status` is whether the script finished normally; `finished` says how the run ended
        (done, error, timeout, stopped), as the websocket's "finished" message's `status` does."""
        script = self.get_object()
        outcome = services.run_code(request.user, script.code)
        body = {
            "Id": script.pk,
            "Filename": script.title,
            "Date": script.updated_at.isoformat(),
            "status": outcome.status == "done",
            "finished": outcome.status,
            "result": outcome.widgets,
        }
        if outcome.error:
            body["error"] = outcome.error
        return Response(body, status=status.HTTP_200_OK)
