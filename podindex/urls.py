from django.contrib import admin
from django.urls import include, path

from api.v1 import api
from core.health import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/v1/", api.urls),
    path("", include("browse.urls")),
]
