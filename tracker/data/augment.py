"""Sensor effects for domain randomization in offline training (applied to the training crops).

Generated training frames are clean in ways real footage is not. Each effect below imitates one thing
real RGB-T cameras do, drawn independently per crop with probability ``p`` (``train.augment``):
optical blur, JPEG compression, gain / offset / gamma drift, sensor noise, vignetting, colour casts and
grey-only colour cameras; for thermal also low native resolution and white-hot / black-hot polarity.
Colour/thermal misregistration is drawn by the caller as a shifted colour crop (:func:`misregister`).
"""
from __future__ import annotations

import cv2
import numpy as np


def _blur(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    sigma = rng.uniform(0.5, 2.0)
    return cv2.GaussianBlur(img, (0, 0), sigma)


def _jpeg(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 80))])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED).reshape(img.shape) if ok else img


def _photometric(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Gain, offset and gamma drift (exposure, thermal AGC)."""
    x = img.astype(np.float32) / 255.0
    x = np.clip(x * rng.uniform(0.6, 1.4) + rng.uniform(-0.15, 0.15), 0, 1) ** rng.uniform(0.7, 1.5)
    return (x * 255).astype(np.uint8)


def _noise(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    return np.clip(img + rng.normal(0, rng.uniform(2, 12), img.shape), 0, 255).astype(np.uint8)


def _vignette(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - rng.uniform(0.3, 0.7) * w) / w) ** 2 + ((yy - rng.uniform(0.3, 0.7) * h) / h) ** 2
    gain = 1 - rng.uniform(0.2, 0.6) * np.clip(r2 / 0.5, 0, 1)
    return (img * (gain[..., None] if img.ndim == 3 else gain)).astype(np.uint8)


def _colour(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """A colour cast, or a grey-only camera (several RGB-T datasets pair thermal with monochrome video)."""
    if rng.random() < 0.3:
        grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.clip(img * rng.uniform(0.75, 1.25, 3), 0, 255).astype(np.uint8)


def _low_res(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Thermal sensors are often 160x120-384x288, upsampled to the colour frame's size."""
    h, w = img.shape[:2]
    f = rng.uniform(0.25, 0.6)
    small = cv2.resize(img, (max(8, int(w * f)), max(8, int(h * f))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _polarity(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Black-hot instead of white-hot palette."""
    return 255 - img


COLOUR_EFFECTS = (_colour, _photometric, _blur, _vignette, _noise, _jpeg)
THERMAL_EFFECTS = (_low_res, _photometric, _blur, _polarity, _vignette, _noise, _jpeg)


def sensor_effects(rng: np.random.Generator, img: np.ndarray, thermal: bool, p: float) -> np.ndarray:
    """``img`` (H, W[, 3]) uint8 with each effect of its modality applied with probability ``p``, in a fixed order."""
    if p <= 0:
        return img
    # Thermal polarity is a property of the whole camera, rarer than the others.
    for effect in THERMAL_EFFECTS if thermal else COLOUR_EFFECTS:
        if rng.random() < (p / 3 if effect is _polarity else p):
            img = effect(rng, img)
    return img


def misregister(rng: np.random.Generator, centre: np.ndarray, side: float, p: float,
                max_shift: float = 0.08) -> tuple[np.ndarray, float]:
    """Colour crop centre and side, shifted (up to ``max_shift`` of the side) and zoomed (up to 5 %) with
    probability ``p``: the two cameras are rarely registered to the pixel (parallax, calibration)."""
    if rng.random() >= p:
        return centre, side
    return centre + rng.uniform(-max_shift, max_shift, 2) * side, side * rng.uniform(0.95, 1.05)
