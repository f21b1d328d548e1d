"""Fast multistart EAO through the tracker API, for trying tracking-loop changes before the toolkit bench.

Runs every anchor of a generated bench workspace (forward or backward, as ``anchor.value`` says) through
``Tracker.initialize``/``track`` in parallel worker processes (one thread each), then scores the runs with the
toolkit's own failure rule (overlap <= 0.1 for 10 frames) and ``compute_eao_partial`` (EAO over 115-755).
No realtime frame skipping and no TraX: use it to rank variants, and the toolkit (`bench/run.py`) for
reported numbers.

Run: .venv/bin/python -m bench.multistart --label NAME [--family shapes|photo] [--seed 11] [--tracker cmi]
     [key=value ...]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FAIL_THRESHOLD, GRACE, EAO_LOW, EAO_HIGH = 0.1, 10, 115, 755  # vot2019/rgbtir multistart analysis


def runs(ws: Path) -> list[tuple[str, int, int]]:
    """(sequence, anchor frame, direction) for every anchor of the workspace."""
    from tracker.data.datasets import read_anchors, sequence_names

    out = []
    for name in sequence_names(ws):
        values = read_anchors(ws / name)
        out += [(name, int(i), 1 if values[i] > 0 else -1) for i in np.flatnonzero(values)]
    return out


def _track(job) -> tuple[str, int, list[float], list[float]]:
    from tracker.config import Config
    from tracker.data.datasets import read_sequence
    from tracker.factory import build_tracker
    from tracker.geometry import iou
    from tracker.runner import run_sequence

    ws, tracker_name, overrides, (name, start, direction) = job
    global _TRACKER
    if _TRACKER is None:
        _TRACKER = build_tracker(tracker_name, Config.load(None, ["threads=1", *overrides]))
    seq = read_sequence("vot", ws / name)
    frames = range(start, len(seq)) if direction > 0 else range(start, -1, -1)
    run = run_sequence(_TRACKER, [seq.paths(i) for i in frames], seq.boxes[start])
    overlaps = [1.0] + iou(run.boxes[1:], seq.boxes[list(frames)[1:]]).tolist()
    return name, start, overlaps, run.track_ms[1:].tolist()


_TRACKER = None


def prefix(family: str) -> str:
    """What names a family's workspace and results apart: nothing for shapes (the names before photo existed)."""
    return "" if family == "shapes" else f"{family}-"


def workspace(family: str, sequences: int, frames: int, seed: int, spacing: int) -> Path:
    """The generated sequences (``family`` shapes or photo) with multistart anchors every ``spacing`` frames,
    written unless this generator version already wrote them."""
    from tracker.data import photo_scenes, synthetic
    from tracker.data.datasets import read_vot_meta

    ws = HERE / "work" / f"ws-{prefix(family)}{sequences}x{frames}-a{spacing}-s{seed}" / "sequences"
    if family == "shapes":
        synthetic.generate_dataset(ws, sequences, frames, seed, anchor_spacing=spacing, reuse=True)
        return ws
    try:  # list.txt is written last: a listed sequence means a complete folder; the name holds the other arguments
        first = (ws / "list.txt").read_text().split()[0]
        current = read_vot_meta(ws / first).get("generator") == photo_scenes.VERSION
    except (OSError, IndexError):
        current = False
    if not current:
        photo_scenes.generate_dataset(ws, sequences, frames, seed, anchor_spacing=spacing)
    return ws


