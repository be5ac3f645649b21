from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "creditbank.api"
    label = "api"
