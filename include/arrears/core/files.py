"""Writing generated files: atomically (temp name + rename) and not world-readable."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):  # mkdir(parents=True) would give the parents the umask's mode
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
    return path


def write_atomic(path: Path, data: bytes | str, encoding: str = "utf-8", *, replace: bool = True) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, then rename it into place.

    A reader never sees a half-written file, and a crash leaves at most a ``.tmp`` file behind. With
    ``replace=False`` the file is linked into place instead, which fails with ``FileExistsError`` when the name
    is taken: a record is never replaced, even by a writer racing this one.
    """
    path = Path(path)
    ensure_dir(path.parent)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
