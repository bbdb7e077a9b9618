from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import EvalView, FunctionsView, LabScriptViewSet

router = SimpleRouter(trailing_slash=False)
router.register("remotelab/scripts", LabScriptViewSet, basename="lab-script")

urlpatterns = [
    path("remotelab/eval", EvalView.as_view(), name="eval"),
    path("remotelab/functions", FunctionsView.as_view(), name="functions"),
    *router.urls,
]
