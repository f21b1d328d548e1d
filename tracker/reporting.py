"""Warnings about a problem that repeats every frame (a missing channel, a resampled size): logged once per sequence."""
from __future__ import annotations

import logging


class ReportOnce:
    """Logs each kind of problem the first time it occurs, until :meth:`reset` starts the next sequence."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.seen: set[str] = set()

    def reset(self) -> None:
        self.seen.clear()

    def warning(self, key: str, message: str) -> None:
        if key not in self.seen:
            self.seen.add(key)
            self.logger.warning("%s (reported once per sequence)", message)
