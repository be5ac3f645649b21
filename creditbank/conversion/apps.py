from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversionConfig(AppConfig):
    name = "creditbank.conversion"
    label = "conversion"
    verbose_name = _("Conversion and degree upgrade")

    def ready(self) -> None:
        # Registers the ledger's conversion record type and event (conversion.recorded).
        from creditbank.conversion import applications  # noqa: F401
