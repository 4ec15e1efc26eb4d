from django.contrib import admin
from django.urls import include, path

from podindex import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("admin/", admin.site.urls),
    path("", include("scoring.urls")),
    path("", include("episodes.urls")),
    path("", include("shows.urls")),
]
