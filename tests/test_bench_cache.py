"""bench/cache.py: a toolkit workspace's results are dropped when the code, the weights or the generator change."""
from __future__ import annotations

from pathlib import Path

from bench.cache import refresh, results_key


def fake_repo(root: Path) -> Path:
    (root / "tracker").mkdir(parents=True)
    (root / "tracker" / "loop.py").write_text("SCALE_LR = 0.2\n")
    (root / "models").mkdir()
    (root / "models" / "cmi.pth").write_bytes(b"weights v1")
    (root / "trackers.ini").write_text("[CMI]\ncommand = tracker.vot\n")
    return root


def results_after(ws: Path, key: dict) -> tuple[list[str], bool, bool]:
    """(changed parts, results still there, sequences still there) after a refresh with ``key``."""
    stale = refresh(ws, key, ("results", "analysis"))
    return stale, (ws / "results" / "CMI").exists(), (ws / "sequences" / "list.txt").exists()


def test_changed_inputs_invalidate_results(tmp_path):
    repo, ws = fake_repo(tmp_path / "repo"), tmp_path / "ws"
    (ws / "results" / "CMI").mkdir(parents=True)
    (ws / "sequences").mkdir()
    (ws / "sequences" / "list.txt").write_text("00-textured\n")

    key = results_key(repo)
    assert results_after(ws, key)[1:] == (False, True)  # unstamped results: provenance unknown, removed
    (ws / "results" / "CMI").mkdir(parents=True)
    assert results_after(ws, results_key(repo)) == ([], True, True)  # same inputs: kept

    (repo / "models" / "cmi.pth").write_bytes(b"weights v2")
    assert results_after(ws, results_key(repo)) == (["weights"], False, True)
    (ws / "results" / "CMI").mkdir(parents=True)
    (repo / "models" / "projection.pt").write_bytes(b"projections v2")  # the default CMI's fixed projections
    assert results_after(ws, results_key(repo)) == (["weights"], False, True)
    (ws / "results" / "CMI").mkdir(parents=True)
    (repo / "tracker" / "loop.py").write_text("SCALE_LR = 0.5\n")
    assert results_after(ws, results_key(repo)) == (["code"], False, True)
    (ws / "results" / "CMI").mkdir(parents=True)
    assert results_after(ws, {**results_key(repo), "generator": "edited"}) == (["generator"], False, True)
