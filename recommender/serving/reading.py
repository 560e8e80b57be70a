"""Reading a turn: the message (and its NLU hints) as dialogue acts, and the state they lead to.

Understanding itself lives in `recommender.dialogue`; this module gives it the served catalog's
view (cached per bundle), the stored state (or, for older callers, the raw-word fields of the
context), and maps an explicit `Critique` from a button to acts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from recommender.context import parse_ordinal
from recommender.dialogue.acts import (
    Act,
    AllowGenres,
    ClearEra,
    DropGenres,
    ExcludeGenres,
    LikeItems,
    OtherOptions,
    RejectItems,
    SeenItems,
    SetCount,
    SetEra,
    ShiftEra,
    Surprise,
    Undo,
    Unknown,
    WidenEra,
    is_search,
)
from recommender.dialogue.chinese import has_chinese, to_english
from recommender.dialogue.cues import ASKS_ABOUT, SURPRISE
from recommender.dialogue.eras import find_eras
from recommender.dialogue.lexicon import genre_for_word, genre_name_forms, terms_for
from recommender.dialogue.reducer import reduce
from recommender.dialogue.references import ordinal_refs
from recommender.dialogue.state import DialogueState
from recommender.dialogue.understand import CatalogView, EntityHint, Turn, understand
from recommender.retrieval.bundle import ModelBundle
from recommender.types import ConversationContext, Critique

_ASKS_FOR_SOMETHING = re.compile(
    r"\b(?:movies?|films?|flicks?|pictures?|cinema|something|anything|watch|watching|see|seeing|recommend|suggest|"
    r"show|give|find|looking|look|want|wanna|need|fancy|crave|craving|mood|feel like|up for|go for|could do with|"
    r"would love|love|like|enjoy|into|bring|queue|put on|play|tonight|evening|weekend|date|got|have you|any|some|"
    r"one|ones|stuff|titles?|picks?|options?|prefer|preferably|ideally|how about|what about|maybe|perhaps|"
    r"instead|rather|more|else|less|no|not|nothing|none|without|skip|from|before|after|older|newer|earlier|later|"
    r"also|as well|add|better|"
    r"\d{2,4}s?)\b"
)
# Words a message of these intents holds ("my saved list", "why these?", "bye"). Without them, a message
# the NLU sent there that reads as a search ("show me science fiction" as show_saved, "show me something
# that makes me laugh" as ask_why, both seen in the simulator) is answered as the search it is.
_INTENT_WORDS = {
    "show_saved": re.compile(r"\b(?:sav(?:e|ed|ing)|bookmark\w*|watch ?list|my list|favou?rites?|starred|kept)\b"
                             r"|收藏|保存|片单|清单|存"),
    "ask_why": re.compile(r"\b(?:why|how come|reasons?|explain\w*|because|what makes)\b|为什么|为啥|理由|原因|怎么"),
    # "year-wise i'm thinking late 70's" went to goodbye in the simulator and ended the conversation;
    # a thank-you alone is no farewell word: "thanks!" is a goodbye (no search in it), "thanks, now a
    # comedy" a search
    # "forget me", "delete my ratings": the person or their data; "forget the decade" takes back a filter
    "forget_me": re.compile(r"\b(?:me|my|mine|myself|i|i'm|im|data|account|profile|history|ratings?|likes|info|"
                            r"information|everything|personal|gdpr|who i am|us|our)\b|我|数据|资料|记录|账号|档案"),
    "goodbye": re.compile(r"\b(?:bye+|goodbye|good-bye|see (?:you|ya|u)|later|laters|cya|ttyl|good ?night|nighty(?:[- ]night)?|night night|"
                          # "night!" alone says goodbye; "beer and explosions kinda night" asks for a film
                          r"(?<=^)(?:ok(?:ay)?\W+)?(?:night|nite)(?=\W*$)|"
                          r"ciao|farewell|take care|that'?s (?:all|it)|i'?m (?:done|off|out)|gotta go|have to go|"
                          r"adios)\b|再见|拜拜|回见|晚安|下次见|先这样|走了"),
}


@lru_cache(maxsize=8)
def _genre_noun_phrase(vocabulary: tuple[str, ...]) -> re.Pattern[str]:
    """A genre named as a thing to watch, at any length: an article or a plain adjective before a
    catalog genre name or a phrase for one ("I'd say a good drama", "a detective story"); "at war
    with my boss" has none."""
    forms = set(genre_name_forms(vocabulary)) | {f for f in terms_for(vocabulary) if " " in f}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"\b(?:a|an|some|any|good|great|nice|decent|proper|solid|classic|fun)\s+(?:\w+\s+)?"
                      rf"(?:{alternatives})s?\b")


@dataclass(frozen=True)
class TurnReading:
    """What a message does to the search, read once for the actions that must decide on it.

    `kind`: "seen" (items already seen), "search" (a genre, era, reference, ...) or "none";
    `names_an_item`: whether the words name a catalog item as understanding reads them (a title,
    or one the catalog lacks): the NLU's title guess inside a genre phrase ("story" of "not a love
    story") names none, and such a turn is the search it reads as; `about_an_item`: whether it asks
    what an item it names is ("tell me more about #4", "what's the second one about").
    """

    kind: str
    names_an_item: bool
    about_an_item: bool = False


