from django.urls import path

from episodes import views

app_name = "episodes"

urlpatterns = [
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("shows/<slug:show_slug>/<slug:slug>/", views.episode_detail, name="detail"),
]
