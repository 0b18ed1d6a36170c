"""URL configuration: the product is the Django admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from edi_platform.core import reports

admin.site.site_header = "EDI operations"
admin.site.site_title = "EDI operations"
admin.site.index_title = "X12 5010 operations"

urlpatterns = [
    # the report registry's pages (before the admin's catch-all app URLs)
    path("admin/reports/", include((reports.urlpatterns(), "reports"))),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
