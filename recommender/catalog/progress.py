"""Progress bars for long imports: on stderr, and only when a person is watching (a terminal)."""

from __future__ import annotations

import sys
from typing import Any, Self


class _NoBar:
    """Stands in for a tqdm bar when none is shown."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_bar(*, total: int | None, desc: str, unit: str = "row", enabled: bool = True, **kwargs: Any) -> Any:
    """A tqdm bar on stderr, or a silent stand-in when disabled or stderr is not a terminal (CI, pipes)."""
    if not enabled or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm  # type: ignore[import-untyped]

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True, **kwargs)
