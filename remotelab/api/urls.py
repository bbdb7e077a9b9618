from django.urls import path

from openevent.resources import registry

from .views import EvalView, FunctionsView, LabScriptViewSet

registry.register("remotelab/scripts", LabScriptViewSet)

urlpatterns = [
    path("remotelab/eval", EvalView.as_view(), name="eval"),
    path("remotelab/functions", FunctionsView.as_view(), name="functions"),
]
