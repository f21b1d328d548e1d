"""Training, development and reporting data never share a generated sequence."""
import re
from pathlib import Path

import pytest

from bench.splits import FAMILIES, POPULATIONS, SPLITS, seeds

REPO = Path(__file__).resolve().parents[1]


def test_no_seed_is_in_two_splits_of_a_family():
    for family in FAMILIES:
        owner = {}
        for split in SPLITS:
            for seed in seeds(split, family):
                assert seed not in owner, f"{family} seed {seed} is in both {owner[seed]} and {split}"
                owner[seed] = split


def test_shapes_generator_families_share_no_seed():
    """The failure-class populations come from the shapes generator: a seed there is the same sequences."""
    owner = {}
    for family in ("shapes", *POPULATIONS):
        for split in SPLITS:
            for seed in seeds(split, family):
                assert seed not in owner, f"seed {seed} is in {owner[seed]} and {family}/{split}"
                owner[seed] = f"{family}/{split}"


def test_make_weights_trains_on_the_training_seeds_only():
    makefile = (REPO / "Makefile").read_text()
    used = {int(s) for s in re.findall(r"tracker\.data\.synthetic --out \$\(CORPUS\)[^\n]*--seed (\d+)", makefile)}
    assert used and used <= set(seeds("train", "shapes"))


def test_unknown_split_is_a_clear_error():
    with pytest.raises(ValueError, match="expected one of"):
        seeds("test", "shapes")
