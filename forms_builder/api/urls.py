from openevent.resources import registry

from .views import CustomFormViewSet

registry.register("custom-forms", CustomFormViewSet)

urlpatterns = []
