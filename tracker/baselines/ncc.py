"""NCC-RGBT: normalized cross-correlation on both modalities, fused by peak confidence.

The weakest honest peer in the tables: no learning, a slowly updated template per
modality, a search window around the last box and three scales.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..api import Images
from ..geometry import clip_box, sanitize_init_box


@dataclass
class NCCConfig:
    search_scale: float = 2.5  # search window side / target side
    template_size: int = 32  # longer template side after rescaling (speed)
    scales: tuple = (0.96, 1.0, 1.04)
    update_rate: float = 0.05  # template running average when confident
    update_threshold: float = 0.5


def _channels(images: Images) -> dict[str, np.ndarray]:
    """Float32 gray planes of the channels present; a missing one is skipped."""
    planes = {}
    if images.get("color") is not None:
        planes["color"] = cv2.cvtColor(images["color"], cv2.COLOR_RGB2GRAY).astype(np.float32)
    if images.get("ir") is not None:
        planes["ir"] = images["ir"].astype(np.float32)
    return planes


class NCCTracker:
    name = "NCC-RGBT"

    def __init__(self, cfg: NCCConfig | None = None) -> None:
        self.cfg = cfg or NCCConfig()
        self.templates: dict[str, np.ndarray] = {}
        self.box = np.zeros(4)
        self.size = (0, 0)
        self.tshape = (0, 0)  # template (w, h), set per sequence

    def _crop(self, plane: np.ndarray, box: np.ndarray, scale: float, out: tuple[int, int]) -> np.ndarray:
        """Crop ``box`` enlarged by ``scale`` around its centre, resampled to ``out`` (w, h)."""
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        w, h = box[2] * scale, box[3] * scale
        sx, sy = out[0] / w, out[1] / h
        affine = np.array([[sx, 0, out[0] / 2 - cx * sx], [0, sy, out[1] / 2 - cy * sy]], dtype=np.float32)
        return cv2.warpAffine(plane, affine, out, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def _template_shape(self, box: np.ndarray) -> tuple[int, int]:
        k = self.cfg.template_size / max(box[2], box[3])
        return max(4, int(round(box[2] * k))), max(4, int(round(box[3] * k)))

    def initialize(self, images: Images, box) -> None:
        planes = _channels(images)
        if not planes:
            raise ValueError("no readable channel in the initialization frame")
        ref = next(iter(planes.values()))
        self.size = (ref.shape[1], ref.shape[0])
        self.box = sanitize_init_box(box, *self.size)
        self.tshape = self._template_shape(self.box)
        self.templates = {c: self._crop(p, self.box, 1.0, self.tshape) for c, p in planes.items()}

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        planes = _channels(images)
        tw, th = self.tshape
        best = (-np.inf, self.box)
        for s in self.cfg.scales:
            cand = self.box.copy()
            cand[2:] *= s
            cand[:2] -= (cand[2:] - self.box[2:]) / 2
            out = (int(tw * self.cfg.search_scale), int(th * self.cfg.search_scale))
            fused, weight = None, 0.0
            for c, plane in planes.items():
                if c not in self.templates:
                    continue
                window = self._crop(plane, cand, self.cfg.search_scale, out)
                resp = cv2.matchTemplate(window, self.templates[c], cv2.TM_CCOEFF_NORMED)
                resp = np.nan_to_num(resp)
                # Weight each modality by how much its peak stands out: a flat map
                # (dark night RGB, thermal crossover) contributes little.
                w = max(float(resp.max() - resp.mean()), 1e-3)
                fused = resp * w if fused is None else fused + resp * w
                weight += w
            if fused is None:
                return self.box.copy(), 0.0
            fused /= weight
            score = float(fused.max())
            if score > best[0]:
                y, x = np.unravel_index(int(np.argmax(fused)), fused.shape)
                # Offset of the template's top-left in the window, back to image pixels.
                dx = (x - (out[0] - tw) / 2) * cand[2] / tw
                dy = (y - (out[1] - th) / 2) * cand[3] / th
                new = cand.copy()
                new[0] += dx
                new[1] += dy
                best = (score, new)
        score, box = best
        self.box = clip_box(box, *self.size, min_size=4.0)
        if score > self.cfg.update_threshold:
            r = self.cfg.update_rate
            for c, plane in planes.items():
                if c in self.templates:
                    self.templates[c] = (1 - r) * self.templates[c] + r * self._crop(plane, self.box, 1.0, self.tshape)
        return self.box.copy(), score
