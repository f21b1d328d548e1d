"""Per-frame time of the CMI tracker through its Python API, split by stage, plus init time and peak RSS.

Run: make bench (or .venv/bin/python -m bench.bench_tracker [--frames N])
"""
from __future__ import annotations

import argparse
import collections
import functools
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from tracker.config import Config
from tracker.data.datasets import read_sequence
from tracker.data.synthetic import generate_sequence
from tracker.geometry import iou
from tracker.runner import SequenceRunner
from tracker.tracking import CMITracker
from tracker.tracking.search import SearchRegion


def instrument(obj, names, totals):
    """Wrap methods so each call adds its wall time to ``totals[name]``."""
    for name in names:
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def wrapper(*args, _fn=fn, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                totals[_name] += time.perf_counter() - start

        setattr(obj, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seq = generate_sequence(Path(tmp) / "bench", args.frames, seed=5, kinds=("night", "occlusion", "camera_motion"))
        seq = read_sequence("vot", seq)
        tracker = CMITracker(Config.load(None, args.overrides))
        runner = SequenceRunner(tracker)
        runner.initialize(seq.paths(0), seq.boxes[0])
        init_ms = runner.track_seconds * 1000  # reading the first frame and initialize
        totals: dict[str, float] = collections.defaultdict(float)
        # Stages: crop + backbone, candidate pooling + CMI, single-modality views, verification scores, online update.
        instrument(tracker, ["search"], totals)
        instrument(SearchRegion, ["embed", "embed_views"], totals)
        instrument(tracker.classifier, ["scores", "update"], totals)
        load_t, track_t, overlaps = [], [], []
        for i in range(1, len(seq)):
            box, _ = runner.track(seq.paths(i))
            load_t.append(runner.load_seconds * 1000)
            track_t.append(runner.track_seconds * 1000)
            overlaps.append(iou(box, seq.boxes[i]))
    n = len(track_t)
    total = np.array(load_t) + np.array(track_t)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"CMI tracker, {n} frames, 2 threads, overrides {args.overrides or 'none'}")
    print(f"init {init_ms:.0f} ms | per frame (decode + track): median {np.median(total):.1f} ms, "
          f"p95 {np.percentile(total, 95):.1f} ms | decode median {np.median(load_t):.1f} ms | "
          f"peak RSS {rss_mb:.0f} MB | mean IoU {np.mean(overlaps):.3f}")
    print("mean ms per frame by stage: " + ", ".join(
        f"{k} {v / n * 1000:.1f}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
