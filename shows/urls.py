from django.urls import path

from shows import views

app_name = "shows"

urlpatterns = [
    path("shows/", views.show_list, name="list"),
    path("categories/<slug:slug>/", views.category_detail, name="category"),
    path("shows/<slug:slug>/", views.show_detail, name="detail"),
]
