"""transformers' names resolved from several threads at once (the LLM loader and the text-embedding
warm-up do that in one process): a plain `from transformers import ...` in each thread failed with
"cannot import name 'AutoModel'" on every one of five tries here; through the lock it never does."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

RACE = textwrap.dedent("""
    import sys, threading
    errors = []
    def resolve(names):
        try:
            {resolve}
        except Exception as exc:
            errors.append(repr(exc))
    groups = [("AutoModel", "AutoTokenizer"), ("AutoModelForCausalLM", "GgufConfig", "MaxTimeCriteria")] * 2
    threads = [threading.Thread(target=resolve, args=(g,)) for g in groups]
    for t in threads: t.start()
    for t in threads: t.join()
    print(errors[0] if errors else "ok")
""")
LOCKED = "from recommender.transformers_import import from_transformers; from_transformers(*names)"


def _race(resolve: str) -> str:
    done = subprocess.run([sys.executable, "-c", RACE.replace("{resolve}", resolve)], capture_output=True, text=True,
                          timeout=300, check=True)
    return done.stdout.strip()


@pytest.mark.slow
def test_names_resolved_from_several_threads_at_once() -> None:
    pytest.importorskip("transformers")
    assert all(_race(LOCKED) == "ok" for _ in range(3))


def test_a_missing_name_is_an_import_error() -> None:
    pytest.importorskip("transformers")
    from recommender.transformers_import import from_transformers

    with pytest.raises(ImportError, match="NoSuchModel"):
        from_transformers("NoSuchModel")
