import re

from django.contrib import admin
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

import clients.urls  # noqa: F401  (registers the clients resources)
import core.urls  # noqa: F401  (registers the core resources)
import finance.urls  # noqa: F401  (registers the finance resources)
import sales.urls  # noqa: F401  (registers the sales resources)
from core import auth_views
from core.api.exceptions import unknown_api_path
from core.api.routers import router
from core.pdf.views import download as pdf_download
from core.views import healthz, home

handler404 = "core.api.exceptions.json_404"
handler500 = "core.api.exceptions.json_500"

urlpatterns = [
    path("", home, name="home"),  # links the admin and the API docs
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("pdf/<str:token>", pdf_download, name="pdf-download"),  # signed links (core/pdf/links.py)
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # drf-spectacular's page with its web fonts left out (they come from a CDN; ReDoc falls back).
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"), name="redoc"),
    *clients.urls.surface_urlpatterns,
    path("v1/auth/token", auth_views.TokenView.as_view(), name="auth-token"),
    path("v1/auth/api-keys", auth_views.ApiKeyListView.as_view(), name="auth-api-keys"),
    path("v1/auth/api-keys/<str:key_id>", auth_views.ApiKeyDetailView.as_view(), name="auth-api-key"),
    path("authenticate", auth_views.ReauthenticateView.as_view(), name="authenticate"),
    *router.urlpatterns(),
]

# Last: any other path under an API prefix answers the JSON 404 in the error shape, with DEBUG on
# too (Django's handler404 gives way to its HTML page then).
_api_prefixes = ["v1", "gql", "clients", "authenticate", *router.root_prefixes()]
urlpatterns.append(
    re_path(rf"^(?:{'|'.join(map(re.escape, _api_prefixes))})(?:/.*)?$", unknown_api_path, name="unknown-api-path")
)
