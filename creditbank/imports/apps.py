from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "creditbank.imports"
    label = "imports"
