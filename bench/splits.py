"""Which generated data is for what: training, development (choices and tuning) and reporting (README numbers).

Seeds are the ``--seed`` of ``tracker.data.synthetic`` (family "shapes") and ``tracker.data.photo_scenes`` (family
"photo"); sequence k of seed S is drawn from S * 1000 + k (k < 1000), so two sets share no sequence as long as they
share no seed (tests/test_splits.py). Reporting seeds are never used to choose a setting: a number measured on them
goes into the README as it comes out.
"""
from __future__ import annotations

# Populations of one failure class seen on real footage, drawn by the shapes generator with these kinds only
# (``python -m tracker.data.synthetic --out DIR --sequences 6 --frames 150 --seed SEED --kinds KIND``):
# family -> kinds. Seeds are shared with no other shapes family.
POPULATIONS = {"small": ("small",), "fast-start": ("fast_start",), "fold": ("fold",)}
FAMILIES = ("shapes", "photo", *POPULATIONS)
SPLITS = {
    "train": {"shapes": (500,)},  # make weights
    # 11 and 12 are the seeds the tracking loop was tuned on (comments in tracker/config.py); 30, 31 chose the recipe.
    "dev": {"shapes": (11, 12, 30), "photo": (31,), "small": (40,), "fast-start": (41,), "fold": (42,)},
    "report": {"shapes": (61, 62, 63), "photo": (71, 72, 73), "small": (81,), "fast-start": (82,), "fold": (83,)},
    "demo": {"shapes": (7, 8)},  # make demo
}


def seeds(split: str, family: str) -> tuple[int, ...]:
    """The seeds of ``split`` for ``family``; ValueError names the choices."""
    if split not in SPLITS or family not in FAMILIES:
        raise ValueError(f"split {split!r}, family {family!r}: expected one of {', '.join(SPLITS)} and "
                         f"one of {', '.join(FAMILIES)}")
    return SPLITS[split].get(family, ())
