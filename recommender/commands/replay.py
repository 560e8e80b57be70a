"""Replay MovieLens ratings the models never saw as real chat feedback, retrain, and measure what was learned.

Users of ml-latest-small (not in the MovieLens 100K models) are mapped onto the catalog by title
and year; each replayed user's older ratings are sent through Rasa's REST webhook as a user
would give them (ask for recommendations, open the shown ones, like / dislike / rate with the
bot's own button payloads), the newest are held out. The run fails unless every sent feedback
event is stored. A control cohort (`--control-users`) is sampled from the same users but never
sent. With `--then-retrain` the retrain job runs once per `--seeds` seed; each version is
measured against the version that served before the retrain, on both cohorts (with
`--ablation`, also with the blend's recent-popularity and popularity features switched off in
both), and the primary run (first seed) must then answer the live bot. Prints one JSON object; see
recommender/eval/replay.py, replay_measure.py and replay_proof.py.

With `--then-retrain` the whole run holds the scheduler worker's "retrain" lease, as
`python -m recommender retrain` does; with the lease held elsewhere (a running worker) nothing
is sent, the report says "retrain": {"status": "busy", ...} and the exit code is 2. Otherwise
exit 0, or 1 when a check failed (HTTP errors, sent != stored, the new version not served).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

HELP = "send unseen MovieLens ratings as chat feedback through Rasa REST, retrain, measure what was learned"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--users, --rasa-url, --seed, --then-retrain, --seeds, --ablation and the replay's knobs."""
    from recommender.commands.common import add_database_argument

    parser.add_argument("--users", type=int, default=300, help="how many ml-latest-small users to replay (300)")
    parser.add_argument("--control-users", type=int, default=150,
                        help="users of the same source never sent, measured as a control cohort (150)")
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="the Rasa server (REST channel on)")
    parser.add_argument("--seed", type=int, default=42, help="which users are sampled (42)")
    parser.add_argument("--then-retrain", action="store_true",
                        help="run the retrain job after the replay and check the new version serves")
    parser.add_argument("--retrain-first", action="store_true",
                        help="with nothing published yet, publish a first version before the replay, so that the "
                        "retrain is compared with a learned model of the same kind")
    parser.add_argument("--seeds", default="42", help="comma-separated model seeds, one retrain each (42)")
    parser.add_argument("--ablation", action="store_true",
                        help="also measure every version with the blend's (recent) popularity features' weights at 0")
    parser.add_argument("--max-events", type=int, default=30, help="most ratings replayed per user (30)")
    parser.add_argument("--min-events", type=int, default=10, help="fewest catalog ratings a user needs (10)")
    parser.add_argument("--holdout", type=float, default=0.2, help="newest share of each user held out (0.2)")
    parser.add_argument("--concurrency", type=int, default=4, help="conversations at a time (4)")
    parser.add_argument("--no-measure", action="store_true", help="skip the NDCG measurements")
    parser.add_argument("--serve-timeout", type=float, default=180.0,
                        help="seconds to wait for the live bot to serve the new version (180)")
    parser.add_argument("--out", default=None, help="also write the JSON result to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_database_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Replay, verify sent == stored, retrain per seed, measure; exit 1 when a check failed, 2 when busy."""
    from recommender.commands.common import settings_from
    from recommender.errors import CatalogEmptyError
    from recommender.eval import replay as chat
    from recommender.eval import replay_data as data
    from recommender.store.repository import get_store
    from recommender.worker.leases import LeaseBusy, holding

    settings = settings_from(args)
    store = get_store(settings)
    items = store.load_items()
    if not items:
        raise CatalogEmptyError("the catalog is empty; run `python -m recommender ingest movielens100k` first")
    seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
    run_id = chat.new_run_id()
    eligible = data.eligible_users(settings.shared_data_dir / "ml-latest-small", items, holdout=args.holdout,
                                   min_events=args.min_events, max_events=args.max_events,
                                   like_threshold=settings.like_threshold)
    replayed, control = data.sample_cohorts(eligible, args.users, args.control_users, args.seed)
    replayed = data.with_senders(replayed, run_id)
    result: dict[str, Any] = {
        "run_id": run_id, "rasa_url": args.rasa_url, "users": len(replayed), "control_users": len(control),
        "seed": args.seed, "seeds": seeds, "ablation": args.ablation,
        "events_to_replay": sum(len(u.events) for u in replayed),
        "held_out_liked_items": sum(len(u.held_out) for u in replayed),
    }
    lease: AbstractContextManager[Any] = holding(store, settings, "retrain") if args.then_retrain else nullcontext()
    try:
        with lease:
            ok = _replay_and_retrain(args, settings, store, replayed, control, seeds, result)
    except LeaseBusy as exc:
        result["retrain"] = {"status": "busy", "reason": str(exc)}
        result["ok"] = False
        print(f"retrain: busy, nothing sent: {exc}; run again when the other job is done", file=sys.stderr)
        _emit(result, args.out)
        return 2
    result["ok"] = ok
    _emit(result, args.out)
    return 0 if ok else 1


def _replay_and_retrain(
    args: argparse.Namespace, settings: Any, store: Any, replayed: list[Any], control: list[Any], seeds: list[int],
    result: dict[str, Any],
) -> bool:
    from recommender.eval import replay as chat
    from recommender.eval import replay_measure as rm
    from recommender.eval.replay_proof import ABLATIONS, load_named, plan_runs, run_retrains, summarise

    measuring = not args.no_measure
    if args.then_retrain and args.retrain_first and store.latest_published_version() is None:
        from recommender.jobs.retrain import retrain

        first = retrain(store, settings, force=True)
        result["first_version"] = {k: v for k, v in first.as_dict().items() if k != "metrics"}
        print(f"first version: {first.status} {first.version} ({first.reason})", file=sys.stderr)
    published = store.latest_published_version()
    before = load_named(store, published.version) if published is not None and measuring else None
    result["version_before"] = published.version if published is not None else None
    control_cohort = rm.control_cohort(control, settings.like_threshold)
    if before is not None:
        result["before_feedback"] = rm.measure(before, rm.cold_cohort(replayed))
    print(f"replaying {len(replayed)} users ({result['events_to_replay']} ratings) as run {result['run_id']}",
          file=sys.stderr)
    stats = chat.Replayer(args.rasa_url, concurrency=args.concurrency, like_threshold=settings.like_threshold).run(
        replayed, show_progress=not args.quiet
    )
    result["replay"] = stats.as_dict()
    check = chat.verify_stored(store, settings.user_id_secret, stats.sent)
    result["sent_equals_stored"] = check
    ok = bool(check["ok"]) and stats.http_errors == 0
    replayed_cohort = rm.replayed_cohort(store, replayed, settings.user_id_secret, settings.like_threshold)

    def measure_all(models: Any) -> dict[str, Any]:
        """Both cohorts with the version, and with each ablation of it (`--ablation`)."""
        if not measuring:
            return {}
        out: dict[str, Any] = {"replayed": rm.measure(models, replayed_cohort),
                               "replayed_history_only": rm.measure(models, rm.history_only(replayed_cohort)),
                               "control": rm.measure(models, control_cohort), "ablations": {}}
        for name, features in ABLATIONS.items() if args.ablation else ():
            ablated = rm.without_features(models, features)
            if ablated is not None:
                out["ablations"][name] = {"replayed": rm.measure(ablated, replayed_cohort),
                                          "control": rm.measure(ablated, control_cohort)}
        return out

    baseline: dict[str, Any] = {}
    if before is not None:
        baseline = measure_all(before)
        result["after_feedback"], result["control_before"] = baseline["replayed"], baseline["control"]
        result["ablations_before"] = baseline["ablations"]
        print(f"before the retrain ({before.version}): {rm.without_lists(baseline)}", file=sys.stderr)
    if not args.then_retrain:
        return ok

    records = run_retrains(store, settings, plan_runs(seeds), measure_all)
    result["runs"] = records
    primary = records[-1]
    result["retrain"] = {k: v for k, v in primary.items() if k != "measured"}
    print(f"retrain: {primary['status']} {primary['version']} ({primary['reason']})", file=sys.stderr)
    if primary["status"] != "published" or not primary["version"]:
        return False
    started = time.monotonic()
    served, seen, waited = chat.wait_until_served(
        store, args.rasa_url, f"replay-{result['run_id']}-check", primary["version"], timeout=args.serve_timeout
    )
    result["served_after_retrain"] = {"version": seen, "serves_new_version": served,
                                      "seconds_until_served": round(waited, 1)}
    print(f"served {seen} {time.monotonic() - started:.0f} s after publishing", file=sys.stderr)
    if measuring and baseline and primary.get("measured"):
        result["after_retrain"] = primary["measured"]["replayed"]
        result["proof"] = summarise(baseline, records)
        result["paired_ndcg_differences"] = {
            "after_feedback - before_feedback": rm.paired_difference(result["after_feedback"],
                                                                      result["before_feedback"]),
            "after_retrain - after_feedback": rm.paired_difference(result["after_retrain"], result["after_feedback"]),
        }
        print(f"proof: {json.dumps(rm.without_lists(result['proof']))}", file=sys.stderr)
    return ok and served


def _emit(result: dict[str, Any], out: str | None) -> None:
    text = json.dumps(result, indent=1, default=str)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")
    print(text)
