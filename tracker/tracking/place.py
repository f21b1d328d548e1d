"""Place: the output box from the classifier's refined box, set by two correlation filters learnt online."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..config import TrackConfig
from .refine import BoxRefiner
from .scale_filter import ScaleFilter
from .search import SearchRegion
from .translation_filter import TranslationFilter


class Placer:
    """The classifier finds the target; a translation filter sets the centre and a scale filter the size (DSST-style,
    on gradient-orientation histograms of the ``channels`` read from the search crop)."""

    def __init__(self, track: TrackConfig, refiner: BoxRefiner, channels: tuple[str, ...]) -> None:
        self.t = track
        self.refiner = refiner
        self.channels = channels  # the network's: CMI-RGB / CMI-TIR stay single-modality
        self.scale = ScaleFilter(track.scale_steps, track.scale_factor, track.scale_filter_lr) \
            if track.scale_filter else None
        self.translation = TranslationFilter(track.translation_filter_lr) if track.translation_filter else None

    def reset(self, region: SearchRegion, box: np.ndarray) -> None:
        """Start both filters on the first frame's ``box``."""
        for f in (self.scale, self.translation):
            if f is not None:
                f.reset(region.pixels(self.channels), *region.crop.centre_size(box))

    def place(self, region: SearchRegion, refined: np.ndarray, last: np.ndarray, init_size: np.ndarray
              ) -> np.ndarray:
        """``refined``'s centre, moved to the translation filter's peak when that lies within track.translation_gate
        target sizes of it; the scale filter's size (the ``last`` box's times its factor) or, without the filter,
        the damped refined size; bounded to track.max_scale of ``init_size``."""
        centre = refined[:2] + refined[2:] / 2
        peak = self.translation_peak(region)
        if peak is not None and np.linalg.norm(peak - centre) <= self.t.translation_gate * np.sqrt(np.prod(last[2:])):
            centre = peak
        if self.scale is None:
            return self.refiner.damp_size(np.concatenate([centre - refined[2:] / 2, refined[2:]]), last, init_size)
        at_centre = np.concatenate([centre - last[2:] / 2, last[2:]])  # the last size at the new centre
        factor = self.scale.estimate(region.pixels(self.channels), *region.crop.centre_size(at_centre))
        size = np.clip(last[2:] * factor, init_size / self.t.max_scale, init_size * self.t.max_scale)
        return np.concatenate([centre - size / 2, size])

    def translation_peak(self, region: SearchRegion) -> Optional[np.ndarray]:
        """The translation filter's peak in image pixels; None without the filter or on a widened crop (the filter
        has the usual crop's size)."""
        if self.translation is None or region.expand != 1:
            return None
        found = self.translation.locate(region.pixels(self.channels))
        return None if found is None else region.crop.to_image(found)

    def learn(self, region: SearchRegion, box: np.ndarray) -> None:
        """Update both filters on a confidently tracked ``box``."""
        if self.scale is not None:
            self.scale.update(region.pixels(self.channels), *region.crop.centre_size(box))
        if self.translation is not None and region.expand == 1:
            self.translation.update(region.pixels(self.channels), region.crop.centre_size(box)[0])
