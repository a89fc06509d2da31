"""The one backoff policy: exponential with full jitter."""

from __future__ import annotations

import random
import time

MAX_DELAY = 5.0


def backoff_delay(base: float, attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (0-based): uniform in [0, base * 2**attempt]."""
    ceiling = min(MAX_DELAY, base * (2**attempt))
    return random.uniform(0, ceiling)  # noqa: S311 (jitter, not cryptography)


def sleep_before_retry(base: float, attempt: int) -> None:
    time.sleep(backoff_delay(base, attempt))
