"""Whole-message cues that are not about genres: "already seen", "start over", "surprise me",
"other options", and people named after "with" / "directed by".

Each is one pattern over the lower-cased message (`PERSON` over the raw one, as names are
capitalised); `understand` decides what each means in context.
"""

from __future__ import annotations

import re

SEEN = re.compile(
    r"\b(?:already|before)\b.*\b(?:seen|watched|saw|see)\b|\b(?:seen|watched|saw)\b.*\b(?:already|before)\b"
    r"|\b(?:i've|i have|we've|we have|ive|weve|i|we)\s+(?:already\s+|both\s+|all\s+)?(?:seen|watched)\b"
    r"|\bseen\s+(?:it|that|them|those|these|this|all|both|every)\b|\b(?:old news|watched it)\b"
)
NOT_SEEN = re.compile(r"\b(?:never|haven't|havent|have not|not|didn't|didnt|did not)\s+(?:yet\s+)?(?:seen|watched|saw|see)\b")
RESET = re.compile(
    r"\b(?:start(?:ing)? (?:over|again|afresh|fresh|from scratch|anew)|from scratch|reset|begin again|"
    r"new search|clean slate|clear (?:all |the |my |every )*(?:filters?|search|preferences|criteria|everything|that)|"
    r"forget (?:all |everything |about )?(?:that|what i said|the filters|my filters|those filters|all that|everything i said)|"
    r"forget (?:it all|everything)(?=\W*$)|"
    r"(?:scrap|scratch|ditch|bin) (?:all )?(?:that|it))\b"  # "scrap those" is about the list: others
)
# one step back, not a clean slate: "undo that", "go back", "ignore what i just said"
UNDO = re.compile(
    r"\b(?:undo(?: that| it| this| the last (?:one|filter|change|bit|part|thing|step))?|"
    r"go back (?:a|one) step|"  # a bare "go back" may ask for older films
    r"go back to (?:the )?(?:previous|last|earlier) (?:list|search|one|results|picks)|"
    r"back to (?:the )?(?:previous|last|earlier) (?:list|search|results|picks)|back to what (?:we|i|you) had|"
    r"take (?:that|it) back|revert(?: that| it)?|ignore (?:that|what i just said|my last message|the last (?:one|thing))|"
    r"forget what i just said|never ?mind (?:that last (?:bit|part|one)|the last (?:bit|part|one|thing))|"
    r"(?:scratch|scrap) (?:that )?last (?:bit|part|one|thing|change)|one step back|step back)\b"
)
# Words every way of starting over has ("start over", "scrap that", "clean slate", "new search"):
# the NLU's start_over without one of them is a guess, and "could you filter out criminal
# underworld stuff?" went there and wiped the thriller and the era the person had asked for
RESET_WORDS = re.compile(
    r"\b(?:start\w*|strat|restart\w*|reset\w*|begin\w*|scratch|scrap|clear\w*|wipe|clean|fresh|new|square one|"
    r"zero|ignore|forget|never ?mind|undo|erase|anew|afresh|redo|from the top|(?:remove|drop|delete|lose) (?:all|every|the)|"
    r"(?:completely|totally|entirely|something) different|different search|over|again)\b"
)
SURPRISE = re.compile(
    r"\b(?:surprise me|anything(?: is fine| goes| works| at all)?$|whatever|(?:don'?t|do not) (?:really )?(?:mind|care)|"
    # "why did you pick the fourth one" asks about a choice made, it leaves none to the bot
    r"up to you|(?<!why )(?<!why did )(?<!why'd )(?<!why would )(?<!why do )(?<!how did )(?<!what made )"
    r"you (?:choose|pick|decide)(?!\s+(?:the|that|this|those|these|it|them|number|#))|your (?:choice|call|pick)|dealer'?s choice|no preference|i'?m open|"
    r"doesn'?t matter|not picky|random|just recommend|just pick|(?:pick|choose) (?:one |something |anything )?for (?:me|us)|just give me something|anything you like|"
    r"whatever you (?:like|want|think)|i'?m easy|no idea|"
    # boredom asks for anything at all: "i'm so bored", "entertain me", "need to kill some time"
    r"(?:i'?m|i am|so|really|very|super|getting|kinda|bit) bored|bored (?:out of my mind|stiff|to death)|boredom|"
    r"entertain me|kill (?:some )?time|pass the time|"
    # what most people watch: the popularity ranking is the answer
    r"what'?s (?:popular|trending|hot|big)(?: right now| at the moment| these days| now)?|most popular|"
    r"crowd[- ]pleasers?|what (?:everyone|people) (?:is|are) watching|everyone'?s watching|"
    r"(?:top|best|highest)[- ]rated(?: (?:movies|films|ones))?$)\b"
)
OTHER = re.compile(
    r"\b(?:other (?:options|ones|picks|suggestions|titles|movies|films|ideas|recommendations|recs|choices)|others|"
    r"something else|anything else|(?:something|anything) different|alternatives?|"
    r"not those|(?:skip|other than|not feeling) (?:these|those|them)|more of the same|(?:these|those) (?:are not|aren't|arent|don't|do not|ain't)|"
    r"not (?:really |quite )?what i (?:want|wanted|was looking for|had in mind)|^\W*meh(?=\W*$)|"
    r"more(?: recs| recommendations| options| picks| ideas| suggestions| titles| movies| films)?(?=\s*(?:please|pls|plz)?\s*[.!?]*\s*$)|"
    r"different ones?|more options|more suggestions|next|another (?:set|batch|round|list|few)|show me more|more please|"
    r"new ones|not these|none of (?:these|those|them)|more of (?:these|those|that)|some more|give me more|"
    r"a few more|some others|keep (?:going|them coming)|what else|anything more|more choices|other choices|"
    r"different (?:picks|suggestions|options|titles)|try again|"
    r"(?:these|those|they) (?:are|were|all|are all|look|all look|seem|all seem|sound) (?:all )?(?:bad|terrible|awful|boring|meh|lame|rubbish|crap|not great|not good)|"
    r"another(?: one| option| pick| suggestion| title| movie| film)?(?=\s*(?:please|pls|plz)?\s*[.!?]*\s*$))\b"
)
# thanks alone ("ok cool thx"): answered in kind, not with "that's outside what I can help with"
THANKS = re.compile(r"^\W*(?:(?:ok(?:ay)?|cool|great|nice|awesome|perfect|alright|sweet|got it|gotcha|lol|haha|ha)\W+)*"
                    r"(?:thanks?(?: you| a lot| so much| a bunch| heaps)?|thx|thnx|ty|tysm|cheers|much appreciated|"
                    r"appreciate it)(?:\W+(?:so much|a lot|man|mate|buddy|lol|haha|!))*\W*$")
