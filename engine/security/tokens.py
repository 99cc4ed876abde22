"""Bearer tokens: JWTs signed with HS256 and the settings' secret key.

A token names its user (`sub`) and the user's token generation when it was issued (`gen`);
it carries no roles. Its signature and expiry (`LKJ_TOKEN_TTL_S`) are checked here; whether
the user is active and its generation is still the token's is the use cases' decision
(engine/usecases/signing_in.py). A token without a generation (issued before generations
existed) is not valid.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import jwt

from engine.errors import AuthenticationFailed
from engine.settings import Settings

ALGORITHM = "HS256"
# Checked by PyJWT; `gen` is checked below, after the expiry, so an expired token says so.
REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti"]
GENERATION = "gen"


@dataclass(frozen=True)
class TokenClaims:
    username: str
    generation: int


def issue(settings: Settings, username: str, generation: int) -> dict:
    """A new token for the user, as the sign-in answer: access_token, token_type, expires_in."""
    # Wall-clock time, not the engine clock: PyJWT checks `exp` against wall-clock time.
    now = datetime.now(timezone.utc)
    claims = {"sub": username, GENERATION: generation, "iat": now,
              "exp": now + timedelta(seconds=settings.token_ttl_s), "jti": uuid.uuid4().hex}
    return {"access_token": jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM),
            "token_type": "Bearer", "expires_in": settings.token_ttl_s}


def read(settings: Settings, token: str) -> TokenClaims:
    """The claims of a token this server signed and that has not expired;
    AuthenticationFailed (saying why) otherwise."""
    claims, expires_at = _verified(settings.secret_key, token)
    if time.time() >= expires_at:  # as PyJWT decides it (no leeway)
        raise AuthenticationFailed("The token has expired")
    return claims


@lru_cache(maxsize=4096)
def _verified(secret_key: str, token: str) -> tuple[TokenClaims, float]:
    """(claims, expiry as a Unix time) of a token whose signature holds. Remembered: a
    client sends the same token with every request, and checking its signature costs more
    than the rest of reading it; a refused token raises, and is not remembered."""
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM],
                            options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("The token has expired") from None
    except jwt.InvalidTokenError:
        raise AuthenticationFailed("The token is not valid") from None
    generation = claims.get(GENERATION)
    if not isinstance(generation, int) or isinstance(generation, bool) \
            or not isinstance(claims["sub"], str):
        raise AuthenticationFailed("The token is not valid")
    return TokenClaims(claims["sub"], generation), float(claims["exp"])
