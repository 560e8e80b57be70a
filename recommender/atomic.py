"""Write a file so that a reader sees the old one or the whole new one, never half of it.

A temporary file beside the target (same directory, so the rename stays on one file system) is
written, then renamed into place with ordinary permissions (temporary files are created
owner-only); on an error the temporary file is removed and the target is untouched.
Whole directories (model versions) are staged and renamed by `training.artifacts`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """`with atomic_file(path, "w", encoding="utf-8") as f: ...`: `path` appears only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed or removed
        mode, dir=path.parent, prefix=f".{path.name}.", suffix=".partial", delete=False, **open_args
    )
    try:
        with tmp:
            yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp.name, 0o666 & ~umask)
        os.replace(tmp.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp.name)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically."""
    with atomic_file(path, "wb") as out:
        out.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically."""
    with atomic_file(path, "w", encoding="utf-8") as out:
        out.write(text)
