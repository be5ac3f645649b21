"""URLs of programmes and conversion: the console's read-only pages, and the learner's side
(``/me/programmes/``); included from ``creditbank/urls.py``."""

from django.urls import path

from creditbank.conversion import console_views, views

app_name = "conversion"
urlpatterns = [
    path("console/conversion/", console_views.programme_list, name="programme-list"),
    path("console/conversion/<str:code>/", console_views.programme_detail, name="programme-detail"),
    # the learner's side: what their outcomes convert into, and applying
    path("me/programmes/", views.me_programmes, name="me-programmes"),
    path("me/programmes/<str:code>/apply/", views.me_programme_apply, name="me-programme-apply"),
]
