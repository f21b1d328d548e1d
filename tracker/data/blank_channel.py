"""A copy of a VOT RGBTIR dataset with one channel replaced by blank frames (modality-missing experiment).

Everything but the blanked channel is linked, not copied; the blank channel is one mid-gray image
linked once per frame, so a derived dataset costs almost no disk.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np

from .datasets import read_vot_meta, sequence_names

BLANK_VALUE = 127  # mid-gray: no edges, no hot spots, the neutral input of the backbone


def blank_channel(src: Path, dst: Path, channel: str) -> Path:
    """Write ``dst`` (sequences folder) from ``src`` with ``channel`` ('color' or 'ir') blank in every frame."""
    if channel not in ("color", "ir"):
        raise ValueError(f"channel {channel!r}: expected 'color' or 'ir'")
    src, dst = Path(src).resolve(), Path(dst)
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    names = sequence_names(src)
    for name in names:
        seq, out = src / name, dst / name
        out.mkdir()
        for entry in seq.iterdir():
            if entry.name != channel:
                os.symlink(entry, out / entry.name)
        meta = read_vot_meta(seq)
        pattern = meta[f"channels.{channel}"]
        length, width, height = int(meta["length"]), int(meta["width"]), int(meta["height"])
        shape = (height, width, 3) if channel == "color" else (height, width)
        blank = out / f"{channel}-blank{Path(pattern).suffix}"
        cv2.imwrite(str(blank), np.full(shape, BLANK_VALUE, np.uint8))
        (out / channel).mkdir()
        for i in range(1, length + 1):
            os.link(blank, out / (pattern % i))
    (dst / "list.txt").write_text("".join(f"{n}\n" for n in names))
    return dst
