"""Speed bench: CMI and CSRT-RGB as TraX processes through the VOT toolkit's runtime at 320x240, 640x480, 1920x1080.

Per size: one generated sequence (rendered at 640x480, resampled to the size, written as JPEG like the real
datasets), the tracker started through vot-toolkit 0.7.4's TraX runtime (as ``vot evaluate`` starts it) and
played under the stack's realtime rule (20 fps, 3 grace frames: a late answer makes the toolkit skip the
next frames, replicated from ``vot.tracker.RealtimeTrackerRuntime``). Reports median / p95 / max per-frame
time as the toolkit measures it, the tracker process's own load vs track split (its ``timing:`` log line),
init time (median of 3 initializations), the process's peak RSS and the skipped frames, with the machine (CPU model
and its vector flags, GPU) and the environment variables that cap the CPU's instruction set.
Writes bench/speed.md and prints its table (``make bench`` runs it with the other timings, bench/run.py).

Run: .venv/bin/python -m bench.speed [--frames 300] [--sizes 320x240 640x480 1920x1080] [--trackers CMI CSRT-RGB]
[key=value ...] (overrides for CMI). An AVX2-only CPU, as a stand-in on an AVX-512 one:
``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ... fc_bf16=off``.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from tracker.data.datasets import read_anchors, read_sequence, read_vot_meta
from tracker.data.synthetic import JPEG_QUALITY, generate_sequence
from tracker.data.vot_layout import write_annotations, write_sequence_file

BASE_SIZE = (640, 480)
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FPS, GRACE = 20.0, 3  # vot2019/rgbtir realtime settings
CHANNEL_KEYS = ("channels.color", "channels.ir", "fps", "format")  # written by write_sequence_file itself
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "CUDA_VISIBLE_DEVICES")
VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile")
TRACKER_ARGS = {"CMI": [], "CSRT-RGB": ["--tracker", "csrt-rgb"], "NCC-RGBT": ["--tracker", "ncc"]}


def scaled_sequence(out_dir: Path, frames: int, size: tuple[int, int], seed: int, kinds) -> Path:
    """A generated sequence (rendered at 640x480) resampled to ``size`` and re-encoded as JPEG, boxes scaled.

    The generator draws targets of 28-70 px whatever the frame size; resampling keeps the target's share
    of the frame, as a higher-resolution sensor seeing the same scene would. Reused if already written.
    """
    out_dir = Path(out_dir)
    if (out_dir / "groundtruth.txt").exists():
        return out_dir
    if tuple(size) == BASE_SIZE:
        return generate_sequence(out_dir, frames, seed, kinds, size=BASE_SIZE)
    base_dir = generate_sequence(out_dir.with_name(out_dir.name + "-base"), frames, seed, kinds, size=BASE_SIZE)
    base = read_sequence("vot", base_dir)
    fx, fy = size[0] / BASE_SIZE[0], size[1] / BASE_SIZE[1]
    interp = cv2.INTER_AREA if fx < 1 else cv2.INTER_LINEAR
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    for channel, paths in (("color", base.color), ("ir", base.ir)):
        (out_dir / channel).mkdir(parents=True, exist_ok=True)
        for path in paths:
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            cv2.imwrite(str(out_dir / channel / path.name), cv2.resize(image, size, interpolation=interp), params)
    write_annotations(out_dir, base.boxes * [fx, fy, fx, fy], read_anchors(base_dir), base.tags)
    meta = read_vot_meta(base_dir)
    fields = {k: v for k, v in meta.items() if k not in CHANNEL_KEYS}
    fields.update(name=out_dir.name, width=size[0], height=size[1])
    write_sequence_file(out_dir, meta["channels.color"], meta["channels.ir"], fields)
    shutil.rmtree(base_dir)
    return out_dir


def peak_rss_mb() -> float:
    """Largest peak resident memory (VmHWM) among this process's children: the tracker process."""
    peak = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            if int(re.search(r"PPid:\s+(\d+)", text).group(1)) == os.getpid():
                peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024)
        except (OSError, AttributeError, ValueError):
            continue
    return peak


def machine() -> str:
    """CPU model, its vector flags, cores, GPU (if torch sees one) and the variables that cap the instruction set."""
    import torch

    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", info)
    found = re.search(r"flags\s*:\s*(.+)", info)
    flags = set(found.group(1).split()) if found else set()
    text = (f"{model.group(1).strip() if model else 'unknown CPU'}, {os.cpu_count()} cores, flags "
            f"{' '.join(f for f in VECTOR_FLAGS if f in flags) or 'none of ' + '/'.join(VECTOR_FLAGS)}")
    if torch.cuda.is_available():
        text += f"; GPU {torch.cuda.get_device_name(0)}"
    capped = [f"{k}={os.environ[k]}" for k in ISA_VARIABLES if k in os.environ]
    return text + (f"; {' '.join(capped)}" if capped else "") + f"; torch {torch.__version__}"


