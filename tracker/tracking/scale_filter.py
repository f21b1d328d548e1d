"""Target size by a discriminative scale filter (DSST-style, Danelljan et al. 2014) on the search crop.

The CMI candidates' top-k mean hardly moves with the target's size (candidate sizes span a few per cent), and the
first frame's box regressor reads size well on generated scenes but not on real footage: fitted against the true
size change per frame, the output's slope was 0.0-0.2 on ../shared/data/real-rgbt. This filter instead compares
patches of the target at S sizes around the last box with a model of the target learnt online, and returns the
size whose patch matches it best. Patches are resampled to one small model size, described by histograms of
oriented gradients in 4x4 cells (grey level of the colour crop and thermal, each cell normalised), and a correlation
filter along the scale axis (one FFT per frame) scores all S sizes at once.
"""
from __future__ import annotations

import functools
import math
from typing import Optional

import cv2
import numpy as np

CELL = 4  # cell side in model pixels
BINS = 9  # unsigned gradient orientations per cell
MODEL_AREA = 32 * 32  # model patch area in pixels (its aspect ratio is the first box's)
REG = 1e-2  # ridge term of the filter's denominator


class ScaleFilter:
    """Learns the target's look at S scales on the first frame; each frame scores S scaled patches around the new
    centre and returns the best size factor (parabolic peak between steps)."""

    def __init__(self, steps: int, factor: float, lr: float) -> None:
        """``steps`` patch sizes (odd: the middle one is the last box's) ``factor`` apart; model learning rate ``lr``."""
        if steps < 3 or steps % 2 == 0:
            raise ValueError(f"scale filter: steps={steps}, expected an odd number >= 3")
        self.steps, self.factor, self.lr = steps, factor, lr
        k = np.arange(steps) - (steps - 1) / 2
        self.factors = factor ** k  # (S,) patch size relative to the box, smallest first
        # Desired response: a Gaussian peak at the unchanged size, 1.25 steps wide, in the Fourier domain.
        g = np.exp(-0.5 * (k / 1.25) ** 2)
        self.g_hat = np.fft.fft(np.roll(g, -(steps - 1) // 2))  # peak at index 0 after the roll
        self.window = np.hanning(steps + 2)[1:-1, None]  # (S, 1) damps the smallest and largest patches
        self.model: Optional[tuple[int, int]] = None  # (width, height) of model patches
        self.num: Optional[np.ndarray] = None  # (S, D) complex: conj(G) F, averaged over frames
        self.den: Optional[np.ndarray] = None  # (S,) sum over features of |F|^2, averaged over frames

    def reset(self, pixels: np.ndarray, centre: np.ndarray, size: np.ndarray) -> None:
        """First frame: model size from the box's aspect ratio, then learn (``centre``, ``size`` in crop pixels)."""
        aspect = size[0] / max(size[1], 1e-6)
        w = int(np.clip(round(math.sqrt(MODEL_AREA * aspect) / CELL), 2, 16)) * CELL
        h = int(np.clip(round(math.sqrt(MODEL_AREA / aspect) / CELL), 2, 16)) * CELL
        self.model = (w, h)
        self.num = self.den = None
        self.update(pixels, centre, size)

    def update(self, pixels: np.ndarray, centre: np.ndarray, size: np.ndarray) -> None:
        """Blend this frame's look of the target at ``size`` into the model (rate ``lr``; the first frame sets it)."""
        f = np.fft.fft(self.samples(pixels, centre, size), axis=0)  # (S, D)
        num = np.conj(self.g_hat)[:, None] * f
        den = np.sum(f.real ** 2 + f.imag ** 2, axis=1)
        self.num, self.den = running_average(self.num, num, self.lr), running_average(self.den, den, self.lr)

    def estimate(self, pixels: np.ndarray, centre: np.ndarray, size: np.ndarray) -> float:
        """Size factor relative to ``size`` at which the patch around ``centre`` best matches the model."""
        if not self.den.mean() > 0:  # the model saw no gradients at all (flat crops): nothing to compare with
            return 1.0
        z = np.fft.fft(self.samples(pixels, centre, size), axis=0)
        response = np.fft.ifft(np.sum(np.conj(self.num) * z, axis=1) / (self.den + REG * self.den.mean())).real
        if not np.all(np.isfinite(response)):
            return 1.0
        # Index 0 of the response is the unchanged size (the desired peak was rolled there): roll it back to order.
        response = np.roll(response, (self.steps - 1) // 2)
        i = int(np.argmax(response))
        offset = parabola_peak(*response[i - 1: i + 2]) if 0 < i < self.steps - 1 else 0.0
        return float(self.factor ** (i + offset - (self.steps - 1) / 2))

    def samples(self, pixels: np.ndarray, centre: np.ndarray, size: np.ndarray) -> np.ndarray:
        """(S, D) windowed features of the patches of ``size`` x each factor around ``centre`` (crop pixels) in the
        (H, W, C) crop ``pixels``."""
        w, h = self.model
        patches = []
        for s in self.factors:
            sx, sy = size[0] * s / w, size[1] * s / h  # crop pixels per model pixel
            # model pixel u reads crop pixel centre + (u - model centre) * scale
            warp = np.array([[sx, 0, centre[0] - sx * (w - 1) / 2], [0, sy, centre[1] - sy * (h - 1) / 2]])
            patches.append(cv2.warpAffine(pixels, warp, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                          borderMode=cv2.BORDER_REPLICATE))
        return gradient_histograms(np.stack(patches)) * self.window


def parabola_peak(left: float, mid: float, right: float) -> float:
    """Offset from the middle sample of the vertex of the parabola through three samples (0 when not a peak): the
    filters' responses between their steps or cells."""
    curve = left - 2 * mid + right
    return float(0.5 * (left - right) / curve) if curve < 0 else 0.0


def running_average(model: Optional[np.ndarray], sample: np.ndarray, lr: float) -> np.ndarray:
    """A filter's term blended towards this frame's (rate ``lr``); the first frame's sets it."""
    return sample if model is None else (1 - lr) * model + lr * sample


def gradient_histograms(patches: np.ndarray) -> np.ndarray:
    """(S, h, w, C) patches -> (S, C * h/CELL * w/CELL * BINS): per channel and cell, gradient magnitude by
    unsigned orientation, each cell's histogram divided by its length plus a tenth of the mean length (contrast
    invariance, as in HOG, without blowing up the noise of flat cells)."""
    if patches.ndim == 3:
        patches = patches[..., None]
    s, h, w, c = patches.shape
    x = patches.transpose(0, 3, 1, 2).reshape(s * c, h, w)
    gx = np.zeros_like(x)
    gy = np.zeros_like(x)
    gx[:, :, 1:-1] = x[:, :, 2:] - x[:, :, :-2]
    gy[:, 1:-1] = x[:, 2:] - x[:, :-2]
    # OpenCV's magnitude and angle (0 .. 2 pi, within 0.01 degree of arctan2), and arithmetic instead of masked
    # assignment: numpy's float32 arctan2 and hypot alone took 1.6 of the function's 2.9 ms per call on an AVX2-only
    # CPU (17 patches of 32 x 32 x 2); the whole function takes about 0.6 ms now.
    mag, angle = cv2.cartToPolar(gx.reshape(-1, w), gy.reshape(-1, w))
    mag, angle = mag.reshape(x.shape), angle.reshape(x.shape)
    angle -= angle.dtype.type(np.pi) * (angle >= np.pi)  # unsigned orientation, 0 .. pi (float32 or float64)
    angle *= BINS / np.pi  # 0 .. BINS
    low = angle.astype(np.intp)  # floor: angles are not negative
    frac = angle - low
    low -= BINS * (low == BINS)  # an angle of pi is one of 0
    high = low + 1
    high -= BINS * (high == BINS)
    # Each pixel votes into its cell's two nearest orientation bins: bin counts over flat (patch, cell, bin) indices.
    base = _cell_index(s * c, h, w)
    size = s * c * (h // CELL) * (w // CELL) * BINS
    hist = (np.bincount((base + low).ravel(), (mag * (1 - frac)).ravel(), size)
            + np.bincount((base + high).ravel(), (mag * frac).ravel(), size))
    cells = hist.reshape(s * c, -1, BINS)  # (S*C, cells, BINS)
    norm = np.sqrt(np.sum(cells ** 2, axis=2, keepdims=True))
    cells = cells / (norm + 0.1 * norm.mean() + 1e-6)
    return cells.reshape(s, -1)


@functools.lru_cache(maxsize=8)
def _cell_index(planes: int, h: int, w: int) -> np.ndarray:
    """(planes, h, w) flat index of each pixel's cell's first bin; the same for every frame of a sequence."""
    cell = (np.arange(h)[:, None] // CELL) * (w // CELL) + np.arange(w)[None] // CELL  # (h, w)
    base = (np.arange(planes)[:, None, None] * ((h // CELL) * (w // CELL)) + cell) * BINS
    base.flags.writeable = False  # shared between calls
    return base
