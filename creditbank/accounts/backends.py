"""Django authentication backend: one login box for account number, ID number, phone or staff username."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from creditbank.accounts import selectors


class IdentityBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not username or not password:
            return None
        user = selectors.find_user_by_identifier(username)
        if user is None:
            # Run the hasher anyway so that unknown names take as long as wrong passwords.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        return user is not None and bool(getattr(user, "is_active", False))