# what an item is, asked of one the words name ("tell me more about #4", "what's the second one about")
ASKS_ABOUT = re.compile(
    r"\b(?:tell me (?:more |a bit |a little |something )?about|what(?:'s|s| is| was) (?:\S+ ){0,4}about\b|"
    r"(?:more )?(?:info|information|details) (?:on|about)|describe|what kind of (?:movie|film) is)"
)
# a shorter list asked for: "fewer please", "too many to pick from" (a count relative to the last list)
FEWER = re.compile(
    r"\b(?:fewer|less) (?:options|picks|choices|results|suggestions|titles|movies|films|recommendations|of them|at a time)\b"
    r"|\bfewer\b(?=\s*(?:please|pls|plz|this time|next time)?\s*(?:$|[.!?,]))|\bgive me fewer\b|"
    r"\btoo many (?:options|choices|picks|results|titles|movies|films|to (?:pick|choose) from)\b|"
    r"\bnot (?:so|that|as|too) many\b|\b(?:shorter|smaller) list\b"
)
# a control phrase said not to be wanted: "don't start over", "no need for more options"
NEGATED_CONTROL = re.compile(
    r"\b(?:don'?t|do not|didn'?t|did not|no need to|no need for|(?<!why )not|never|without|(?:don'?t|do not) (?:need|want)(?: to)?|"
    r"no|stop)\s+(?:(?:any|the|a|an)\s+)?$"
)


