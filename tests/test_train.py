"""Offline training: DDP on 2 CPU processes, exact resume after SIGKILL, bad data skipped, every format."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tracker.data.synthetic import generate_sequence
from tracker.model.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[1]
# Small steps: 2 frames of 8 positives and 24 negatives each, no validation, data loaded in-process.
FAST = ["train.frames=2", "train.batch_pos=8", "train.batch_neg=24", "train.val_sequences=0", "train.workers=0",
        "train.warmup=2", "train.log_every=1", "threads=1"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    names = []
    for k, kinds in enumerate([("textured",), ("night",), ("scale",), ("occlusion",)]):
        names.append(f"s{k}")
        generate_sequence(root / names[-1], frames=12, seed=100 + k, kinds=kinds, size=(320, 240))
    (root / "list.txt").write_text("\n".join(names) + "\n")
    return root


def _train(args, out: Path, launcher=(sys.executable, "-m", "tracker.train"), wait=True):
    cmd = [*launcher, *args, "--out", str(out)]
    if wait:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _curve(out: Path) -> dict[int, float]:
    """Loss per step from loss.csv; a step written twice (before a kill and after resume) keeps the later one."""
    rows = [line.split(",") for line in (out / "loss.csv").read_text().split()]
    return {int(step): float(loss) for step, loss, _ in rows}


def test_two_ddp_processes_end_with_identical_weights(corpus, tmp_path):
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = _train(["--data", f"vot:{corpus}", "train.steps=3", *FAST], tmp_path / "ddp",
                  launcher=(*torchrun, "-m", "tracker.train"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    digests = dict(re.findall(r"\[rank (\d)\] final weights sha1 (\w+)", proc.stderr))
    assert set(digests) == {"0", "1"}
    # The ranks train on different sequences each step: equal weights mean the gradients were all-reduced.
    assert digests["0"] == digests["1"]
    assert "2 process(es)" in (tmp_path / "ddp" / "train.log").read_text()


def test_resume_after_sigkill_continues_exactly(corpus, tmp_path):
    args = ["--data", f"vot:{corpus}", "train.steps=8", "train.checkpoint_every=3", *FAST]
    full = _train(args, tmp_path / "full")
    assert full.returncode == 0, full.stderr[-3000:]

    killed = tmp_path / "killed"
    proc = _train(args, killed, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline and not ((killed / "loss.csv").exists() and
                                          len((killed / "loss.csv").read_text().split()) >= 5):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Whatever the moment of the kill, the checkpoint on disk is complete (atomic rename).
    state = torch.load(killed / "last.pth", map_location="cpu", weights_only=False)
    assert state["extra"]["step"] in (3, 6)

    resumed = _train([*args, "--resume"], killed)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resumed from {killed / 'last.pth'} at step {state['extra']['step']}" in resumed.stderr
    a, b = _curve(tmp_path / "full"), _curve(killed)
    assert sorted(a) == sorted(b) == list(range(1, 9))
    assert np.allclose([a[s] for s in a], [b[s] for s in a], rtol=0, atol=1e-6), (a, b)
    # And the exported tracking weights load into the tracker's network.
    from tracker.config import Config
    from tracker.model.network import CMINet

    load_checkpoint(killed / "cmi.pth", CMINet(Config().model, imagenet=False))
    # They record what they were trained on: the generator version and the seed of each generated sequence.
    from tracker.data.synthetic import GENERATOR_VERSION

    stamps = torch.load(killed / "cmi.pth", map_location="cpu", weights_only=False)["extra"]["provenance"]["generators"]
    assert stamps == {f"vot:{corpus}": {"generator": [GENERATOR_VERSION], "seeds": [100, 101, 102, 103]}}


def test_corrupt_training_images_are_skipped_and_counted(corpus, tmp_path):
    bad = tmp_path / "bad"
    generate_sequence(bad / "b0", frames=6, seed=7, kinds=("textured",), size=(320, 240))
    for i in range(1, 7):
        (bad / "b0" / "color" / f"{i:08d}.jpg").write_bytes(b"not a jpeg")
    (bad / "list.txt").write_text("b0\n")
    proc = _train(["--data", f"vot:{bad}", "--data", f"vot:{corpus}", "train.steps=6", *FAST], tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    skipped = int(re.search(r"(\d+) unreadable training frames skipped", proc.stderr).group(1))
    assert skipped > 0
    assert "cannot be decoded" in proc.stderr


def test_bad_data_spec_is_a_clear_error(tmp_path):
    proc = _train(["--data", "imagenet:/nowhere", "train.steps=1"], tmp_path / "out")
    assert proc.returncode == 2
    assert "imagenet" in proc.stderr


def test_overrides_may_come_between_data_options():
    from tracker.train import parse_args

    args = parse_args(["--data", "vot:a", "train.steps=5", "--data", "vot:b", "--out", "o", "model.cmi_mode=none"])
    assert args.data == ["vot:a", "vot:b"]
    assert args.overrides == ["train.steps=5", "model.cmi_mode=none"]
