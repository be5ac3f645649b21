"""Console URLs of programmes and conversion rules; included from ``creditbank/urls.py``."""

from django.urls import path

from creditbank.conversion import console_views as views

app_name = "conversion"
urlpatterns = [
    path("console/conversion/", views.programme_list, name="programme-list"),
    path("console/conversion/<str:code>/", views.programme_detail, name="programme-detail"),
]
