"""What the Rasa server's own components share about secrets and identity (Python 3.10, no recommender import).

The action server reads the same environment variables through `recommender.config.Settings`;
the names here and there are the one contract (`docs/security.md`):

- `RECSYS_ENVIRONMENT`: `development` (the default: `make run` on a laptop) or `production`.
  In production every secret below is required and a component without its secret refuses to start.
- `RECSYS_REST_TOKEN`: the REST channel answers only callers that send it (`Authorization: Bearer ...`).
- `RECSYS_SOCKETIO_SECRET`: the key that signs the web widget's session ids.
- `RECSYS_CORS_ORIGINS`: the web pages (origins) a browser may call Rasa from; `rasa run --cors`
  gets the same list. A browser request from any other page is refused by the channels.

`scripts/run_stack.sh` generates the secrets into `var/secrets.env` when they are absent.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from typing import FrozenSet, Optional, Text

logger = logging.getLogger(__name__)

DEVELOPMENT, PRODUCTION = "development", "production"

# Every sender id of the REST channel starts with this: a REST caller can never name a Slack,
# Telegram or web-widget user's conversation (their ids never start with it). The action server
# has the same constant (recommender.identity.REST_SENDER_PREFIX); a test keeps them equal.
REST_SENDER_PREFIX = "rest:"


class InsecureConfigurationError(RuntimeError):
    """A component would start without a secret it needs outside development."""


def environment() -> Text:
    """`development` or `production` from RECSYS_ENVIRONMENT; anything else is refused."""
    value = (os.environ.get("RECSYS_ENVIRONMENT") or DEVELOPMENT).strip().lower()
    if value not in (DEVELOPMENT, PRODUCTION):
        raise InsecureConfigurationError(
            f"RECSYS_ENVIRONMENT={value!r}: expected {DEVELOPMENT!r} or {PRODUCTION!r}"
        )
    return value


def configured_secret(name: Text) -> Optional[Text]:
    """The secret in environment variable `name`, or None when it is unset or blank."""
    value = (os.environ.get(name) or "").strip()
    return value or None


def required_secret(name: Text, what: Text) -> Optional[Text]:
    """The secret `name`; in production its absence stops the server with a message saying what to set."""
    value = configured_secret(name)
    if value is None and environment() == PRODUCTION:
        raise InsecureConfigurationError(
            f"{name} is not set and RECSYS_ENVIRONMENT=production: {what}. Set {name} to a long random "
            f"value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), see docs/security.md."
        )
    return value


def signing_key(name: Text, what: Text) -> bytes:
    """The key in `name`; in development without it, a random key for this process (logged once)."""
    value = required_secret(name, what)
    if value is not None:
        return value.encode()
    logger.warning("%s is not set: using a random key for this process only (%s); see docs/security.md", name, what)
    return secrets.token_bytes(32)


def sign(value: Text, key: bytes) -> Text:
    """`value.<mac>`: the value with a truncated HMAC-SHA256 (128 bits) that only the key's holder can make."""
    mac = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{value}.{mac}"


def verified(signed: object, key: bytes) -> Optional[Text]:
    """`signed` if it carries a valid signature made with `key`, else None (never raises)."""
    if not isinstance(signed, str) or "." not in signed or len(signed) > 200:
        return None
    value = signed.rsplit(".", 1)[0]
    return signed if hmac.compare_digest(sign(value, key), signed) else None


def token_matches(presented: Optional[Text], expected: Text) -> bool:
    """Constant-time comparison of a presented bearer token with the expected one."""
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def allowed_origins() -> Optional[FrozenSet[Text]]:
    """The origins of RECSYS_CORS_ORIGINS (spaces or commas between them); None: no restriction."""
    raw = os.environ.get("RECSYS_CORS_ORIGINS", "").replace(",", " ").split()
    return None if not raw or "*" in raw else frozenset(origin.rstrip("/") for origin in raw)


def origin_allowed(origin: Optional[Text], origins: Optional[FrozenSet[Text]]) -> bool:
    """Whether a request with this Origin header may act: no header (not a browser page) or an allowed page."""
    return origins is None or not origin or origin.rstrip("/") in origins


def bearer_token(headers: object, args: object) -> Optional[Text]:
    """The token of `Authorization: Bearer <token>`, else of a `?token=` query argument."""
    authorization = getattr(headers, "get", lambda _k, _d=None: None)("Authorization") or ""
    scheme, _, token = str(authorization).partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    getter = getattr(args, "get", None)
    value = getter("token") if getter else None
    return str(value) if value else None
