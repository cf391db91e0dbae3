"""ULID-style ids: 26 Crockford base-32 characters, time-ordered, like Sinch's subproject ids."""

from __future__ import annotations

import random
import threading

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


def encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def ulid_at(millis: int, randomness: int) -> str:
    return encode(millis, 10) + encode(randomness, 16)


class UlidGenerator:
    """Monotonic: ids made in the same millisecond still sort in creation order."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._last_millis = -1
        self._last_random = 0

    def new(self, millis: int) -> str:
        with self._lock:
            if millis <= self._last_millis:
                millis = self._last_millis
                self._last_random += 1
            else:
                self._last_millis = millis
                self._last_random = self._rng.getrandbits(_RANDOM_BITS - 1)
            return ulid_at(millis, self._last_random)
