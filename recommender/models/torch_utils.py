"""Small torch helpers the trained models share: a bounded thread pool and seeded randomness.

Training runs on the CPU: the data sets are small (MovieLens 100K trains in seconds), and the
serving machines may have no accelerator. Models limit torch to a few threads while they fit or
score, and restore the caller's setting afterwards, so a model never changes global state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

# One thread by default. The steps of these models are small (a batch of 1024 BPR triples is
# ~2.5 ms on one thread); on the two shared cores the targets are measured on, a second
# thread waits for a busy core far longer than it saves (measured: 93 ms per BPR step with
# two threads on a loaded 2-core machine, 2.5 ms with one).
DEFAULT_THREADS = 1


@contextmanager
def torch_threads(n: int | None = DEFAULT_THREADS) -> Iterator[None]:
    """Run the block with at most `n` intra-op threads (None: leave torch's setting alone)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(int(n), before)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with `seed` (training never touches torch's global RNG)."""
    gen = torch.Generator()
    gen.manual_seed(int(seed))
    return gen


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A detached float32 numpy copy."""
    return tensor.detach().cpu().numpy().astype(np.float32, copy=True)
