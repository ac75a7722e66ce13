"""Process-wide wiring: one Repository and one secret box per container and settings, reused by warm
invocations."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import boto3

from leadrouter.data.identity import CognitoUsers
from leadrouter.data.repository import Repository
from leadrouter.data.secrets import KmsSecretBox, LocalSecretBox
from leadrouter.domain.errors import Unavailable
from leadrouter.domain.secrets import NO_SECRETS, SecretBox
from leadrouter.logic.intake.limits import DoorLimits
from leadrouter.settings import Settings


@cache
def _repository(settings: Settings) -> Repository:
    return Repository(settings)


def repository() -> Repository:
    """Keyed on the settings, so tests that point the env at fresh tables get a fresh client."""
    return _repository(Settings.from_env())


@cache
def _secret_box(key_id: str, local_key_file: str) -> SecretBox:
    if key_id:
        return KmsSecretBox(key_id)
    if local_key_file:
        return LocalSecretBox.from_file(Path(local_key_file))
    return NO_SECRETS


def secret_box() -> SecretBox:
    """KMS where the template gives the function the key (SECRETS_KEY_ID); the local key file of
    ``make run`` and tests otherwise; a function given neither can seal and open nothing."""
    settings = Settings.from_env()
    return _secret_box(settings.secrets_key_id, settings.local_secrets_key_file)


@cache
def _door_limits(repository: Repository) -> DoorLimits:
    return DoorLimits(repository)


def door_limits() -> DoorLimits:
    """The public door's limits: this container's memory in front of the shared counts (one per
    repository, so a fresh client, as in a new container, comes with fresh memory)."""
    return _door_limits(repository())


@cache
def _identity(user_pool_id: str) -> CognitoUsers:
    return CognitoUsers(boto3.client("cognito-idp"), user_pool_id)


def identity() -> CognitoUsers:
    """The tenants' users in the stack's user pool (``USER_POOL_ID``); a 503 naming what is missing when
    the process has no pool. boto3 takes the endpoint from ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``
    when set (``make run`` points it at its local Cognito)."""
    user_pool_id = Settings.from_env().user_pool_id
    if not user_pool_id:
        raise Unavailable("user management is not configured here (no USER_POOL_ID)", retry_after=60)
    return _identity(user_pool_id)
