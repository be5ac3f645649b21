from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "creditbank.credentials"
    label = "credentials"
    verbose_name = _("Verifiable credentials")
