"""URL configuration: the product is the Django admin."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "EDI operations"
admin.site.site_title = "EDI operations"
admin.site.index_title = "X12 5010 operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
