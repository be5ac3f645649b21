from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "creditbank.console"
    label = "console"
