"""Where the Redis tests find their server (one place for every test folder).

``ACUFACE_TEST_REDIS_URL`` when set; otherwise Redis's usual local address with
database 4 (the tests' keys stay out of a developer's database 0). When nothing
answers, the Redis tests skip and say why.
"""

from __future__ import annotations

import os

import pytest
import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"
REDIS_URL: str = os.environ.get("ACUFACE_TEST_REDIS_URL") or DEFAULT_REDIS_URL
_FROM = "ACUFACE_TEST_REDIS_URL" if os.environ.get("ACUFACE_TEST_REDIS_URL") else "default"


def redis_or_skip() -> redis.Redis:
    """A client of the test Redis that answered a ping; skips the test, saying why, if none did."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(
            f"Redis is not reachable at {REDIS_URL} ({_FROM} address; set "
            f"ACUFACE_TEST_REDIS_URL to a reachable server): {exc}"
        )
    return client
