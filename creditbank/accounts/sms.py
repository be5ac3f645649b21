"""Sending phone codes. Deployments plug in their SMS gateway; development logs the code."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("creditbank.sms")


class SmsBackend(Protocol):
    def send_code(self, phone: str, code: str, purpose: str) -> None: ...

    def send_message(self, phone: str, text: str) -> None: ...


class LoggingSmsBackend:
    """Development and tests: log the code, and keep it in ``outbox`` for tests to read."""

    outbox: list[tuple[str, str, str]] = []
    messages: list[tuple[str, str]] = []

    def send_code(self, phone: str, code: str, purpose: str) -> None:
        LoggingSmsBackend.outbox.append((phone, code, purpose))
        logger.info("SMS code for %s (%s): %s", phone, purpose, code)

    def send_message(self, phone: str, text: str) -> None:
        """A notification text (the events a deployment switches on: CREDITBANK_SMS_EVENTS)."""
        LoggingSmsBackend.messages.append((phone, text))
        logger.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:], text)


def get_backend() -> SmsBackend:
    backend_class = import_string(settings.CREDITBANK_SMS_BACKEND)
    return backend_class()


def last_code(phone: str, purpose: str | None = None) -> str | None:
    """The newest code the logging backend sent to ``phone`` (development and tests)."""
    for sent_phone, code, sent_purpose in reversed(LoggingSmsBackend.outbox):
        if sent_phone == phone and (purpose is None or purpose == sent_purpose):
            return code
    return None
