"""Build a tracker by name so the TraX adapter, evaluation and benchmarks share one switch."""
from __future__ import annotations

from .api import Tracker
from .config import Config, ConfigError

TRACKERS = ("cmi", "ncc", "csrt-rgb", "csrt-tir")


def build_tracker(name: str, cfg: Config) -> Tracker:
    """``cmi``: the CMI network tracker; ``ncc`` and ``csrt-*``: the baselines it is compared with."""
    if name == "ncc":
        from .baselines.ncc import NCCTracker

        return NCCTracker()
    if name.startswith("csrt-"):
        from .baselines.csrt import CSRTTracker

        return CSRTTracker("color" if name == "csrt-rgb" else "ir")
    if name == "cmi":
        from .tracking import CMITracker

        return CMITracker(cfg)
    raise ConfigError(f"unknown tracker {name!r}: expected one of {', '.join(TRACKERS)}")
