"""Console pages for bulk imports (``/console/imports/``)."""

from django.urls import path

from creditbank.imports import views

app_name = "imports"
urlpatterns = [
    path("console/imports/", views.job_list, name="job-list"),
    path("console/imports/new/", views.job_create, name="job-create"),
    path("console/imports/template.xlsx", views.learner_template, name="template"),
    path("console/imports/outcomes/new/", views.outcome_job_create, name="outcome-create"),
    path("console/imports/outcomes/template.xlsx", views.outcome_template, name="outcome-template"),
    path("console/imports/<int:pk>/", views.job_detail, name="job-detail"),
    path("console/imports/<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("console/imports/<int:pk>/confirm/", views.job_confirm, name="job-confirm"),
    path("console/imports/<int:pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("console/imports/<int:pk>/report.xlsx", views.job_report, name="job-report"),
]
