"""Accounts the production settings can check (the test settings hash with MD5)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher


class QuickPBKDF2(PBKDF2PasswordHasher):
    # Verifiable by the production hasher (the hash names its iterations); cheap to check
    # on a shared CI machine. Production re-hashes it at full strength on the first login.
    iterations = 1000


def staff_account(username: str, password: str, **flags):
    hasher = QuickPBKDF2()
    account = get_user_model().objects.create_user(username=username, **flags)
    account.password = hasher.encode(password, hasher.salt())
    account.save(update_fields=["password"])
    return account
