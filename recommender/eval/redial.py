"""ReDial benchmark: rank what a human recommender suggested next, from the dialogue so far.

Why: leave-last-out on ratings says nothing about conversations. ReDial (Li et al., NeurIPS
2018) has 1,342 real test dialogues between a seeker and a human recommender; published
conversational recommenders report Recall@k of the recommender's suggested movie there.

Protocol (as in KBRD/UniCRS, adapted to the ml-latest-small catalog this project serves):
- the seeker is the conversation's initiator; a *sample* is a recommender message that
  mentions a movie not mentioned before in the dialogue and mapped to ml-latest-small
  (DERIVED_redial_to_ml-latest-small_by_title_year.csv); one sample per such movie;
- the input (`RedialContext`) is what was said before that message: the seeker's words (movie
  mentions written as their titles) and every earlier mapped mention, liked (1) / disliked (0)
  / unknown (2) per the seeker's own questionnaire answers (the recommender's where the seeker
  gave none);
- a ranker returns item ids over the whole ml-latest-small catalog; earlier mentions are removed
  and Recall@1/10/50 is whether the suggested movie is in the top 1/10/50.
- weights are chosen on the validation slice (dialogues with crc32(conversationId) % 5 == 0,
  ~20%) and every ranker is reported on the other dialogues only.

Numbers are not strictly comparable with the published ones: those rank ReDial's own 6,924
movies and count every mention (repeats included); here the catalog has 9,742 movies and only
the ~74% of suggestions that map to ml-latest-small are scored.

Every ranker is one `Ranker = Callable[[RedialContext], list[str]]`, so wiring the dialogue
service in is one function (`dialogue_ranker`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from recommender.errors import DataSourceError
from recommender.retrieval.bundle import ModelBundle

logger = logging.getLogger(__name__)

KS: tuple[int, ...] = (1, 10, 50)
VALIDATION_MODULUS = 5
MENTION = re.compile(r"@(\d+)")
LIKED, DISLIKED = 1, 0

# Published ReDial test Recall@1/10/50 (their catalog: ReDial's movies; all mentions counted).
PUBLISHED: dict[str, dict[str, float | None]] = {
    "KBRD (Chen et al., 2019)": {"recall@1": 0.028, "recall@10": 0.169, "recall@50": 0.366},
    "UniCRS (Wang et al., 2022)": {"recall@1": 0.050, "recall@10": 0.215, "recall@50": 0.413},
    "GPT-4 zero-shot (He et al., 2023)": {"recall@1": 0.050, "recall@10": 0.201, "recall@50": None},
}


@dataclass(frozen=True)
class RedialContext:
    """What a ranker may know at one recommender turn: opinions, mentions and the seeker's words."""

    liked: tuple[str, ...] = ()  # ml-latest-small item ids the seeker liked, in mention order
    disliked: tuple[str, ...] = ()
    mentioned: tuple[str, ...] = ()  # every mapped item mentioned so far (liked, disliked or unknown)
    seeker_text: str = ""  # the seeker's messages so far, one per line, movie mentions written as titles


@dataclass(frozen=True)
class RedialSample:
    """One scored suggestion: the context before the recommender's message and the movie it named."""

    conversation_id: str
    message_index: int
    context: RedialContext
    target: str

    @property
    def validation(self) -> bool:
        """True for the validation slice (weights are chosen there, never on the reported turns)."""
        return is_validation(self.conversation_id)


Ranker = Callable[[RedialContext], list[str]]


def is_validation(conversation_id: str) -> bool:
    """crc32(conversationId) % 5 == 0: a fixed ~20% of dialogues, independent of file order."""
    return zlib.crc32(conversation_id.encode()) % VALIDATION_MODULUS == 0


def read_mapping(path: Path) -> dict[str, str]:
    """ReDial movie id -> ml-latest-small movieId (unmatched movies left out)."""
    import pandas as pd

    if not path.is_file():
        raise DataSourceError(f"{path}: no such file; set RECSYS_SHARED_DATA_DIR to the folder holding redial/")
    frame = pd.read_csv(path, dtype={"redial_movieId": str}).dropna(subset=["ml_latest_small_movieId"])
    return {r: str(int(m)) for r, m in zip(frame["redial_movieId"], frame["ml_latest_small_movieId"], strict=True)}


