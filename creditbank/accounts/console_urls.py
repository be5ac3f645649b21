"""Console URLs for learners; included from ``creditbank/urls.py`` (the learner-facing URLs
of ``accounts`` live in ``accounts/urls.py``)."""

from django.urls import path

from creditbank.accounts import console_views as views

app_name = "learners"
urlpatterns = [
    path("console/learners/", views.learner_list, name="learner-list"),
    path("console/learners/open/", views.learner_open, name="learner-open"),
    path("console/learners/export.csv", views.learner_export, name="learner-export"),
    path("console/learners/<str:account_no>/", views.learner_detail, name="learner-detail"),
    path("console/learners/<str:account_no>/opened/", views.learner_opened, name="learner-opened"),
    path("console/learners/<str:account_no>/unmask/", views.learner_unmask, name="learner-unmask"),
    path("console/learners/<str:account_no>/status/", views.learner_status, name="learner-status"),
]
