from django.urls import path

from creditbank.archive import views

app_name = "archive"
urlpatterns = [
    path("me/archive/", views.me_archive, name="me-archive"),
    path("me/archive/export.xlsx", views.me_archive_export, name="me-archive-export"),
    path("me/archive/transcript.pdf", views.me_archive_transcript, name="me-archive-transcript"),
    path("me/archive/outcomes/<int:pk>/", views.me_outcome, name="me-outcome"),
    path("me/deposits/new/", views.me_deposit_new, name="me-deposit-new"),
    path("me/deposits/<int:pk>/", views.me_deposit, name="me-deposit"),
    path("me/deposits/<int:pk>/resubmit/", views.me_deposit_resubmit, name="me-deposit-resubmit"),
    path("me/deposits/<int:pk>/withdraw/", views.me_deposit_withdraw, name="me-deposit-withdraw"),
    path("me/deposits/<int:pk>/submit/", views.me_deposit_submit, name="me-deposit-submit"),
    path("me/evidence/<int:pk>/", views.me_evidence, name="me-evidence"),
    path("console/learners/<str:account_no>/archive/", views.learner_archive, name="learner-archive"),
    path(
        "console/learners/<str:account_no>/archive/export.xlsx",
        views.learner_archive_export,
        name="learner-archive-export",
    ),
    path(
        "console/learners/<str:account_no>/archive/transcript.pdf",
        views.learner_archive_transcript,
        name="learner-archive-transcript",
    ),
    path("console/evidence/<int:pk>/", views.staff_evidence, name="staff-evidence"),
    path("console/outcomes/<int:pk>/", views.staff_outcome, name="staff-outcome"),
    path("console/outcomes/<int:pk>/revoke/", views.staff_outcome_revoke, name="staff-outcome-revoke"),
]
