"""The feedback loop end to end, and whether a retrain learns from chat feedback.

Runs `python -m recommender replay --retrain-first --then-retrain --ablation` against a stack of
its own (own database and model folder, so the retrains cannot touch another stack's versions):

1. the retrain job publishes a first version trained on MovieLens 100K alone: the model that
   serves before the feedback (a learned blend, not the popularity fallback);
2. unseen ml-latest-small users' older ratings go through Rasa's REST webhook as the web widget
   sends them (`/feedback{"item_id":"50","kind":"like"}` button payloads, a click on a shown item
   first), and every sent event must be stored;
3. the retrain job runs once per seed; each version is measured against the first one on the
   replayed users' held-out liked items and on a control cohort whose feedback was never sent,
   as served and with the blend's (recent) popularity features switched off in both versions;
4. the primary retrain stays published and the live bot must serve it.

E2E_REPLAY_USERS, E2E_REPLAY_CONTROL, E2E_REPLAY_EVENTS and E2E_REPLAY_SEEDS size it; the
defaults took 8-11 minutes on 2 cores shared with other work (load 4-5). The measured numbers: docs/feedback-loop.md.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = Path(os.environ.get("APP_VENV", REPO_ROOT / ".venv")) / "bin" / "python"
USER_ID_SECRET = "e2e-replay-user-id-secret"
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.realdata]

USERS = int(os.environ.get("E2E_REPLAY_USERS", "200"))
CONTROL = int(os.environ.get("E2E_REPLAY_CONTROL", "200"))
EVENTS = int(os.environ.get("E2E_REPLAY_EVENTS", "10"))
SEEDS = os.environ.get("E2E_REPLAY_SEEDS", "42,43")


@pytest.fixture(scope="module")
def learning_stack(tmp_path_factory: pytest.TempPathFactory, stack_launcher: Any) -> Iterator[tuple[Any, Path]]:
    """A stack of its own: fresh database, its own var dir (models), swaps checked every 2 s."""
    from recommender.config import get_settings

    if not (get_settings().shared_data_dir / "ml-latest-small" / "ratings.csv").is_file():
        pytest.skip("../shared/data/ml-latest-small is not available")
    workdir = tmp_path_factory.mktemp("replay")
    var = workdir / "var"
    var.mkdir()
    if (REPO_ROOT / "var" / "data").is_dir():  # the fetched MovieLens files, not fetched again
        (var / "data").symlink_to(REPO_ROOT / "var" / "data")
    env = {"RECSYS_VAR_DIR": str(var), "RECSYS_MODEL_CHECK_SECONDS": "2", "RECSYS_USER_ID_SECRET": USER_ID_SECRET}
    with stack_launcher(workdir, extra_env=env) as stack:
        yield stack, var


@pytest.fixture(scope="module")
def replay_result(learning_stack: tuple[Any, Path]) -> tuple[dict[str, Any], str, Any]:
    """The command's JSON report, a summary of its numbers for assertion messages, and the stack."""
    stack, var = learning_stack
    out = var / "replay.json"
    env = {**os.environ, "RECSYS_DATABASE_URL": stack.database_url, "RECSYS_VAR_DIR": str(var),
           "RECSYS_USER_ID_SECRET": USER_ID_SECRET, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [str(APP_PYTHON), "-m", "recommender", "replay", "--users", str(USERS), "--control-users", str(CONTROL),
               "--max-events", str(EVENTS), "--seeds", SEEDS, "--ablation", "--retrain-first", "--then-retrain",
               "--rasa-url", stack.rasa_url, "--quiet", "--out", str(out)]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=2400, check=False)
    assert out.exists(), f"exit {run.returncode}\n{run.stderr[-4000:]}\n{stack.log_tails()}"
    result = json.loads(out.read_text())
    from recommender.eval.replay_measure import without_lists

    keys = ("first_version", "replay", "sent_equals_stored", "before_feedback", "after_feedback", "control_before",
            "after_retrain", "served_after_retrain", "paired_ndcg_differences", "proof")
    note = json.dumps({k: without_lists(result[k]) for k in keys if k in result})
    print(note)  # the numbers, in the test log (-s)
    assert run.returncode == 0, f"{note}\n{run.stderr[-4000:]}"
    return result, note, stack


def test_chat_feedback_is_stored_exactly_as_sent(replay_result: tuple[dict[str, Any], str, Any]) -> None:
    result, note, _ = replay_result
    replay, check = result["replay"], result["sent_equals_stored"]
    assert result["users"] == USERS and result["control_users"] == CONTROL
    assert replay["http_errors"] == 0, note
    assert check["ok"] and check["sent"] == check["stored"] == replay["feedback_sent"] > USERS, note
    assert replay["shown_and_rated"] > 0, note  # some rated items had been shown by the bot and were clicked first


def test_the_retrain_publishes_a_version_trained_on_the_feedback_that_the_live_bot_serves(
    replay_result: tuple[dict[str, Any], str, Any],
) -> None:
    result, note, stack = replay_result
    from recommender.store import Store

    first, primary = result["first_version"], result["retrain"]
    assert first["status"] == "published" and result["version_before"] == first["version"], note
    assert primary["status"] == "published" and primary["primary"], primary
    assert Store(stack.database_url).latest_published_version().version == primary["version"]  # type: ignore[union-attr]
    served = result["served_after_retrain"]
    assert served["serves_new_version"] and served["version"] == primary["version"], served
    after, before = result["after_retrain"], result["after_feedback"]
    assert after["model_version"] == primary["version"] and before["model_version"] == first["version"]
    # the version before knew none of the replayed users; the retrained one was trained on all of them
    assert before["trained_on_users"] == 0 and after["trained_on_users"] == USERS, note
    # every planned run trained and was judged against the same first version
    runs = result["runs"]
    assert len(runs) == len(SEEDS.split(",")), runs
    assert all(r["metrics"]["recent"]["published_version"] == first["version"] for r in runs), note


def test_the_retrain_learned_from_the_feedback(replay_result: tuple[dict[str, Any], str, Any]) -> None:
    """Retrained versions vs the version before the retrain, on the same users with the same stored
    feedback: paired per user, each user's difference averaged over the seeds, mean vs its standard
    error over users (docs/feedback-loop.md has the numbers)."""
    result, note, _ = replay_result
    proof, seeds = result["proof"], len(SEEDS.split(","))
    served = proof["full"]["replayed"]  # the serving configuration
    assert served["seeds"] == seeds and served["mean"] > 0 and all(g > 0 for g in served["per_seed"]), note
    # Not the cohort's popularity alone: with every popularity feature of the blend switched off
    # (overall, recent, per kind, the popularity base model; in the version before as well), the
    # gain stays positive on every seed. Beyond noise is what the benchmark shows (300 users, 3 seeds:
    # z 5.1); at this test's size it was z 0.9-3.7 from run to run (docs/feedback-loop.md), so even
    # one standard error fails on noise now and then, which a test must not.
    learned = proof["no_popularity"]["replayed"]
    assert learned["seeds"] == seeds and all(g > 0 for g in learned["per_seed"]), note
    # Users whose feedback was never sent gain too (the retrain learned about the items from the
    # cohort's feedback); that the replayed users gain MORE, from their own feedback, is not shown
    # at this size (docs: replayed beyond control within two standard errors), so not asserted.
    assert proof["full"]["control"]["mean"] > 0, note
