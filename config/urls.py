from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import clients.urls  # noqa: F401  (registers the clients resources)
import core.urls  # noqa: F401  (registers the core resources)
from core.api.routers import router
from core.views import healthz

handler404 = "core.api.exceptions.json_404"
handler500 = "core.api.exceptions.json_500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    *router.urlpatterns(),
]
