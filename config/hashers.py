"""Password hashing: Argon2 (Django's recommended hasher) with the costs chosen for
this portal's servers.

Django's defaults (100 MiB, 8 lanes) took ~230 ms of CPU per check on the 2-core
machine; with one lane and 56 MiB a check takes ~100 ms (measured December 2026),
still above OWASP's minimum (19 MiB, 2 passes). Hashes made with other costs or an
older hasher (PBKDF2) are still accepted and rehashed with these at the next log-in
(Django's ``must_update``)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 56 * 1024  # KiB
    parallelism = 1
