from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_default_roles(sender: Any, **kwargs: Any) -> None:
    from creditbank.orgs import services

    services.ensure_roles()


class OrgsConfig(AppConfig):
    name = "creditbank.orgs"
    label = "orgs"
    verbose_name = _("Service network")

    def ready(self) -> None:
        # Like Django's own permissions: default roles follow the code after every migrate.
        post_migrate.connect(_sync_default_roles, sender=self, dispatch_uid="creditbank_default_roles")
