"""`make bench`: timings, then every tracker through the VOT toolkit on a generated benchmark workspace.

Writes bench/results.md (EAO/A/R/speed per tracker, per-attribute mean IoU, modality-missing EAO
drops, timings, soak run), the toolkit's HTML report and EAO-curve / AR plots under bench/.
Resumable: the toolkit skips tracker/sequence pairs whose results exist, so an interrupted
bench continues where it stopped. Every cache under bench/work is keyed by what made it (bench/cache.py):
after a change of the generator, the tracker's code, trackers.ini or a weights file, it is measured again.

Run: .venv/bin/python -m bench.run [--sequences 8 --frames 760 --anchor-spacing 250] [TRACKER ...]

Sequences are longer than the stack's EAO range (115-755 frames): on shorter ones a run that never
fails stops counting where its sequence ends while failed runs keep counting (as zeros after the
failure), which ranks trackers that fail above trackers that do not (measured: README, pitfalls).
Anchors every 250 frames rather than VOT's 50 keep the runs (about 1800 frames per sequence) affordable.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.cache import digest, refresh, results_key
from tracker.data.blank_channel import blank_channel
from tracker.data.synthetic import generate_dataset
from tracker.plots import plot_ar, plot_eao_curves
from tracker.toolkit import (analyze, attribute_overlaps, format_table, read_analysis, read_eao_curves,
                             registered_trackers, run_vot, summarize)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Trackers re-run with a blank channel: the fused tracker, its concat ablation and the fused baseline
# (the single-modality peers need no such run: they lose everything or nothing).
MISSING_TRACKERS = ("CMI", "CMI-concat", "NCC-RGBT")
# What the toolkit writes into a workspace; cleared when the workspace's key changes (the sequences have their own).
RESULT_ENTRIES = ("results", "analysis", "cache", "reports")


def evaluate(ws: Path, trackers, label: str) -> Path:
    for tracker in trackers:
        start = time.time()
        run_vot(["evaluate", tracker], ws)
        print(f"[{label}] evaluated {tracker} in {time.time() - start:.0f} s", flush=True)
    return analyze(ws, trackers)


def workspace(path: Path, make_sequences, key: dict) -> Path:
    """A toolkit workspace whose results belong to ``key``; ``make_sequences`` writes (or reuses) its sequences."""
    make_sequences(path / "sequences")
    had_results = (path / "results").exists()
    stale = refresh(path, key, RESULT_ENTRIES)
    if stale and had_results:
        print(f"[{path.name}] {', '.join(stale)} changed: earlier results removed", flush=True)
    (path / "config.yaml").write_text(f"registry:\n- {REPO / 'trackers.ini'}\nstack: vot2019/rgbtir\n")
    return path


def commit() -> str:
    """Short hash of the checked-out commit, marked when the working tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def attribute_table(ws: Path, trackers) -> str:
    per = {t: attribute_overlaps(ws, t) for t in trackers}
    tags = ["all"] + sorted({tag for v in per.values() for tag in v} - {"all"})
    lines = ["| tracker | " + " | ".join(tags) + " |", "|---" * (len(tags) + 1) + "|"]
    for t in trackers:
        lines.append(f"| {t} | " + " | ".join(f"{per[t].get(tag, float('nan')):.3f}" for tag in tags) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequences", type=int, default=8)  # one of each scenario mix: every kind covered
    parser.add_argument("--frames", type=int, default=760)
    parser.add_argument("--anchor-spacing", type=int, default=250)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-timing", action="store_true", help="no model/tracker timing or soak run")
    parser.add_argument("--skip-missing", action="store_true", help="no modality-missing experiment")
    parser.add_argument("trackers", nargs="*")
    args = parser.parse_args()

    key = results_key(REPO)
    revision = commit()  # at the start: what the numbers were measured with
    sections = []
    if not args.skip_timing:
        # Kept under bench/work/timings so a resumed bench does not measure again, while the key holds.
        refresh(HERE / "work" / "timings", {**key, "scripts": digest(HERE.glob("*.py"), REPO)})
        for script in ("bench_model.py", "bench_tracker.py", "speed.py", "soak.py"):
            saved = HERE / "work" / "timings" / f"{Path(script).stem}.txt"
            if not saved.exists():
                out = subprocess.run([sys.executable, "-m", f"bench.{Path(script).stem}"], cwd=REPO,
                                     capture_output=True, text=True, check=True)
                saved.parent.mkdir(parents=True, exist_ok=True)
                saved.write_text(out.stdout)
            print(saved.read_text(), flush=True)
            sections.append(f"### {script}\n\n```\n{saved.read_text().strip()}\n```\n")

    name = f"ws-{args.sequences}x{args.frames}-a{args.anchor_spacing}-s{args.seed}"
    ws = workspace(HERE / "work" / name,
                   lambda seqs: generate_dataset(seqs, args.sequences, args.frames, args.seed,
                                                 anchor_spacing=args.anchor_spacing, reuse=True), key)
    trackers = args.trackers or registered_trackers(ws)
    analysis = evaluate(ws, trackers, "benchmark")
    rows = summarize(ws, trackers, analysis)
    table = format_table(rows)
    print(table)
    eao = {r.tracker: r.eao for r in rows}
    plot_eao_curves(read_eao_curves(analysis), eao, HERE / "eao_curves.png")
    plot_ar({r.tracker: (r.accuracy, r.robustness) for r in rows}, HERE / "ar.png")
    run_vot(["report", "--format", "html", "--name", "report", *trackers], ws)
    shutil.rmtree(HERE / "report", ignore_errors=True)
    shutil.copytree(ws / "reports" / "report", HERE / "report")

    missing = ""
    if not args.skip_missing:
        rows_missing = []
        chosen = [t for t in MISSING_TRACKERS if t in trackers]
        for channel in ("ir", "color"):
            derived = workspace(HERE / "work" / f"{name}-blank-{channel}",
                                lambda seqs: blank_channel(ws / "sequences", seqs, channel), key)
            scores = read_analysis(evaluate(derived, chosen, f"blank {channel}"))
            rows_missing.append((channel, {t: scores[t]["eao"] for t in chosen}))
        lines = ["| tracker | EAO both | EAO blank thermal | drop | EAO blank RGB | drop |", "|---|---|---|---|---|---|"]
        for t in chosen:
            (_, ir), (_, color) = rows_missing
            lines.append(f"| {t} | {eao[t]:.3f} | {ir[t]:.3f} | {eao[t] - ir[t]:+.3f} | {color[t]:.3f} | "
                         f"{eao[t] - color[t]:+.3f} |")
        missing = ("\n## Modality missing\n\nSame workspace with one channel replaced by blank mid-gray frames "
                   "(`tracker.data.blank_channel`); drop = EAO with both minus EAO with one blank.\n\n"
                   + "\n".join(lines) + "\n")
        print(missing)

    frames = args.sequences * args.frames
    command = " ".join(["python -m bench.run", *sys.argv[1:]])
    timings = "\n## Timings\n\n" + "\n".join(sections) if sections else ""
    (HERE / "results.md").write_text(
        f"# Benchmark results\n\nEvery section below is from one run of `{command}`, finished on "
        f"{time.strftime('%Y-%m-%d')}, measuring commit {revision}: "
        f"{args.sequences} generated sequences x {args.frames} frames ({frames} frames, seed {args.seed}, "
        f"an anchor every {args.anchor_spacing} frames), "
        f"stack vot2019/rgbtir (multistart, realtime 20 fps), vot-toolkit 0.7.4, 2 CPU threads.\n\n"
        f"{table}\n\nPlots: `bench/eao_curves.png`, `bench/ar.png`; toolkit report: `bench/report/` "
        f"(not kept in git).\n\n"
        f"## Per attribute\n\nMean IoU over the frames carrying each tag, all multistart runs "
        f"(`tracker.toolkit.attribute_overlaps`).\n\n{attribute_table(ws, trackers)}\n"
        f"{missing}{timings}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
