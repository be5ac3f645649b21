from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversionConfig(AppConfig):
    name = "creditbank.conversion"
    label = "conversion"
    verbose_name = _("Conversion and degree upgrade")
