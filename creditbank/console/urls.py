from django.urls import path

from creditbank.console import views

app_name = "console"
urlpatterns = [
    path("console/", views.dashboard, name="dashboard"),
]
