"""Per-frame time of the CMI tracker through its Python API, split by stage, plus init time and peak RSS.

Frames go through the shared sequence runner with the tracker's read hints, as in the TraX process (``--no-hint``:
whole frames, the reference path). ``--size`` resamples the generated sequence (rendered at 640x480) to another frame
size, JPEG as the real datasets (``bench/speed.py``). Stage times are inclusive: ``cut`` and ``net.extract`` lie
inside ``search``, ``net.cmi`` inside ``fuse``.

Run: make bench (or .venv/bin/python -m bench.bench_tracker [--frames N] [--size 1920x1080] [--no-hint]
[key=value ...])
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

import tracker.tracking.search as search_module
from bench.speed import scaled_sequence
from tracker.config import Config
from tracker.data.datasets import read_sequence
from tracker.geometry import iou
from tracker.runner import SequenceRunner
from tracker.tracking import CMITracker
from tracker.tracking.search import SearchRegion


def instrument(obj, names, totals, prefix=""):
    """Wrap methods so each call adds its wall time to ``totals[prefix + name]``."""
    for name in names:
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def wrapper(*args, _fn=fn, _name=prefix + name, **kwargs):
            start = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                totals[_name] += time.perf_counter() - start

        setattr(obj, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="640x480", help="frame size, WIDTHxHEIGHT")
    parser.add_argument("--no-hint", action="store_true", help="load whole frames (the reference path)")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        seq = scaled_sequence(Path(tmp) / "bench", args.frames, size, seed=5,
                              kinds=("night", "occlusion", "camera_motion"))
        seq = read_sequence("vot", seq)
        tracker = CMITracker(Config.load(None, args.overrides))
        runner = SequenceRunner(tracker, hints=not args.no_hint)
        runner.initialize(seq.paths(0), seq.boxes[0])
        init_ms = runner.track_seconds * 1000  # reading the first frame and initialize
        totals: dict[str, float] = collections.defaultdict(float)
        # Stages: crop + backbone, candidate RoIAlign, CMI fusion (fused and per-modality views), candidate and box
        # refinement scores, sample collection, online update; inside them: cutting the crops, the backbone, the CMI
        # module.
        instrument(tracker, ["search"], totals)
        instrument(SearchRegion, ["pool", "fuse"], totals)
        instrument(tracker.refiner, ["refine"], totals)
        instrument(tracker.classifier, ["sample_scores", "collect", "update"], totals)
        instrument(search_module, ["cut"], totals)
        instrument(tracker.net, ["extract"], totals, "net.")
        instrument(tracker.net.cmi, ["forward"], totals, "net.cmi.")
        load_t, track_t, overlaps = [], [], []
        for i in range(1, len(seq)):
            box, _ = runner.track(seq.paths(i))
            load_t.append(runner.load_seconds * 1000)
            track_t.append(runner.track_seconds * 1000)
            overlaps.append(iou(box, seq.boxes[i]))
    n = len(track_t)
    total = np.array(load_t) + np.array(track_t)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"CMI tracker, {n} frames at {size[0]}x{size[1]}, {'whole frames' if args.no_hint else 'read hints'}, "
          f"2 threads, overrides {args.overrides or 'none'}")
    print(f"init {init_ms:.0f} ms | per frame (decode + track): median {np.median(total):.1f} ms, "
          f"p95 {np.percentile(total, 95):.1f} ms | decode median {np.median(load_t):.1f} ms | "
          f"peak RSS {rss_mb:.0f} MB | mean IoU {np.mean(overlaps):.3f}")
    print("mean ms per frame by stage: " + ", ".join(
        f"{k} {v / n * 1000:.1f}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
