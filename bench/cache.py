"""Bench caches keyed by what made them, so a changed tracker, weights file or generator never shows old numbers.

A cache folder (a toolkit workspace, the saved timings) holds a stamp file with the key of its inputs; when the
current key differs, the folder's cached entries are removed and the new stamp written. Generated sequences carry
their own key (``tracker.data.synthetic.is_generated``).
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Iterable, Optional, Sequence

from tracker.data.synthetic import GENERATOR_VERSION

REPO = Path(__file__).resolve().parents[1]
KEY_FILE = "cache.key"


def digest(paths: Iterable[Path], root: Path) -> str:
    """sha1 (12 hex digits) of the files' paths relative to ``root`` and their bytes."""
    h = hashlib.sha1()
    for path in sorted(paths):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def results_key(repo: Path = REPO) -> dict:
    """What tracking results depend on besides the sequences' arguments: the generator, the tracker's code, the
    registry (trackers.ini: names and overrides) and each file under models/ (weights, the fixed projections)."""
    return {
        "generator": GENERATOR_VERSION,
        "code": digest((repo / "tracker").rglob("*.py"), repo),
        "registry": digest([repo / "trackers.ini"], repo),
        "weights": {p.name: digest([p], repo) for p in sorted((repo / "models").glob("*.pt*"))},
    }


def refresh(folder: Path, key: dict, entries: Optional[Sequence[str]] = None) -> list[str]:
    """Keep ``folder``'s cache if its stamp equals ``key`` and return []. Otherwise remove ``entries`` (default:
    everything but the stamp) from ``folder``, stamp it with ``key`` and return the parts of ``key`` that changed
    (all of them for a folder without a stamp)."""
    folder = Path(folder)
    stamp = folder / KEY_FILE
    try:
        old = json.loads(stamp.read_text())
    except (OSError, ValueError):
        old = {}
    stale = sorted(part for part in key if old.get(part) != key[part])
    if not stale and old.keys() == key.keys():
        return []
    targets = [folder / e for e in entries] if entries is not None else \
        [p for p in folder.glob("*") if p.name != KEY_FILE]
    for path in targets:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(key, indent=1, sort_keys=True) + "\n")
    return stale or sorted(old.keys() ^ key.keys())
