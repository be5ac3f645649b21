from django.urls import path

from creditbank.recognition import views

app_name = "recognition"
urlpatterns = [
    path("me/recognitions/", views.me_recognitions, name="me-recognitions"),
]
