"""Files written whole or not at all: a temp file beside the target, renamed over it (``os.replace`` is atomic), so an
interrupted write or a reader starting at the same time never sees a truncated file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write(fp)`` into a temp file in ``path``'s folder (made if missing), then renamed to ``path`` with the
    permissions a plain new file gets (umask), not mkstemp's 0600; the temp file is removed if anything fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
