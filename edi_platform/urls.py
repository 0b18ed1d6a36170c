"""URL configuration: the product is the Django admin, plus the operations endpoints."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from api import urls as api_urls
from edi_platform.core import health, metrics, reports, search
from edi_platform.core.adminkit import guarded_view

admin.site.site_header = "EDI operations"
admin.site.site_title = "EDI operations"
admin.site.index_title = "X12 5010 operations"
# The home dashboard, the header search and the breadcrumbs lead everywhere; the nav
# sidebar would take a fifth of a 1,366 px screen from every list.
admin.site.enable_nav_sidebar = False


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return HttpResponseRedirect(static("console/favicon.svg"))


urlpatterns = [
    # the report registry's pages and the journey search (before the admin's catch-all)
    path("admin/reports/", include((reports.urlpatterns(), "reports"))),
    path("admin/search/", guarded_view(admin.site, search.search_view), name="console-search"),
    path("admin/", admin.site.urls),
    # for load balancers and monitors (README "Operations console")
    # the HTTP API: /api/v1/... and its schema and documentation (README "HTTP API")
    path("api/v1/", include((api_urls.v1, "api-v1"))),
    path("api/", include((api_urls.urlpatterns, "api"))),
    path("healthz", health.healthz_view, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
