from django.contrib import admin
from django.urls import include, path

from events import views as event_views
from openevent import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("v1/", include(("accounts.api.urls", "accounts-api"))),
    path("v1/", include(("events.api.urls", "events-api"))),
    path("v1/", include(("speakers.api.urls", "speakers-api"))),
    path("v1/", include(("remotelab.api.urls", "remotelab-api"))),
    path("", event_views.event_list, name="home"),
    path("", include("accounts.urls")),
    path("", include("events.urls")),
    path("", include("speakers.urls")),
    path("", include("remotelab.urls")),
]

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
