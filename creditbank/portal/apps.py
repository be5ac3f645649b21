from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "creditbank.portal"
    label = "portal"
