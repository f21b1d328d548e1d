"""Independent one-pass runs of the slow population tests, spread over the machine's cores.

Each run is one tracker (config overrides) on one generated sequence; runs share nothing, so single-threaded
processes, one per core, do the work of one two-threaded tracker faster: intra-op threading of small crops scales
poorly (2-core CPU, 2026-11-28: the night test 305 -> 193 s, the fusion tests 121 + 104 -> 81 + 78 s, the same mean
IoUs to the digits their bars quote).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

_TRACKERS: dict = {}  # per worker process: one tracker per settings, reused across its runs


def _run(overrides: tuple[str, ...], seq_dir: str) -> tuple[np.ndarray, np.ndarray]:
    from tracker.config import Config
    from tracker.data.datasets import read_sequence
    from tracker.runner import run_sequence
    from tracker.tracking import CMITracker

    if overrides not in _TRACKERS:
        _TRACKERS[overrides] = CMITracker(Config.load(None, ["device=cpu", "warmup=false", "threads=1", *overrides]))
    seq = read_sequence("vot", Path(seq_dir))
    boxes = run_sequence(_TRACKERS[overrides], [seq.paths(i) for i in range(len(seq))], seq.boxes[0]).boxes
    return boxes[1:], seq.boxes[1:]


def track_all(runs: list[tuple[tuple[str, ...], Path]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(overrides, sequence folder) -> (boxes, ground truth) from the second frame on, in the order given."""
    workers = max(1, min(len(runs), os.cpu_count() or 1))
    # spawn, not fork: a forked child of a process that already started torch's OpenMP pool can stall.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_run, [tuple(o) for o, _ in runs], [str(s) for _, s in runs]))