def _english(text: str) -> str:
    """The message lower-cased, a Chinese one in the English words understanding reads."""
    return (to_english(text) if has_chinese(text) else text).lower()


class TurnReader:
    """Turns a conversation context into (state before, acts, state after) against one bundle's catalog."""

    def __init__(self) -> None:
        self._view: tuple[ModelBundle, CatalogView] | None = None

    def read(
        self, bundle: ModelBundle, ctx: ConversationContext, extra_acts: tuple[Act, ...] = ()
    ) -> tuple[DialogueState, tuple[Act, ...], DialogueState]:
        """(state before, this turn's acts, state after)."""
        view = self.view(bundle)
        before = state_of(ctx)
        acts = understand(turn_input(ctx), before, view) + extra_acts
        return before, acts, reduce(before, acts)

    def view(self, bundle: ModelBundle) -> CatalogView:
        """The catalog as understanding sees it: genre names, strict title lookup, years (one per bundle)."""
        cached = self._view
        if cached is not None and cached[0] is bundle:
            return cached[1]
        index = bundle.index

        def find_title(text: str) -> str | None:
            row = index.find_title(text, bundle.popularity.scores)
            return index.items[row].item_id if row is not None else None

        def year_of(item_id: str) -> int | None:
            row = index.position.get(item_id)
            return index.items[row].year if row is not None else None

        def title_of(item_id: str) -> str | None:
            row = index.position.get(item_id)
            return index.items[row].title if row is not None else None

        years = [item.year for item in index.items if item.year is not None]
        edges = (int(np.percentile(years, 10)), int(np.percentile(years, 90))) if len(years) >= 10 else None
        view = CatalogView(tuple(index.genre_names), find_title, year_of, edges, max(years) if years else None, title_of)
        self._view = (bundle, view)
        return view

    def read_turn(self, bundle: ModelBundle, ctx: ConversationContext) -> TurnReading:
        """What this message does, whatever intent the NLU gave it (understanding runs once)."""
        before, acts, _ = self.read(bundle, ctx)
        names_item = any(
            isinstance(a, (LikeItems, RejectItems, SeenItems)) or (isinstance(a, Unknown) and a.attribute == "title")
            for a in acts
        )
        text = _english(ctx.text)
        about = ASKS_ABOUT.search(text) is not None and (
            bool(ordinal_refs(text, before.last_items or ctx.last_item_ids)) or names_item
        )
        return TurnReading(self._kind(bundle, ctx, before, acts), names_item, about)

    @staticmethod
    def _kind(bundle: ModelBundle, ctx: ConversationContext, before: DialogueState, acts: tuple[Act, ...]) -> str:
        if any(isinstance(a, SeenItems) for a in acts):
            return "seen"
        if any(isinstance(a, (OtherOptions, ExcludeGenres, ShiftEra, SetCount)) for a in acts) and (
            before.last_items or ctx.last_item_ids
        ):
            return "search"  # "others?", "nothing with aliens", "too recent", "just two more" right after a list
        if any(isinstance(a, (ClearEra, WidenEra, DropGenres, AllowGenres)) for a in acts) and before.constrained:
            return "search"  # "forget the decade", "drop the comedy": taking back what was asked for
        if any(isinstance(a, Undo) for a in acts) and before.undo:
            return "search"  # "undo that" (the NLU calls it a no) when there is a step to go back
        text = _english(ctx.text)  # one test for both languages
        if not is_search(acts):
            # "surprise me", "I'm bored, entertain me" ask for a list whatever the NLU called them (a
            # bare yes is a Surprise act too, but asks for one only after an offer: not read here)
            surprise = any(isinstance(a, Surprise) for a in acts) and SURPRISE.search(text)
            return "search" if surprise else "none"
        # the NLU did not call this a search: words that merely imply a genre ("are you serious?",
        # "at war with my boss") are not enough; an answer to the bot's question, a sentence that asks
        # for something to watch, or a short one naming a genre ("sci fi pls") is
        vocabulary = tuple(bundle.index.genre_names)
        names_genre = len(text.split()) <= 4 and any(
            re.search(rf"\b{re.escape(form)}s?\b", text) for form in genre_name_forms(vocabulary)
        )
        asks = (before.asked is not None or names_genre or _ASKS_FOR_SOMETHING.search(text)
                or _genre_noun_phrase(vocabulary).search(text))
        return "search" if asks else "none"

    def judged_items(self, bundle: ModelBundle, ctx: ConversationContext, *, liked: bool) -> tuple[str, ...]:
        """The catalog items the words say the person likes ("I loved Fargo and Pulp Fiction") or,
        with `liked` False, dislikes ("i hated titanic and the godfather")."""
        before, acts, _ = self.read(bundle, ctx)
        judged = LikeItems if liked else RejectItems
        said = tuple(dict.fromkeys(i for a in acts if isinstance(a, judged) for i in a.item_ids))
        if said:
            return said
        # the kind came from elsewhere (the NLU's "meh", "thumbs down"): the list's items the words point at
        # ("the last two, meh", "thumbs down on all of them")
        text = _english(ctx.text)
        return tuple(dict.fromkeys(i for ids, _span in ordinal_refs(text, before.last_items or ctx.last_item_ids)
                                   for i in ids))

    def misrouted_search(self, bundle: ModelBundle, ctx: ConversationContext) -> bool:
        """Whether a message the NLU gave a non-search intent (saved items, "why") holds none of
        that intent's words and reads as a search: then it is answered as one."""
        words = _INTENT_WORDS.get(ctx.intent or "")
        if words is None or ctx.text.startswith("/") or words.search(ctx.text.lower()):
            return False
        return self.read_turn(bundle, ctx).kind == "search"

    def critique_acts(self, bundle: ModelBundle, ctx: ConversationContext, critique: Critique) -> tuple[Act, ...]:
        """A button's critique ("older", "no horror", "more like #2", "other options") as acts."""
        view = self.view(bundle)
        state = state_of(ctx)
        acts: list[Act] = []
        if critique.older or critique.newer:
            direction = -1 if critique.older else 1
            acts.append(ShiftEra(direction, pivot_year(bundle, state.last_items or ctx.last_item_ids, direction)))
        if critique.exclude_genres:
            excluded = tuple(g for w in critique.exclude_genres for g in genre_for_word(w, view.genre_names)[:1])
            if excluded:
                acts.append(ExcludeGenres(excluded))
        if critique.more_like:
            row = resolve_row(bundle, ctx.last_item_ids, critique.more_like)
            if row is not None:
                acts.append(LikeItems((bundle.index.items[row].item_id,)))
        if critique.other_options or not acts:
            acts.append(OtherOptions())
        return tuple(acts)


