"""`python -m bot` for the crash tests, with short reply leases (no waiting the real 15 s).

Usage: ``python -m tests.e2e.crash_bot LEASE_SECONDS [SHUTDOWN_GRACE_SECONDS]``. Everything
else is the service's own start-up (settings from the environment, logging, SIGTERM).
"""

from __future__ import annotations

import asyncio
import sys

from bot.logs import configure_logging
from bot.service import serve
from bot.settings import Settings, environment


def main(lease: float, grace: float) -> None:
    settings = Settings.from_env(environment())
    configure_logging(settings.log_level)
    options = {"lease": lease, "shutdown_grace": grace, "edit_interval": 0.05}
    asyncio.run(serve(settings, redis_cooldown=0.5, **options))


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 8.0)
