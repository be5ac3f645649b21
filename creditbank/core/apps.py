from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "creditbank.core"
    label = "core"
