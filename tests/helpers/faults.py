"""Faulty VOT RGBTIR sequences: the bad input real evaluations meet, one fault per sequence.

Each fault starts from a small generated sequence and breaks one thing (a file, a format,
a size, the initialization region, ...), so a test can run it through ``vot evaluate`` and
check that the tracker answers every frame and says what was wrong.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Optional, Sequence

import cv2
import numpy as np

from tracker.data.datasets import read_regions
from tracker.data.synthetic import generate_sequence

SIZE = (320, 240)
FRAMES = 30
BAD_FRAME = 10  # the frame (0-based) a file fault hits


def _frame(seq: Path, channel: str, index: int, ext: str = "jpg") -> Path:
    return seq / channel / f"{index + 1:08d}.{ext}"


def _gt(seq: Path) -> np.ndarray:
    return read_regions(seq / "groundtruth.txt")


def _write_gt(seq: Path, rows: Sequence[Sequence[float]]) -> None:
    (seq / "groundtruth.txt").write_text("".join(",".join(f"{v:.2f}" for v in row) + "\n" for row in rows))


def _set_sequence_key(seq: Path, key: str, value: str) -> None:
    lines = [l for l in (seq / "sequence").read_text().splitlines() if not l.startswith(f"{key}=")]
    (seq / "sequence").write_text("\n".join(lines + [f"{key}={value}"]) + "\n")


def _rewrite_frames(seq: Path, channel: str, fn: Callable[[np.ndarray], np.ndarray], ext: str = "jpg") -> None:
    """Re-encode every frame of ``channel`` through ``fn``; a new extension updates the sequence file."""
    for path in sorted((seq / channel).glob("*.jpg")):
        image = fn(cv2.imread(str(path), cv2.IMREAD_UNCHANGED))
        path.unlink()
        cv2.imwrite(str(path.with_suffix(f".{ext}")), image)
    if ext != "jpg":
        _set_sequence_key(seq, f"channels.{channel}", f"{channel}/%08d.{ext}")


def _resize_sequence(seq: Path, factor: float) -> None:
    """Scale both channels and the ground truth by ``factor``."""
    for channel in ("color", "ir"):
        _rewrite_frames(seq, channel, lambda im: cv2.resize(im, None, fx=factor, fy=factor,
                                                            interpolation=cv2.INTER_LINEAR))
    _write_gt(seq, _gt(seq) * factor)
    w, h = (round(v * factor) for v in SIZE)
    _set_sequence_key(seq, "width", str(w))
    _set_sequence_key(seq, "height", str(h))


def corrupt_jpeg(seq: Path) -> None:
    """A JPEG whose body is garbage after a valid-looking header."""
    path = _frame(seq, "color", BAD_FRAME)
    data = path.read_bytes()
    path.write_bytes(data[:20] + np.random.default_rng(0).bytes(len(data) - 20))


def missing_frame(seq: Path) -> None:
    _frame(seq, "ir", BAD_FRAME).unlink()


def zero_byte(seq: Path) -> None:
    _frame(seq, "color", BAD_FRAME).write_bytes(b"")


def size_mismatch(seq: Path) -> None:
    """Color at 1.5x the thermal resolution (ground truth follows thermal)."""
    _rewrite_frames(seq, "color", lambda im: cv2.resize(im, None, fx=1.5, fy=1.5))


def thermal_3channel(seq: Path) -> None:
    _rewrite_frames(seq, "ir", lambda im: cv2.cvtColor(im, cv2.COLOR_GRAY2BGR))


def thermal_16bit(seq: Path) -> None:
    """Radiometric-style 16-bit PNG thermal (values around 30000, not 0-255)."""
    _rewrite_frames(seq, "ir", lambda im: (im.astype(np.uint16) * 40 + 20000), ext="png")


def frame_4k(seq: Path) -> None:
    _resize_sequence(seq, 3840 / SIZE[0])


def frame_1x1(seq: Path) -> None:
    """1x1-pixel frames: nothing to track, but the protocol must still hold."""
    for channel in ("color", "ir"):
        _rewrite_frames(seq, channel, lambda im: cv2.resize(im, (1, 1), interpolation=cv2.INTER_AREA))
    _write_gt(seq, [[0, 0, 1, 1]] * FRAMES)
    _set_sequence_key(seq, "width", "1")
    _set_sequence_key(seq, "height", "1")


def _first_box(seq: Path, fn: Callable[[np.ndarray], Sequence[float]]) -> None:
    gt = _gt(seq)
    rows = [list(fn(gt[0]))] + gt[1:].tolist()
    _write_gt(seq, rows)


def init_zero_size(seq: Path) -> None:
    _first_box(seq, lambda b: (b[0] + b[2] / 2, b[1] + b[3] / 2, 0, 0))


def init_nan(seq: Path) -> None:
    _first_box(seq, lambda b: (float("nan"),) * 4)


def init_negative(seq: Path) -> None:
    """Corners given the wrong way round: (x2, y2, -w, -h)."""
    _first_box(seq, lambda b: (b[0] + b[2], b[1] + b[3], -b[2], -b[3]))


def init_outside(seq: Path) -> None:
    _first_box(seq, lambda b: (SIZE[0] + 50, b[1], b[2], b[3]))


def _polygons(seq: Path, points: int) -> None:
    """Ground truth as ``points``-gon polygons inscribed in each box (rotated for 4 points)."""
    rows = []
    for x, y, w, h in _gt(seq):
        angle = np.linspace(0, 2 * np.pi, points, endpoint=False) + (np.pi / 4 if points == 4 else 0)
        px = x + w / 2 + w / 2 * np.cos(angle) * (np.sqrt(2) if points == 4 else 1)
        py = y + h / 2 + h / 2 * np.sin(angle) * (np.sqrt(2) if points == 4 else 1)
        px, py = np.clip(px, 0, SIZE[0] - 1), np.clip(py, 0, SIZE[1] - 1)
        rows.append(np.stack([px, py], 1).ravel())
    _write_gt(seq, rows)


def polygon_4(seq: Path) -> None:
    _polygons(seq, 4)


def polygon_many(seq: Path) -> None:
    _polygons(seq, 12)


# name -> (mutation, frames, generator kinds)
FAULTS: dict[str, tuple[Optional[Callable[[Path], None]], int, tuple[str, ...]]] = {
    "corrupt_jpeg": (corrupt_jpeg, FRAMES, ("textured",)),
    "missing_frame": (missing_frame, FRAMES, ("textured",)),
    "zero_byte": (zero_byte, FRAMES, ("textured",)),
    "size_mismatch": (size_mismatch, FRAMES, ("textured",)),
    "thermal_3channel": (thermal_3channel, FRAMES, ("textured",)),
    "thermal_16bit": (thermal_16bit, FRAMES, ("textured",)),
    "frame_4k": (frame_4k, 8, ("textured",)),
    "frame_1x1": (frame_1x1, FRAMES, ("textured",)),
    "init_zero_size": (init_zero_size, FRAMES, ("textured",)),
    "init_nan": (init_nan, FRAMES, ("textured",)),
    "init_negative": (init_negative, FRAMES, ("textured",)),
    "init_outside": (init_outside, FRAMES, ("textured",)),
    "polygon_4": (polygon_4, FRAMES, ("textured",)),
    "polygon_many": (polygon_many, FRAMES, ("textured",)),
    # ~35 frames with the target fully outside the image, then back (VOT-RGBT's anchors skip the gap).
    "out_of_view": (None, 200, ("textured", "out_of_view")),
}


def make_fault(out_dir: Path, fault: str, seed: int = 0) -> Path:
    """Write the sequence for ``fault`` to ``out_dir`` (a VOT RGBTIR sequence folder)."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
    mutate, frames, kinds = FAULTS[fault]
    if out_dir.exists():
        shutil.rmtree(out_dir)
    generate_sequence(out_dir, frames, seed, kinds, SIZE)
    if mutate is not None:
        mutate(out_dir)
    return out_dir


def make_faults(root: Path, faults: Sequence[str] = tuple(FAULTS), seed: int = 0) -> list[str]:
    for fault in faults:
        make_fault(root / fault, fault, seed)
    (root / "list.txt").write_text("".join(f"{f}\n" for f in faults))
    return list(faults)