def run_size(tracker: str, size: tuple[int, int], frames: int, overrides: list[str], work: Path) -> dict:
    from vot.dataset import load_sequence
    from vot.tracker import ObjectStatus, Registry

    seq_dir = scaled_sequence(work / f"seq-{size[0]}x{size[1]}-{frames}", frames, size, seed=5,
                              kinds=("night", "occlusion", "camera_motion"))
    log_file = work / f"{tracker}-{size[0]}x{size[1]}.log"
    log_file.unlink(missing_ok=True)
    args = ", ".join(repr(a) for a in [*TRACKER_ARGS[tracker], f"log_file={log_file}",
                                       *(overrides if tracker == "CMI" else [])])
    registry = work / "trackers.ini"
    registry.write_text(f"[speed]\nlabel = speed\nprotocol = traxpython\n"
                        f"command = import tracker.vot as t; sys.exit(t.main({args}))\npaths = {REPO}\n")
    sequence = load_sequence(str(seq_dir))
    runtime = Registry([str(registry)], root=str(REPO))["speed"].runtime(log=False)
    interval = 1.0 / FPS
    times, skipped, inits = [], 0, []
    try:
        frame = sequence.frame(0)
        _, init = runtime.initialize(frame, [ObjectStatus(frame.groundtruth(), {})])
        inits.append(init)
        countdown, late = GRACE, 0.0
        for k in range(1, len(sequence)):
            if late > interval:  # the toolkit gives this frame to nobody: skipped
                late -= interval
                skipped += 1
                continue
            late = 0.0
            _, elapsed = runtime.update(sequence.frame(k))
            times.append(elapsed)
            if elapsed > interval:
                if countdown > 0:
                    countdown -= 1
                else:
                    late = elapsed - interval
        for k in (len(sequence) // 3, 2 * len(sequence) // 3):  # re-initializations, as multistart anchors
            frame = sequence.frame(k)
            _, init = runtime.initialize(frame, [ObjectStatus(frame.groundtruth(), {})])
            inits.append(init)
        rss = peak_rss_mb()
    finally:
        runtime.stop()
    time.sleep(0.5)
    log_text = log_file.read_text() if log_file.exists() else ""
    split = re.search(r"timing: (\d+) frames, load median ([\d.]+) ms, track median ([\d.]+) ms", log_text)
    device = re.search(r"running on (.+)", log_text)
    ms = np.array(times) * 1000
    return {"tracker": tracker, "size": f"{size[0]}x{size[1]}", "frames": len(times), "median": np.median(ms),
            "p95": np.percentile(ms, 95), "max": ms.max(), "load": float(split.group(2)) if split else float("nan"),
            "track": float(split.group(3)) if split else float("nan"), "init": np.median(inits) * 1000,
            "rss": rss, "skipped": skipped, "device": device.group(1).strip() if device else None}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--sizes", nargs="+", default=["320x240", "640x480", "1920x1080"])
    parser.add_argument("--trackers", nargs="+", default=["CMI", "CSRT-RGB"], choices=sorted(TRACKER_ARGS))
    parser.add_argument("--out", type=Path, default=HERE / "speed.md")
    parser.add_argument("overrides", nargs="*", help="CMI config overrides, e.g. fc_bf16=off")
    args = parser.parse_args()
    work = HERE / "work" / "speed"
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for text in args.sizes:
        size = tuple(int(v) for v in text.lower().split("x"))
        for tracker in args.trackers:
            rows.append(run_size(tracker, size, args.frames, args.overrides, work))
            r = rows[-1]
            print(f"{tracker} {text}: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms, {r['skipped']} skipped",
                  file=sys.stderr, flush=True)
    lines = ["| tracker | frame size | frames timed | median ms | p95 ms | max ms | load median ms | track median ms | "
             "init ms | peak RSS MB | skipped |", "|---" * 11 + "|"]
    for r in rows:
        lines.append(f"| {r['tracker']} | {r['size']} | {r['frames']} | {r['median']:.1f} | {r['p95']:.1f} | "
                     f"{r['max']:.0f} | {r['load']:.1f} | {r['track']:.1f} | {r['init']:.0f} | {r['rss']:.0f} | "
                     f"{r['skipped']} |")
    table = "\n".join(lines)
    print(table)
    devices = sorted({r["device"] for r in rows if r["device"]})
    args.out.write_text(
        f"# Speed through TraX\n\nGenerated by `python -m bench.speed {' '.join(sys.argv[1:])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}: each tracker through vot-toolkit 0.7.4's TraX runtime, {args.frames}-frame "
        f"generated sequence per size (JPEG), realtime rule {FPS:.0f} fps / {GRACE} grace frames. Machine: {machine()}. "
        f"CMI {'; '.join(devices) or 'device not logged'}. Per-frame times as the toolkit measures them; load/track "
        f"split from the tracker process's own log.\n\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
