from django.urls import path

from creditbank.api.main import api

urlpatterns = [path("", api.urls)]
