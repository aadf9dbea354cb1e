"""Counter-based randomness: every draw is a pure function of (seed, names…).

The simulated databases must agree with themselves: the history written by ``create``
and the rows appended later by ``advance`` are the same rows, and any window can be
generated on its own. So nothing keeps a random state between calls: each (department,
entity, day) gets its own generator, seeded from a stable hash of its names. Python's
``hash()`` is salted per process, so the hash is BLAKE2b over the names' text.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np


def stream(seed: int, *names: object) -> np.random.Generator:
    """A generator determined only by ``seed`` and ``names`` (e.g. "traffic", "R001", a date)."""
    text = "\x1f".join([str(int(seed)), *(n.isoformat() if isinstance(n, date) else str(n) for n in names)])
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "little")))


def uniform(seed: int, *names: object, low: float = 0.0, high: float = 1.0) -> float:
    """One number in [low, high) for a constant of an entity (e.g. a station's local factor)."""
    return float(stream(seed, *names).uniform(low, high))
