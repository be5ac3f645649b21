from django.urls import path

from creditbank.reviews import views

app_name = "reviews"
urlpatterns = [
    path("console/reviews/", views.queue, name="queue"),
    path("console/reviews/batch/", views.batch, name="batch"),
    path("console/reviews/<int:pk>/", views.application_detail, name="application-detail"),
    path("console/reviews/<int:pk>/action/", views.application_action, name="application-action"),
    path("console/inbox/", views.console_inbox, name="console-inbox"),
]