def _clean_title(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip()


def _opinions(dialogue: Mapping[str, Any]) -> dict[str, int]:
    """ReDial movie id -> the seeker's liked answer (0, 1 or 2), the recommender's where the seeker gave none."""
    out: dict[str, int] = {}
    for key in ("respondentQuestions", "initiatorQuestions"):  # the seeker's (initiator's) answers win
        answers = dialogue.get(key) or {}
        if isinstance(answers, dict):
            for movie, answer in answers.items():
                if isinstance(answer, dict) and answer.get("liked") in (0, 1, 2):
                    out[str(movie)] = int(answer["liked"])
    return out


def dialogue_samples(dialogue: Mapping[str, Any], mapping: Mapping[str, str]) -> list[RedialSample]:
    """Every (recommender message, newly mentioned mapped movie) of one dialogue, with its context."""
    seeker = dialogue["initiatorWorkerId"]
    titles = {str(k): _clean_title(str(v)) for k, v in (dialogue.get("movieMentions") or {}).items() if v}
    opinions = _opinions(dialogue)
    conversation = str(dialogue["conversationId"])

    def readable(text: str) -> str:
        return MENTION.sub(lambda m: titles.get(m.group(1), "a movie"), text)

    seeker_words: list[str] = []
    mentioned_redial: list[str] = []
    samples: list[RedialSample] = []
    for index, message in enumerate(dialogue.get("messages") or []):
        text = str(message.get("text", ""))
        ids = list(dict.fromkeys(MENTION.findall(text)))
        if message.get("senderWorkerId") != seeker:
            new = [m for m in ids if m not in mentioned_redial and m in mapping]
            if new:
                mapped = [mapping[m] for m in mentioned_redial if m in mapping]
                context = RedialContext(
                    liked=tuple(dict.fromkeys(mapping[m] for m in mentioned_redial
                                              if m in mapping and opinions.get(m) == LIKED)),
                    disliked=tuple(dict.fromkeys(mapping[m] for m in mentioned_redial
                                                 if m in mapping and opinions.get(m) == DISLIKED)),
                    mentioned=tuple(dict.fromkeys(mapped)),
                    seeker_text="\n".join(seeker_words),  # one line per message
                )
                samples.extend(RedialSample(conversation, index, context, mapping[m]) for m in new
                               if mapping[m] not in context.mentioned)
        else:
            seeker_words.append(readable(text).strip())
        mentioned_redial.extend(m for m in ids if m not in mentioned_redial)
    return samples


def load_samples(folder: Path) -> list[RedialSample]:
    """All samples of test_data.jsonl in `folder`; a malformed line is reported with its number."""
    path = folder / "test_data.jsonl"
    if not path.is_file():
        raise DataSourceError(f"{path}: no such file; set RECSYS_SHARED_DATA_DIR to the folder holding redial/")
    mapping = read_mapping(folder / "DERIVED_redial_to_ml-latest-small_by_title_year.csv")
    samples: list[RedialSample] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                samples.extend(dialogue_samples(json.loads(line), mapping))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataSourceError(f"{path}, line {number}: not a ReDial dialogue ({exc})") from exc
    return samples


# -- metrics ----------------------------------------------------------------------------------

def recall_at_k(rankings: Sequence[Sequence[str]], targets: Sequence[str], k: int) -> float:
    """Share of samples whose target is among the first k ids of its ranking."""
    if not targets:
        return 0.0
    return sum(1 for ranked, target in zip(rankings, targets, strict=True) if target in ranked[:k]) / len(targets)


def evaluate_ranker(
    ranker: Ranker, samples: Sequence[RedialSample], *, desc: str = "", progress: bool = True
) -> dict[str, Any]:
    """Recall@1/10/50 of one ranker; mentioned items are removed from its list before cutting."""
    rankings: list[list[str]] = []
    started = time.perf_counter()
    for sample in tqdm(samples, desc=desc, disable=not progress, file=sys.stderr, leave=False, unit="turn"):
        seen = set(sample.context.mentioned)
        rankings.append([i for i in ranker(sample.context) if i not in seen][: max(KS)])
    seconds = time.perf_counter() - started
    targets = [s.target for s in samples]
    return {
        **{f"recall@{k}": round(recall_at_k(rankings, targets, k), 4) for k in KS},
        "samples": len(samples),
        "ms_per_turn": round(1000 * seconds / max(len(samples), 1), 2),
    }


# -- the catalog and models, built the service's way --------------------------------------------

@dataclass
class RedialModels:
    """ml-latest-small as the service sees a catalog: a `ModelBundle` fitted on its ratings."""

    bundle: ModelBundle
    item_ids: list[str] = field(init=False)
    _queries: dict[str, np.ndarray] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.item_ids = [it.item_id for it in self.bundle.index.items]

    def text_scores(self, text: str) -> np.ndarray:
        """The text scorer's cosines for `text`; query vectors are kept, as rankers and samples share contexts."""
        scorer = self.bundle.text
        if scorer is None or not text.strip():
            return np.zeros(len(self.item_ids), dtype=np.float32)
        if text not in self._queries:
            self._queries[text] = scorer.embed_query(text)
        return scorer.vectors @ self._queries[text]

    def rows(self, ids: Sequence[str]) -> list[int]:
        """Catalog rows of the ids the catalog knows."""
        position = self.bundle.index.position
        return [position[i] for i in ids if i in position]

    def mask(self, context: RedialContext) -> np.ndarray:
        """Every row except the mentioned ones (the service's shown/rejected filter)."""
        mask = np.ones(len(self.item_ids), dtype=bool)
        mask[self.rows(context.mentioned)] = False
        return mask

    def top(self, scores: np.ndarray, mask: np.ndarray, k: int) -> list[str]:
        """Top-k ids of the masked rows by score, ties by popularity (as `recommender.ranking.rank`)."""
        rows = np.flatnonzero(mask)
        order = np.lexsort((-self.bundle.popularity.scores[rows], -scores[rows]))[:k]
        return [self.item_ids[int(rows[i])] for i in order]


def build_models(settings: Any, *, with_text: bool = True, encoder: Any = None) -> RedialModels:
    """Fit popularity, item-kNN and content similarity on ml-latest-small ratings like `build_bundle`,
    and the free-text scorer from <var>/enrichment/ml-latest-small.jsonl (built on first run)."""
    from recommender.catalog.enrichment import enrich_from_tmdb, enrichment_path, read_links, write_enrichment
    from recommender.eval.datasets import load_dataset
    from recommender.retrieval.content import ContentSimilarity
    from recommender.retrieval.index import CatalogIndex
    from recommender.retrieval.item_knn import ItemKNN
    from recommender.retrieval.popularity import Popularity
    from recommender.retrieval.signals import build_signals
    from recommender.store.repository import Interactions

    data = load_dataset("ml-latest-small", settings)
    index = CatalogIndex(list(data.items))
    users = np.asarray(data.user_ids, dtype=object)[data.user_idx]
    items = np.asarray([it.item_id for it in data.items], dtype=object)[data.item_idx]
    events = Interactions(users, items, data.kinds, data.values.astype(float), data.timestamps)
    signals = build_signals(index, events)
    popularity = Popularity.fit(index, signals, prior=settings.popularity_prior)
    knn = ItemKNN.fit(signals, k=settings.knn_neighbours, shrinkage=settings.knn_shrinkage)
    text = None
    if with_text:
        from recommender.retrieval.text_query import TextQueryScorer

        path = enrichment_path(settings.var_dir, "ml-latest-small")
        if not path.is_file():
            links = read_links(settings.shared_data_dir / "ml-latest-small" / "links.csv")
            tmdb = settings.shared_data_dir / "tmdb-5000" / "tmdb_5000_movies.csv"
            write_enrichment(path, enrich_from_tmdb(index.items, tmdb, links))
        text = TextQueryScorer.from_file(index.items, path, settings.var_dir / "cache" / "embeddings", encoder)
    bundle = ModelBundle("redial-mlls", index, popularity, knn, ContentSimilarity.fit(index), text=text)
    return RedialModels(bundle)


# -- rankers ------------------------------------------------------------------------------------

def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


@dataclass
class Components:
    """Per-row signal scores of one context; the combination ranker and its tuning share them."""

    knn: np.ndarray
    text: np.ndarray
    popularity: np.ndarray
    mask: np.ndarray


def components(models: RedialModels, context: RedialContext, *, knn: bool = True, text: bool = True) -> Components:
    """Item-kNN from liked mentions (scaled to max 1), text-query cosine (min-max) and popularity;
    a signal not asked for is zeros."""
    bundle = models.bundle
    n = len(models.item_ids)
    seeds = {row: 1.0 for row in models.rows(context.liked)}
    knn_scores = _scaled(bundle.knn.score(seeds)[0]) if knn and seeds else np.zeros(n, dtype=np.float32)
    text_scores = np.zeros(n, dtype=np.float32)
    if text and bundle.text is not None and context.seeker_text.strip():
        text_scores = _minmax(models.text_scores(context.seeker_text))
    return Components(knn_scores, text_scores, bundle.popularity.scores, models.mask(context))


@dataclass(frozen=True)
class Weights:
    """Blend of the combination ranker."""

    knn: float = 1.0
    text: float = 0.5
    popularity: float = 0.25

    def total(self, c: Components) -> np.ndarray:
        """The blended score per row."""
        return self.knn * c.knn + self.text * c.text + self.popularity * c.popularity


def popularity_ranker(models: RedialModels) -> Ranker:
    """The service's ranking with no seeds and no text: `recommender.ranking.rank` on popularity."""
    from recommender.ranking import RankRequest, rank

    def ranker(context: RedialContext) -> list[str]:
        ranked = rank(models.bundle, RankRequest(mask=models.mask(context), k=max(KS)))
        return [models.item_ids[r.row] for r in ranked]

    return ranker


def item_knn_ranker(models: RedialModels) -> Ranker:
    """Item-kNN from the liked mentions; popularity orders the rest (and everything without likes)."""

    def ranker(context: RedialContext) -> list[str]:
        c = components(models, context, text=False)
        return models.top(c.knn + 1e-3 * c.popularity, c.mask, max(KS))

    return ranker


def service_rank_ranker(models: RedialModels) -> Ranker:
    """The service's pre-learned-model ranking (`rank`): liked mentions as seeds, disliked as
    negative seeds; item-kNN + content + popularity with its hand-set weights."""
    from recommender.ranking import RankRequest, rank

    def ranker(context: RedialContext) -> list[str]:
        request = RankRequest(
            mask=models.mask(context), k=max(KS),
            seeds={row: 1.0 for row in models.rows(context.liked)},
            negative_seeds={row: 1.0 for row in models.rows(context.disliked)},
        )
        return [models.item_ids[r.row] for r in rank(models.bundle, request)]

    return ranker


def text_ranker(models: RedialModels) -> Ranker:
    """Cosine of the seeker's words with each item's text (Task 1); popularity breaks ties."""

    def ranker(context: RedialContext) -> list[str]:
        c = components(models, context, knn=False)
        return models.top(c.text + 1e-3 * c.popularity, c.mask, max(KS))

    return ranker


def combined_ranker(models: RedialModels, weights: Weights) -> Ranker:
    """Item-kNN on liked + text query + popularity, with weights chosen on the validation slice."""

    def ranker(context: RedialContext) -> list[str]:
        c = components(models, context)
        return models.top(weights.total(c), c.mask, max(KS))

    return ranker


def dialogue_ranker(models: RedialModels) -> Ranker | None:
    """The dialogue service's own path: words -> acts -> `DialogueState` -> `plan_query` -> `rank`.

    Each seeker message is read by `recommender.dialogue.understand` and reduced into one state,
    as the service does turn by turn (genres, eras, moods, free-text wishes); the liked and
    disliked mentions come from the questionnaire (liked_items / rejected_items), other mentions
    are seen_items. Titles are not looked up from the words (the mentions are already resolved).
    The wish is scored with the bundle's text scorer and passed to `rank` like
    `RecommenderService._recommend` does; no stored profile, no LLM. None when the package is absent.
    """
    try:
        from recommender.dialogue.plan import plan_query
        from recommender.dialogue.reducer import reduce
        from recommender.dialogue.state import DialogueState
        from recommender.dialogue.understand import CatalogView, Turn, understand
    except ImportError:
        return None
    from dataclasses import replace

    from recommender.profile import Profile
    from recommender.ranking import RankRequest, rank

    bundle = models.bundle
    view = CatalogView(tuple(bundle.index.genre_names))
    k = max(KS)

    def ranker(context: RedialContext) -> list[str]:
        state = DialogueState()
        for line in context.seeker_text.split("\n"):
            if line.strip():
                state = reduce(state, understand(Turn(text=line), state, view))
        opinions = set(context.liked) | set(context.disliked)
        state = replace(state, liked_items=context.liked, rejected_items=context.disliked,
                        seen_items=tuple(m for m in context.mentioned if m not in opinions))
        plan = plan_query(state, bundle.index, Profile(), k)
        text = models.text_scores(" ".join(state.wish)) if state.wish and bundle.text is not None else None
        request = RankRequest(mask=plan.mask, k=k, seeds=plan.seeds, negative_seeds=plan.negative_seeds, text=text)
        return [models.item_ids[r.row] for r in rank(bundle, request)]

    return ranker


WEIGHT_GRID: dict[str, tuple[float, ...]] = {
    "knn": (1.0,),
    "text": (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    "popularity": (0.0, 0.1, 0.25, 0.5, 1.0, 2.0),
}


def _target_rank(total: np.ndarray, popularity: np.ndarray, mask: np.ndarray, target: int) -> int:
    """0-based position of `target` among the masked rows (ties by popularity, as `top`)."""
    t, p = total[target], popularity[target]
    tied = total == t
    better = (total > t) | (tied & (popularity > p)) | (tied & (popularity == p) & (np.arange(len(total)) < target))
    return int((better & mask).sum())


def tune_weights(
    models: RedialModels, samples: Sequence[RedialSample], *, progress: bool = True
) -> tuple[Weights, list[dict[str, Any]]]:
    """The grid point with the best validation Recall@10 (then @50, @1); every point's scores."""
    cached: list[tuple[Components, int]] = []
    for sample in tqdm(samples, desc="validation signals", disable=not progress, file=sys.stderr, leave=False):
        row = models.bundle.index.position.get(sample.target)
        if row is not None:
            cached.append((components(models, sample.context), row))
    results: list[dict[str, Any]] = []
    for w_text in WEIGHT_GRID["text"]:
        for w_pop in WEIGHT_GRID["popularity"]:
            weights = Weights(knn=WEIGHT_GRID["knn"][0], text=w_text, popularity=w_pop)
            ranks = np.array([_target_rank(weights.total(c), c.popularity, c.mask, row) for c, row in cached])
            scores = {f"recall@{k}": round(float((ranks < k).mean()), 4) if len(ranks) else 0.0 for k in KS}
            results.append({"weights": weights.__dict__.copy(), **scores})
    best = max(results, key=lambda r: (r["recall@10"], r["recall@50"], r["recall@1"]))
    return Weights(**best["weights"]), results


# -- the benchmark --------------------------------------------------------------------------------

def run_benchmark(
    models: RedialModels, samples: Sequence[RedialSample], *, progress: bool = True,
    extra: Mapping[str, Ranker] | None = None,
) -> dict[str, Any]:
    """Tune the combination on the validation slice, then score every ranker on the test slice."""
    started = time.perf_counter()
    validation = [s for s in samples if s.validation]
    test = [s for s in samples if not s.validation]
    weights, grid = tune_weights(models, validation, progress=progress)
    rankers: dict[str, Ranker] = {
        "popularity": popularity_ranker(models),
        "item-knn (liked) + popularity": item_knn_ranker(models),
        "service rank() (kNN + content + popularity, disliked as negatives)": service_rank_ranker(models),
    }
    if models.bundle.text is not None:
        rankers["text query (seeker's words)"] = text_ranker(models)
        rankers["combined: item-knn + text + popularity"] = combined_ranker(models, weights)
    rankers.update(extra or {})
    results = {name: evaluate_ranker(r, test, desc=name[:24], progress=progress) for name, r in rankers.items()}
    return {
        "benchmark": "ReDial test split -> ml-latest-small",
        "protocol": "one sample per new movie a recommender message mentions that maps to ml-latest-small; "
        "input = seeker words + earlier mentions with the seeker's liked/disliked answers; ranking over all "
        "ml-latest-small movies minus earlier mentions",
        "slices": {
            "validation": f"dialogues with crc32(conversationId) % {VALIDATION_MODULUS} == 0",
            "validation_samples": len(validation),
            "validation_dialogues": len({s.conversation_id for s in validation}),
            "test_samples": len(test),
            "test_dialogues": len({s.conversation_id for s in test}),
        },
        "catalog_items": len(models.item_ids),
        "text_scorer": models.bundle.text is not None,
        "enriched_items": int(models.bundle.text.enriched.sum()) if models.bundle.text is not None else 0,
        "chosen_weights": weights.__dict__.copy(),
        "weight_grid_validation": grid,
        "rankers": results,
        "published": PUBLISHED,
        "dialogue_ranker": "not wired: recommender.dialogue is absent" if "dialogue service" not in results
        else "wired: seeker words -> recommender.dialogue understand/reduce -> plan_query -> ranking.rank",
        "seconds": round(time.perf_counter() - started, 1),
    }


def markdown(report: Mapping[str, Any], command: str) -> str:
    """docs/evaluation/redial.md."""
    s = report["slices"]
    lines = [
        "# ReDial benchmark (ml-latest-small catalog)",
        "",
        (f"Command: `{command}` ({report['seconds']:.0f} s on this machine, "
        f"{report.get('environment', {}).get('cpus', '?')} CPUs)."),
        "",
        (f"Test slice: {s['test_samples']:,} suggestions in {s['test_dialogues']:,} dialogues; validation slice "
        f"({s['validation']}): {s['validation_samples']:,} suggestions in {s['validation_dialogues']:,} dialogues, "
        "used only to choose the combination's weights."),
        "",
        "| ranker | Recall@1 | Recall@10 | Recall@50 | ms / turn |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in report["rankers"].items():
        lines.append(f"| {name} | {r['recall@1']:.3f} | {r['recall@10']:.3f} | {r['recall@50']:.3f} | "
                     f"{r['ms_per_turn']:.1f} |")
    for name, r in report["published"].items():
        cells = [f"{r[k]:.3f}" if r.get(k) is not None else "n/a" for k in ("recall@1", "recall@10", "recall@50")]
        lines.append(f"| *published:* {name} | {' | '.join(cells)} | |")
    w = report["chosen_weights"]
    lines += [
        "",
        (f"Combination weights (validation Recall@10, then @50): item-kNN {w['knn']}, text {w['text']}, "
        f"popularity {w['popularity']}. Text scorer: {report['enriched_items']:,} of {report['catalog_items']:,} "
        "items enriched from TMDB 5000, the rest embedded from title + genres (+ tags)."),
        "",
        "## Protocol",
        "",
        report["protocol"] + ".",
        "",
        ("Caveats against the published rows: they rank ReDial's own 6,924 movies and count every recommender "
        "mention (repeats included); here the catalog is ml-latest-small's 9,742 movies, only suggestions that "
        "map to it by title and year are scored (earlier mentions excluded), and liked/disliked come from the "
        "questionnaire filled in after the dialogue (the published models read sentiment from the text)."),
        "",
        f"Dialogue-service ranker: {report['dialogue_ranker']}.",
        "",
    ]
    return "\n".join(lines)


def plot(report: Mapping[str, Any], path: Path) -> None:
    """Grouped bars of Recall@1/10/50 per ranker, published rows included."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recommender.eval.report import save_figure

    rows = {**report["rankers"], **{f"published: {n}": r for n, r in report["published"].items()}}
    names = list(rows)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for offset, k in zip((-0.27, 0.0, 0.27), KS, strict=True):
        ax.bar(x + offset, [rows[n].get(f"recall@{k}") or 0.0 for n in names], width=0.27, label=f"Recall@{k}")
    ax.set_xticks(x, [n if len(n) < 28 else n[:26] + "..." for n in names], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("recall")
    ax.set_title("ReDial test suggestions ranked over ml-latest-small")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def write_report(report: dict[str, Any], out: Path, command: str, stem: str = "redial") -> dict[str, Path]:
    """<stem>.json, .md and .png under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {kind: out / f"{stem}.{kind}" for kind in ("json", "md", "png")}
    paths["json"].write_text(json.dumps({**report, "command": command}, indent=2) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(report, command), encoding="utf-8")
    plot(report, paths["png"])
    return paths


def run_command(args: Any) -> int:
    """`python -m recommender evaluate --dataset redial`: build, benchmark, write docs/evaluation/redial.*.

    --quick scores every 10th dialogue of each slice (a smoke run; its report goes to --out too).
    """
    import os
    import platform
    from datetime import UTC, datetime

    from recommender.commands.common import settings_from

    settings = settings_from(args)
    progress = not args.no_progress
    started = time.perf_counter()
    samples = load_samples(settings.shared_data_dir / "redial")
    if args.quick:
        samples = [s for s in samples if zlib.crc32(s.conversation_id.encode()) % 50 < 5]
    models = build_models(settings)
    extra = {}
    hooked = dialogue_ranker(models)
    if hooked is not None:
        extra["dialogue service"] = hooked
    report = run_benchmark(models, samples, progress=progress, extra=extra)
    report["quick"] = bool(args.quick)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["environment"] = {
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    }
    command = "python -m recommender evaluate --dataset redial" + (" --quick" if args.quick else "")
    stem = "redial-quick" if args.quick else "redial"  # a smoke run never overwrites the real report
    report["written"] = {k: str(p) for k, p in write_report(report, Path(args.out), command, stem).items()}
    print(json.dumps({k: report[k] for k in ("rankers", "chosen_weights", "slices", "seconds", "written")}))
    return 0
