from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from events import views as event_views
from openevent import views
from openevent.viewsets import ApiRootView, resource_urls

api_urls = [
    path("", include("accounts.api.urls")),
    path("", include("events.api.urls")),
    path("", include("speakers.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("forms_builder.api.urls")),
    path("", include("remotelab.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for it whatever the page says, the admin's and the API's pages too.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("v1", ApiRootView.as_view(), name="api-root"),
    path("v1/", ApiRootView.as_view()),
    # Made once an hour, not for each of anyone's requests (about 1 MB, a tenth of a second).
    path("v1/schema/", cache_page(60 * 60)(SpectacularAPIView.as_view()), name="schema"),
    path("v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("v1/docs/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("v1/", include(api_urls)),
    path("v1/", include(resource_urls())),  # every app's resources are registered by now
    path("", event_views.event_list, name="home"),
    path("", include("accounts.urls")),
    path("", include("events.urls")),
    path("", include("speakers.urls")),
    path("", include("orders.urls")),
    path("", include("remotelab.urls")),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