def turn_input(ctx: ConversationContext) -> Turn:
    """This turn's words; a button payload ("/inform_preference{...}") is read through its entities.

    Older callers without a state pass raw words in the context's fields: they become hints.
    """
    text = ctx.text
    if text.startswith("/"):
        text = " ".join(h.value for h in ctx.entities if h.entity in ("refinement", "llm_text"))
    hints = ctx.entities
    if ctx.state is None:
        hints += tuple(
            [EntityHint("genre", g) for g in ctx.genres]
            + [EntityHint("genre", g, "exclude") for g in ctx.exclude_genres]
            + [EntityHint("mood", m) for m in ctx.moods]
            + [EntityHint("person", p) for p in ctx.people]
            + [EntityHint("title", t) for t in ctx.liked_titles]
        )
    return Turn(text=text, intent=ctx.intent, entities=hints)


def state_of(ctx: ConversationContext) -> DialogueState:
    """The persisted state, or (older callers) the year window and lists kept in the context."""
    if ctx.state is not None:
        state = ctx.state
    else:
        acts: list[Act] = []
        if ctx.year_from is not None or ctx.year_to is not None:
            acts.append(SetEra(ctx.year_from, ctx.year_to))
        for words in (ctx.decade, ctx.year):
            if words:
                acts += [SetEra(p.year_from, p.year_to, p.replace) for p in find_eras(words.lower()) if not p.shift]
        state = replace(reduce(DialogueState(), acts), turns=0, shown_items=ctx.shown_item_ids,
                        last_items=ctx.last_item_ids, rejected_items=ctx.rejected_item_ids)
    if ctx.rejected_item_ids:  # dislikes recorded by the feedback action
        state = replace(state, rejected_items=tuple(dict.fromkeys(state.rejected_items + ctx.rejected_item_ids)))
    if not state.last_items and ctx.last_item_ids:
        state = replace(state, last_items=ctx.last_item_ids)
    if ctx.shown_item_ids:
        state = replace(state, shown_items=tuple(dict.fromkeys(state.shown_items + ctx.shown_item_ids)))
    return state


def resolve_row(bundle: ModelBundle, last_item_ids: tuple[str, ...], ref: str) -> int | None:
    """An ordinal into the last list ('second', 'last'), a catalog id, or a title -> catalog row."""
    ordinal = parse_ordinal(ref)
    if ordinal is not None and not (ref.strip().isdigit() and ref.strip() in bundle.index.position):
        if not last_item_ids:
            return None
        position = len(last_item_ids) - 1 if ordinal == -1 else ordinal - 1
        if 0 <= position < len(last_item_ids):
            return bundle.index.position.get(last_item_ids[position])
        return None
    if ref in bundle.index.position:
        return bundle.index.position[ref]
    return bundle.index.find_title(ref, bundle.popularity.scores)


def pivot_year(bundle: ModelBundle, item_ids: tuple[str, ...], direction: int) -> int | None:
    """The year "older" (-1) or "newer" (+1) is relative to: the oldest or newest of these items."""
    index = bundle.index
    years = [y for i in item_ids if i in index.position and (y := index.items[index.position[i]].year) is not None]
    if not years:
        return None
    return min(years) if direction < 0 else max(years)
