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

    samples.py    ReDial dialogues -> samples and contexts; the cut-offs and the validation slice
    models.py     the ml-latest-small catalog and models, built the service's way
    rankers.py    baseline rankers, the signal combination and its weight tuning
    dialogue.py   the dialogue service's own path as a ranker
    benchmark.py  Recall@k, the benchmark run and the `evaluate --dataset redial` command
    report.py     the markdown report and the chart
"""

from recommender.eval.redial.benchmark import PUBLISHED, evaluate_ranker, recall_at_k, run_benchmark, run_command
from recommender.eval.redial.dialogue import dialogue_ranker
from recommender.eval.redial.models import RedialModels, build_models
from recommender.eval.redial.rankers import (
    WEIGHT_GRID,
    Components,
    Weights,
    combined_ranker,
    components,
    item_knn_ranker,
    popularity_ranker,
    service_rank_ranker,
    text_ranker,
    tune_weights,
)
from recommender.eval.redial.report import markdown, plot, write_report
from recommender.eval.redial.samples import (
    DISLIKED,
    KS,
    LIKED,
    MENTION,
    VALIDATION_MODULUS,
    Ranker,
    RedialContext,
    RedialSample,
    dialogue_samples,
    is_validation,
    load_samples,
    read_mapping,
)

__all__ = [
    "DISLIKED", "KS", "LIKED", "MENTION", "PUBLISHED", "VALIDATION_MODULUS", "WEIGHT_GRID", "Components", "Ranker",
    "RedialContext", "RedialModels", "RedialSample", "Weights", "build_models", "combined_ranker", "components",
    "dialogue_ranker", "dialogue_samples", "evaluate_ranker", "is_validation", "item_knn_ranker", "load_samples",
    "markdown", "plot", "popularity_ranker", "read_mapping", "recall_at_k", "run_benchmark", "run_command", "service_rank_ranker",
    "text_ranker", "tune_weights", "write_report",
]
