"""Soak run: the CMI TraX process through the toolkit's runtime on a 10 000-frame sequence.

Reports, per block of frames, the tracker process's RSS, mean time per frame and mean IoU, so a
memory leak or a slowdown over a long evaluation shows as a trend. The sequence is 500 generated
frames played forwards and backwards (continuous motion, bounded disk).

Run: .venv/bin/python -m bench.soak [--frames 10000] [--tracker CMI]
"""
from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import numpy as np

from tracker.data.synthetic import generate_sequence, is_generated
from tracker.geometry import iou

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def child_rss_mb() -> float:
    """Resident memory of this process's children (the tracker), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid():
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--block", type=int, default=1000)
    parser.add_argument("--tracker", default="CMI")
    args = parser.parse_args()

    from vot.dataset import load_sequence
    from vot.tracker import ObjectStatus, Registry

    seq_dir, kinds = HERE / "work" / "soak", ("textured", "camera_motion", "scale")
    if not is_generated(seq_dir, 500, seed=5, kinds=kinds):
        shutil.rmtree(seq_dir, ignore_errors=True)
        generate_sequence(seq_dir, 500, seed=5, kinds=kinds)
    sequence = load_sequence(str(seq_dir))
    n = len(sequence)
    order = [i % (n - 1) if (i // (n - 1)) % 2 == 0 else (n - 1) - i % (n - 1) for i in range(args.frames)]

    runtime = Registry([str(REPO / "trackers.ini")], root=str(REPO))[args.tracker].runtime(log=False)
    runtime.initialize(sequence.frame(0), [ObjectStatus(sequence.frame(0).groundtruth(), {})])
    print(f"soak: {args.tracker} on {args.frames} frames ({n} generated, played back and forth)")
    print("| frames | RSS MB | mean ms/frame | mean IoU |\n|---|---|---|---|")
    print(f"| 0 (after init) | {child_rss_mb():.0f} | - | - |", flush=True)
    times, overlaps = [], []
    try:
        for k in range(1, args.frames):
            frame = sequence.frame(order[k])
            start = time.perf_counter()
            states, _ = runtime.update(frame)
            times.append(time.perf_counter() - start)
            r, t = states[0].region, frame.groundtruth()
            overlaps.append(float(iou(np.array([r.x, r.y, r.width, r.height]), np.array([t.x, t.y, t.width, t.height]))))
            if (k + 1) % args.block == 0:
                print(f"| {k + 1} | {child_rss_mb():.0f} | {1000 * np.mean(times[-args.block:]):.1f} | "
                      f"{np.mean(overlaps[-args.block:]):.3f} |", flush=True)
    finally:
        runtime.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
