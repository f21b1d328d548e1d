"""The first frame's training set: samples around the given box, fused and, where both channels have content,
each modality alone and the colour crop as at night."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..config import TrackConfig
from . import sampling
from .low_light import low_light
from .online import OnlineClassifier
from .search import SearchRegion

# The search region of the first frame with its colour crop changed first (``SearchRegion.extract``'s degrade).
Degraded = Callable[[Callable[[torch.Tensor], torch.Tensor]], SearchRegion]


def first_frame_set(region: SearchRegion, box: np.ndarray, track: TrackConfig, classifier: OnlineClassifier,
                    rng: np.random.Generator, degraded: Degraded, night: bool
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(training positives, training negatives, fused positives, fused negatives) as classifier inputs.

    Besides the fused samples: with track.modality_dropout, half of them with one modality zeroed, so a channel that
    goes missing later is survivable; with ``night`` (track.night_light on a colour crop), the same half from a
    dimmed, noisy colour crop seen through the contrast gain, so the classifier knows the target at night."""
    t = track
    pos_boxes = sampling.positives(rng, box, t.init_pos)
    neg_boxes = sampling.negatives(rng, box, t.init_neg, region.area())
    pos = classifier.samples(region.embed(pos_boxes))
    neg = classifier.samples(region.embed(neg_boxes))
    train_pos, train_neg = [pos], [neg]
    k_pos, k_neg = len(pos_boxes) // 2, len(neg_boxes) // 2
    both = len(region.present) == 2
    if t.modality_dropout and both:
        train_pos += map(classifier.samples, region.embed_views(pos_boxes[:k_pos]))
        train_neg += map(classifier.samples, region.embed_views(neg_boxes[:k_neg]))
    if night:
        dark = degraded(lambda crop: low_light(crop, t.night_light, t.night_noise, rng)).embed_views(
            np.concatenate([pos_boxes[:k_pos], neg_boxes[:k_neg]]),
            ("rgbt", "rgb") if t.modality_dropout and both else ("rgbt",))
        train_pos += [classifier.samples(v[:k_pos]) for v in dark]
        train_neg += [classifier.samples(v[k_pos:]) for v in dark]
    # Concatenated once: the set reaches about 80 MB of features.
    return torch.cat(train_pos), torch.cat(train_neg), pos, neg
