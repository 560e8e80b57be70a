"""The dialogue service's own path as a ReDial ranker: each seeker message read by
`recommender.dialogue`, reduced into one state, planned and ranked as the service does.

Apart from the baseline rankers because it is the one bridge from the benchmark to the dialogue
package (and is simply left out when that package cannot be imported).
"""

from __future__ import annotations

from recommender.eval.redial.models import RedialModels
from recommender.eval.redial.samples import KS, Ranker, RedialContext


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
