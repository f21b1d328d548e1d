"""Run the VOT toolkit on a workspace and read back what it measured.

``python -m tracker.toolkit --workspace vot_workspace [TRACKER ...]`` runs ``vot
evaluate`` and ``vot analysis`` and prints EAO, accuracy, robustness and speed per
tracker. The toolkit exits 0 even when a tracker crashed or an analysis failed, so
its output is checked for those messages and the results are read from its files.
"""
from __future__ import annotations

import argparse
import configparser
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

import numpy as np

# Messages vot-toolkit 0.7.4 prints when a run or an analysis failed (exit code 0).
FAILURE_MARKERS = ("Evaluation interrupted", "Errors occured during analysis", "Traceback (most recent call last)")


class ToolkitError(RuntimeError):
    """The toolkit reported a failure in its output."""


@dataclass
class Row:
    tracker: str
    eao: float
    accuracy: float
    robustness: float
    median_ms: float  # per-frame time measured by the toolkit, initialization excluded
    p95_ms: float
    fps: float  # 1 / mean per-frame time
    skipped: int  # frames the realtime mode skipped because the tracker was late
    frames: int


def run_vot(args: Sequence[str], workspace: Path, timeout: Optional[float] = None) -> str:
    """Run ``vot <args> --workspace W``; return its output, raise ToolkitError if it reports a failure."""
    cmd = [sys.executable, "-m", "vot", *args[:1], "--workspace", str(workspace), *args[1:]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    failed = proc.returncode != 0 or any(marker in output for marker in FAILURE_MARKERS)
    if failed:
        raise ToolkitError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{output[-4000:]}")
    return output


def registered_trackers(workspace: Path) -> list[str]:
    """Tracker identifiers of the registry files named in the workspace's config.yaml."""
    import yaml

    config = yaml.safe_load((workspace / "config.yaml").read_text())
    names = []
    for entry in config.get("registry", []):
        parser = configparser.ConfigParser()
        parser.read(workspace / entry)
        names += parser.sections()
    return names


def analyze(workspace: Path, trackers: Sequence[str]) -> Path:
    """Run ``vot analysis`` with JSON output and return the new analysis file.

    The toolkit caches analyses by tracker and sequence names, not by result content, so
    results re-evaluated since would be reported stale: the cache is cleared first.
    """
    shutil.rmtree(workspace / "cache" / "analysis", ignore_errors=True)
    name = time.strftime("analysis-%Y%m%d-%H%M%S")
    run_vot(["analysis", "--format", "json", "--name", name, *trackers], workspace)
    path = workspace / "analysis" / f"{name}.json"
    if not path.exists():
        raise ToolkitError(f"vot analysis wrote no {path}")
    return path


def read_analysis(path: Path) -> dict[str, dict[str, float]]:
    """EAO, accuracy and robustness per tracker from a toolkit analysis JSON."""
    data = json.loads(Path(path).read_text())
    trackers = list(data["trackers"])
    scores: dict[str, dict[str, float]] = {t: {} for t in trackers}
    for experiment in data["results"].values():
        analyses = experiment["parameters"]["analyses"]
        for analysis, per_tracker in zip(analyses, experiment["results"]):
            kind = analysis["type"].rsplit(".", 1)[-1]
            for tracker, value in zip(trackers, per_tracker):
                if kind == "AverageAccuracyRobustness":
                    scores[tracker]["accuracy"] = float(value[0])
                    scores[tracker]["robustness"] = float(value[1])
                elif kind == "EAOScore":
                    scores[tracker]["eao"] = float(value[0])
    return scores


def read_eao_curves(path: Path) -> dict[str, list[float]]:
    """Expected-overlap curve (EO per sequence length) per tracker from a toolkit analysis JSON."""
    data = json.loads(Path(path).read_text())
    curves: dict[str, list[float]] = {}
    for experiment in data["results"].values():
        for analysis, per_tracker in zip(experiment["parameters"]["analyses"], experiment["results"]):
            if analysis["type"].endswith("EAOCurve"):
                for tracker, value in zip(data["trackers"], per_tracker):
                    curves[tracker] = [float(v) for v in value[0]]
    return curves


class RunBoxes(NamedTuple):
    """One multistart run as stored, in the order it played, anchor frame first."""

    frames: np.ndarray      # sequence frame indices
    boxes: np.ndarray       # (N, 4) xywh; NaN where no box was stored (the anchor frame holds the init code)
    confidence: np.ndarray  # NaN where none was stored
    time: np.ndarray        # seconds per frame; 0 marks a frame the realtime mode skipped, NaN none stored


def run_boxes(workspace: Path, tracker: str, sequence: str, experiment: str = "baseline") -> dict[int, RunBoxes]:
    """Anchor frame -> :class:`RunBoxes` of each multistart run of ``tracker`` on ``sequence``.

    A negative ``anchor.value`` marks a run played backward to the first frame, as the toolkit does.
    """
    from vot.region import Rectangle, Special
    from vot.tracker.results import Results, Trajectory
    from vot.workspace.storage import LocalStorage

    seq = workspace / "sequences" / sequence
    anchors = np.loadtxt(seq / "anchor.value", ndmin=1)
    folder = workspace / "results" / tracker / experiment / sequence
    results = Results(LocalStorage(str(folder)))
    runs = {}
    for path in folder.glob(f"{sequence}_*.*"):
        if path.suffix not in (".bin", ".txt"):
            continue
        start = int(path.stem.rsplit("_", 1)[1])
        trajectory = Trajectory.read(results, path.stem)  # the toolkit's reader: .bin or .txt, with *.value files
        step = -1 if anchors[start] < 0 else 1
        regions = trajectory.regions()
        frames = np.arange(start, start + step * len(regions), step)
        boxes = np.full((len(regions), 4), np.nan)
        for i, region in enumerate(regions):
            if isinstance(region, Rectangle):
                boxes[i] = region.x, region.y, region.width, region.height
            elif not isinstance(region, Special) and not region.is_empty():
                left, top, right, bottom = region.bounds()  # polygon or mask: its bounding box
                boxes[i] = left, top, right - left, bottom - top
        values = {key: np.full(len(regions), np.nan) for key in ("confidence", "time")}
        for i in range(len(regions)):
            for key, array in values.items():
                value = trajectory.properties(i).get(key)
                if isinstance(value, (int, float)):
                    array[i] = value
        runs[start] = RunBoxes(frames, boxes, values["confidence"], values["time"])
    return runs


def run_overlaps(workspace: Path, tracker: str, sequence: str,
                 experiment: str = "baseline") -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Anchor frame -> (frame indices, IoU per frame) of each multistart run of ``tracker`` on ``sequence``,
    read from the toolkit's result files; the anchor frame itself (the init box) is left out.
    """
    from .data.datasets import read_regions
    from .geometry import iou

    gt = read_regions(workspace / "sequences" / sequence / "groundtruth.txt")
    runs = {}
    for start, (frames, boxes, _, _) in run_boxes(workspace, tracker, sequence, experiment).items():
        # A frame without a box (a special code) scores 0, as in the toolkit.
        runs[start] = (frames[1:], iou(np.nan_to_num(boxes[1:]), gt[frames[1:]]) if len(frames) > 1 else np.zeros(0))
    return runs


def attribute_overlaps(workspace: Path, tracker: str, experiment: str = "baseline") -> dict[str, float]:
    """Mean IoU per frame tag (night, occlusion, ...) over every multistart run; key 'all' for every frame.

    Read from the toolkit's result files and the sequences' ``<tag>.tag`` files; a frame counts in each
    run that covers it, as in the toolkit's accuracy.
    """
    from .data.datasets import read_sequence, sequence_names

    sums: dict[str, list[np.ndarray]] = {}
    sequences = workspace / "sequences"
    for name in sequence_names(sequences):
        tags = read_sequence("vot", sequences / name).tags
        for frames, overlaps in run_overlaps(workspace, tracker, name, experiment).values():
            sums.setdefault("all", []).append(overlaps)
            for tag, active in tags.items():
                sums.setdefault(tag, []).append(overlaps[active[frames]])
    return {tag: float(np.mean(np.concatenate(v))) for tag, v in sums.items() if sum(map(len, v))}


def read_timing(workspace: Path, tracker: str, experiment: str = "baseline") -> dict[str, float]:
    """Per-frame times the toolkit stored (``*_time.value``); 0 marks a frame the realtime mode skipped."""
    times, skipped = [], 0
    for path in sorted((workspace / "results" / tracker / experiment).glob("*/*_time.value")):
        values = np.loadtxt(path, ndmin=1)[1:]  # first entry is the initialization
        skipped += int(np.sum(values == 0))
        times.append(values[values > 0])
    if not times:
        raise ToolkitError(f"no results for {tracker} in {workspace / 'results'}")
    t = np.concatenate(times)
    return {
        "median_ms": float(np.median(t) * 1000),
        "p95_ms": float(np.percentile(t, 95) * 1000),
        "fps": float(1.0 / np.mean(t)),
        "skipped": skipped,
        "frames": int(t.size) + skipped,
    }


def summarize(workspace: Path, trackers: Sequence[str], analysis: Path) -> list[Row]:
    scores = read_analysis(analysis)
    rows = []
    for tracker in trackers:
        s = scores.get(tracker)
        if not s or not {"eao", "accuracy", "robustness"} <= s.keys():
            raise ToolkitError(f"analysis {analysis} has no EAO/A/R for {tracker}")
        rows.append(Row(tracker, s["eao"], s["accuracy"], s["robustness"], **read_timing(workspace, tracker)))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    lines = [
        "| tracker | EAO | accuracy | robustness | median ms/frame | p95 ms | fps | skipped frames |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.tracker} | {r.eao:.3f} | {r.accuracy:.3f} | {r.robustness:.3f} | "
            f"{r.median_ms:.1f} | {r.p95_ms:.1f} | {r.fps:.1f} | {r.skipped}/{r.frames} |"
        )
    return "\n".join(lines)


def late_warnings(rows: Sequence[Row], share: float = 0.01) -> list[str]:
    """A warning per tracker whose frames the realtime mode skipped more than ``share`` of the time.

    A skipped frame keeps the last box, so on a busy machine a tracker loses EAO for being late, not for
    tracking badly (measured: CMI skipped 90 % of its frames with the CPU shared by other jobs).
    """
    return [f"warning: the realtime mode skipped {r.skipped}/{r.frames} frames of {r.tracker} "
            f"(median {r.median_ms:.0f} ms/frame; the stack runs at 20 fps): its scores measure a busy machine; "
            "re-run it when the CPU is free" for r in rows if r.frames and r.skipped > share * r.frames]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tracker.toolkit", description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=Path("vot_workspace"))
    parser.add_argument("--no-evaluate", action="store_true", help="only analyse existing results")
    parser.add_argument("trackers", nargs="*", help="tracker identifiers (default: all registered)")
    args = parser.parse_args(argv)
    workspace = args.workspace.resolve()
    trackers = args.trackers or registered_trackers(workspace)
    try:
        for tracker in trackers:
            if not args.no_evaluate:
                start = time.time()
                print(f"vot evaluate {tracker} ...", flush=True)
                run_vot(["evaluate", tracker], workspace)
                print(f"  done in {time.time() - start:.0f} s", flush=True)
        analysis = analyze(workspace, trackers)
        print(f"analysis: {analysis}\n")
        rows = summarize(workspace, trackers, analysis)
        print(format_table(rows))
        for line in late_warnings(rows):
            print(line)
    except ToolkitError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
