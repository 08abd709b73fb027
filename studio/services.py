"""Accounts and API keys: the state changes behind the admin, the keys page and the CLI."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from errors import InvalidInput, NotFound
from studio.models import ApiKey, hash_key


@transaction.atomic
def api_key_create(*, user: Any, name: str = "") -> tuple[ApiKey, str]:
    """Create a key; returns the row and the raw key, which is never stored and never shown again."""
    name = name.strip()
    if len(name) > 100:
        raise InvalidInput("The key name must be at most 100 characters long.", field="name")
    raw_key = ApiKey.generate_raw_key()
    key = ApiKey.objects.create(user=user, name=name, prefix=raw_key[:10], key_hash=hash_key(raw_key))
    return key, raw_key


def api_key_revoke(*, user: Any, key_id: int) -> ApiKey:
    key = ApiKey.objects.filter(pk=key_id, user=user).first()
    if key is None:
        raise NotFound("No such API key.", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


@transaction.atomic
def user_ensure(*, username: str, password: str | None = None, is_staff: bool = False) -> tuple[Any, bool]:
    """Get or create a user. A new user without a password gets an unusable one (key-only access)."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(username=username, is_staff=is_staff, is_superuser=is_staff)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user, True


def admin_ensure(*, username: str = "admin", password: str | None = None) -> str | None:
    """Make sure an admin account exists. Returns the generated password when one was made."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    user_ensure(username=username, password=password, is_staff=True)
    return generated
