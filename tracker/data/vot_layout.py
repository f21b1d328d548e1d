"""Writes the VOT RGBTIR sequence layout (annotations, anchors, tags, ``sequence`` and ``list.txt``).

Format only, no images: shared by the scene generators so that every family is read the same way by the
VOT toolkit and by ``tracker.data.datasets``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np


def generator_version(source: Path, libraries: str) -> str:
    """Digest (12 hex digits) of a generator's source file, of this module's (it writes the annotations) and of
    ``libraries`` (the versions of what renders and encodes the frames): besides the arguments, what decides the bytes
    a generator writes. Written into each sequence's ``sequence`` file, so any edit invalidates caches of the output."""
    digest = hashlib.sha1()
    for path in (Path(source), Path(__file__)):
        digest.update(path.read_bytes())
    digest.update(libraries.encode())
    return digest.hexdigest()[:12]


def multistart_anchors(hard: np.ndarray, spacing: int) -> np.ndarray:
    """(F,) anchor values: one every ``spacing`` frames, moved to the next frame not flagged ``hard``.

    As in VOT-RGBT2019 (VOT2020 methodology), each run goes the way that gives the longer sub-sequence:
    1 (forward to the end) in the first half, -1 (backward to the start) in the second. Frame 0 is always 1.
    """
    frames = len(hard)
    anchors = np.zeros(frames, int)
    anchors[0] = 1
    for start in range(spacing, frames - spacing // 2, spacing):
        clean = [i for i in range(start, min(start + spacing // 2, frames)) if not hard[i]]
        if clean:
            anchors[clean[0]] = 1 if clean[0] < frames / 2 else -1
    return anchors


def write_annotations(out_dir: Path, boxes: np.ndarray, anchors: np.ndarray, tags: Mapping[str, np.ndarray]) -> None:
    """groundtruth.txt (x,y,w,h, 2 decimals), anchor.value and one ``<tag>.tag`` file (0/1 per frame) per tag."""
    out_dir = Path(out_dir)
    np.savetxt(out_dir / "groundtruth.txt", boxes, fmt="%.2f", delimiter=",")
    np.savetxt(out_dir / "anchor.value", anchors, fmt="%d")
    for tag, active in tags.items():
        np.savetxt(out_dir / f"{tag}.tag", np.asarray(active).astype(int), fmt="%d")


def write_sequence_file(out_dir: Path, color_pattern: str, ir_pattern: str, fields: Mapping[str, object]) -> None:
    """The toolkit's ``sequence`` metadata: both channels, fps and format first, then ``fields`` in order."""
    lines = [f"channels.color={color_pattern}", f"channels.ir={ir_pattern}", "fps=20", "format=default"]
    lines += [f"{key}={value}" for key, value in fields.items()]
    (Path(out_dir) / "sequence").write_text("".join(line + "\n" for line in lines))


def write_list(root: Path, names: Iterable[str]) -> None:
    """list.txt: one sequence folder name per line, as the toolkit expects."""
    (Path(root) / "list.txt").write_text("".join(f"{n}\n" for n in names))