def unnegated(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of a control phrase that is not said not to be wanted."""
    return next((m for m in pattern.finditer(text) if not NEGATED_CONTROL.search(text[: m.start()])), None)


# the person's own past, not an audience: "from when i was a kid in the 80s" asks for no children's film
OWN_CHILDHOOD = re.compile(
    r"\b(?:when|since|back when|while) (?:i|we) (?:was|were) (?:a |an |just a |only a |little |young |small )?"
    r"(?:kids?|child|children|boy|girl|teens?|teenagers?|little|young|growing up)\b(?:\s+(?:kid|kids|child|one))?"
    r"|\b(?:my|our) (?:childhood|youth|teens|teenage years)\b|\bgrowing up\b"
)
# how the person feels, not what the film should be: "i'm feeling sad, cheer me up", "i feel sad
# today, something funny please" ("a sad movie" and "something sad" still ask for a drama)
OWN_FEELING = re.compile(
    r"\b(?:i'?m|i am|i feel|i'?ve been|i was|been|feeling|felt)\s+(?:feeling\s+)?"
    r"(?:so |really |very |a bit |a little |kinda |kind of |pretty |quite |super )?"
    r"(?:sad|down|low|blue|depressed|upset|lonely|gloomy|miserable|stressed|anxious|tired|bored|scared|sick)\b(?!\s+of\b)"  # "i'm scared of horror" refuses horror
)
# the person's day, not the film: "my day has been a total horror show", "work was a nightmare"
OWN_DAY = re.compile(
    r"\b(?:my|our|the|this|today|tonight|work|school|life)\s*(?:day|week|weekend|morning|evening|night|life|job|work|boss|"
    r"commute|month|year|shift|family|date|exam|meeting)?s?\s+(?:has been|have been|was|is|were|felt like|feels like|'s been|'s)\s+"
    r"(?:a |an |such a |such an |like a |like an |)(?:total |complete |absolute |real |bit of a |kind of a |living |)"
    r"(?:horror show|horror story|horror|nightmare|drama|comedy of errors|tragedy|disaster|mess|circus|thriller|war zone|"
    r"war|soap opera|western|mystery)\b"
)
# a person refused: the words right before the name ("no Tom Cruise", "nothing with Jim Carrey",
# "anything but Stephen King", "i can't stand Adam Sandler")
_REFUSING = (r"no|not|without|except|minus|anything but|everything but|nothing|no more|hate|hated|can'?t stand|"
             r"cannot stand|dislike|skip|avoid|not a fan of|sick of|tired of|enough of")
REFUSED_PERSON = re.compile(
    rf"\b(?:{_REFUSING})\s+(?:any\s+|more\s+|the\s+)?(?:(?:movies?|films?|books?|novels?|stuff)\s+)?"
    r"(?:(?:with|by|starring|featuring|from|directed by|written by)\s+)?$"
)
# a capitalised name right after a refusal, where the NLU tagged none ("no Tom Cruise movies")
REFUSED_NAME = re.compile(
    rf"\b(?i:{_REFUSING})\s+(?:(?i:movies|films|books)\s+)?(?:(?i:with|by|starring|featuring)\s+)?"
    r"(?P<name>[A-Z][a-zA-Z'.-]+(?:\s+(?:[A-Z][a-zA-Z'.-]+|de|van|von|del|da)){1,2})"
)
PERSON = re.compile(
    r"\b(?:with|starring|featuring|stars|by|directed by|from director|actor|actress)\s+"
    r"(?P<name>[A-Z][a-zA-Z'.-]+(?:\s+(?:[A-Z][a-zA-Z'.-]+|de|van|von|del|da)){1,3})"
)


_PERSON_CUE = re.compile(r"\b(?:by|with|starring|featuring|stars|directed by|director|actor|actress|author|written by)\s+$")


def names_a_person(value: str, raw: str) -> bool:
    """Whether the NLU's person is a name: two words or more, written with a capital, or after "by",
    "starring"...; "journeys" of "grand journeys, treasure hunting" and "hollywood" of "classic
    hollywood" were reported as people the catalog has no data on."""
    if not value:
        return False
    if " " in value or re.search(rf"\b{re.escape(value[:1].upper() + value[1:])}\b", raw):
        return True
    idx = raw.lower().find(value.lower())
    return idx >= 0 and _PERSON_CUE.search(raw.lower()[:idx]) is not None