def score(results) -> dict:
    """Toolkit failure rule and EAO over all runs (sequences weighted equally, as the toolkit). Accuracy here is
    the mean overlap of all frames before each run's failure, pooled over runs (the toolkit averages per run)."""
    from vot.analysis.multistart import compute_eao_partial

    by_seq: dict[str, list] = {}
    for name, start, overlaps, _ in results:
        by_seq.setdefault(name, []).append(overlaps)
    curve, weight = np.zeros(EAO_HIGH), np.zeros(EAO_HIGH)
    failures, acc = 0, []
    per_seq = {}
    for name, runs_ in by_seq.items():
        truncated, success = [], []
        for o in runs_:
            o = list(o)
            progress, grace = len(o), GRACE
            for j, v in enumerate(o):
                grace = grace - 1 if v <= FAIL_THRESHOLD else GRACE
                if grace == 0:
                    progress = j + 1 - GRACE
                    break
            ok = progress >= len(o)
            acc += o[1:progress]
            o[progress:] = [0.0] * (len(o) - progress)
            truncated.append(o)
            success.append(ok)
        failures += success.count(False)
        phi, active = compute_eao_partial(truncated, success, EAO_HIGH)
        curve += np.array(phi) * np.array(active)
        weight += np.array(active)
        per_seq[name] = (len(runs_), success.count(False), float(np.mean([np.mean(r[1:]) for r in truncated])))
    eao_curve = np.where(weight > 0, curve / np.maximum(weight, 1e-12), 0)
    return {"eao": float(eao_curve[EAO_LOW:EAO_HIGH + 1].mean()), "accuracy": float(np.mean(acc)),
            "runs": sum(v[0] for v in per_seq.values()), "failures": failures, "per_sequence": per_seq}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True, help="results are cached under "
                        "bench/work/multistart/[photo-]LABEL-sSEED, reused while the tracker's code, weights, "
                        "generator and these arguments are unchanged")
    parser.add_argument("--family", choices=("shapes", "photo"), default="shapes",
                        help="scene generator: tracker.data.synthetic or tracker.data.photo_scenes")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sequences", type=int, default=8)
    parser.add_argument("--frames", type=int, default=760)
    parser.add_argument("--anchor-spacing", type=int, default=250)
    parser.add_argument("--tracker", default="cmi")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--blank", choices=("color", "ir"),
                        help="modality-missing run: this channel replaced by mid-grey frames in every sequence")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()

    from bench.cache import results_key
    from tracker.data import photo_scenes

    ws = workspace(args.family, args.sequences, args.frames, args.seed, args.anchor_spacing)
    if args.blank:
        from tracker.data.blank_channel import blank_channel

        blanked = ws.parent.with_name(f"{ws.parent.name}-blank-{args.blank}") / "sequences"
        listed = blanked / "list.txt"  # written last, after the sequences it lists
        if not listed.exists() or listed.stat().st_mtime < (ws / "list.txt").stat().st_mtime:
            blank_channel(ws, blanked, args.blank)
        ws = blanked
    blank = f"-blank-{args.blank}" if args.blank else ""
    out = HERE / "work" / "multistart" / f"{prefix(args.family)}{args.label}-s{args.seed}{blank}.json"
    # results_key() holds the shapes generator's version; a photo run keys on the photo generator's instead.
    key = {**results_key(), "family": args.family if args.family == "shapes" else photo_scenes.VERSION,
           "tracker": args.tracker, "overrides": args.overrides, "sequences": ws.parent.name}
    saved = json.loads(out.read_text()) if out.exists() else {}
    if isinstance(saved, dict) and saved.get("key") == key:
        results = saved["runs"]
    else:
        jobs = [(ws, args.tracker, args.overrides, r) for r in runs(ws)]
        jobs.sort(key=lambda j: -(j[3][1] if j[3][2] < 0 else args.frames - j[3][1]))  # longest first
        start = time.time()
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            results = pool.map(_track, jobs, chunksize=1)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"key": key, "runs": results}))
        print(f"{len(jobs)} runs in {time.time() - start:.0f} s", file=sys.stderr)
    s = score(results)
    ms = np.concatenate([r[3] for r in results])
    print(f"{args.label} {args.family} seed {args.seed}: EAO {s['eao']:.3f}  accuracy {s['accuracy']:.3f}  "
          f"failures {s['failures']}/{s['runs']}  median {np.median(ms):.1f} ms (1 thread)")
    for name, (n, f, m) in s["per_sequence"].items():
        print(f"  {name:40s} runs {n}  failures {f}  mean overlap {m:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
