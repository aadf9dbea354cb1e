"""Password hashing with a current memory-hard algorithm (scrypt, via Werkzeug).

Werkzeug's ``scrypt`` format stores method, parameters and salt in the hash, so the
parameters can be raised later without invalidating existing hashes.
"""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
#: verified against when the user does not exist, so a missing user costs the same time
DUMMY_HASH = "scrypt:32768:8:1$Wb3hYl1N0fZ8o0Fq$" + "0" * 128


def hash_password(password: str) -> str:
    """A scrypt hash of ``password`` (refuses passwords too short to be worth hashing)."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-time check; a missing hash (SSO-only user) never matches, but costs the same."""
    ok = check_password_hash(stored_hash or DUMMY_HASH, password)
    return ok and stored_hash is not None
