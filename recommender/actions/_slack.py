"""A recommendation turn as Slack shows it: Block Kit, a section and a row of buttons per item.

Rasa's Slack channel sends plain text when a message has more than 5 buttons (a recommendation
turn has 12), so the actions give Slack its own `custom` payload, which
`rasa_addons.slack_channel.RecommenderSlackBot` posts with `chat.postMessage`:

    {"text": "<the items as numbered lines: notifications and clients without Block Kit>",
     "blocks": [section (title, year, genres, reason, cover), actions (👍 👎 ☆, Rate ★1-5)] per item
               + [actions ("Other options", "Why these?")]}

Every button's `value` (and every rating option's) is the contract's full payload
(docs/conversation-contract.md); Slack posts it back in an interactive `block_actions` payload,
and the channel hands it to Rasa as the user's message. Everything from the catalog is escaped
for Slack's mrkdwn (`&`, `<`, `>`), so a title cannot mention `@channel` or hide a link. Limits
kept (https://api.slack.com/reference/block-kit): at most 50 blocks, 3,000 characters of section
text, 75 of button text, 2,000 of a button value and 150 of an option value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recommender import feedback as fb
from recommender.actions._text import display_title, numbered_list
from recommender.phrases import genre_name, say
from recommender.types import RecommendedItem

SLACK_CHANNEL = "slack"
# feedback kind -> the phrases key of its button label
OPINION_LABELS = ((fb.LIKE, "like_button"), (fb.DISLIKE, "dislike_button"), (fb.BOOKMARK, "save_button"))
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTION_VALUE = 150
MAX_IMAGE_URL = 3000
MAX_ALT_TEXT = 2000
# two blocks per item and one for "Other options" / "Why these?"
MAX_ITEMS = (MAX_BLOCKS - 1) // 2


def escape(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _web_url(url: Any, limit: int) -> str | None:
    """An http(s) URL Slack may fetch or link, else None."""
    if not isinstance(url, str) or len(url) > limit or any(c.isspace() for c in url):
        return None
    return url if url.lower().startswith(("https://", "http://")) else None


def button(text: str, value: str, action_id: str) -> dict[str, Any] | None:
    """A Block Kit button sending `value` (None when the value exceeds Slack's limit)."""
    if len(value) > MAX_BUTTON_VALUE:
        return None
    return {"type": "button", "action_id": action_id, "value": value,
            "text": {"type": "plain_text", "text": _cut(text, MAX_BUTTON_TEXT), "emoji": True}}


def actions_block(block_id: str, elements: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    kept = [element for element in elements if element is not None][:25]  # an actions block holds 25
    return {"type": "actions", "block_id": block_id, "elements": kept} if kept else None


def _rating_select(position: int, ratings: Sequence[str], lang: str = "en") -> dict[str, Any] | None:
    if not ratings or any(len(value) > MAX_OPTION_VALUE for value in ratings):
        return None  # an item id too long for Slack's option values: the opinion buttons still work
    return {
        "type": "static_select", "action_id": f"rate-{position}",
        "placeholder": {"type": "plain_text", "text": say("rate_menu", lang), "emoji": True},
        "options": [{"text": {"type": "plain_text", "text": "★" * stars, "emoji": True}, "value": value}
                    for stars, value in enumerate(ratings, start=1)],
    }


def item_blocks(position: int, entry: dict[str, Any], title: str, lang: str = "en") -> list[dict[str, Any]]:
    """One item (an entry of the custom payload's `items`): its section, then its buttons (labels in `lang`)."""
    lines = [f"*{position}. {escape(title)}*"]
    if entry.get("genres"):
        lines.append(escape(", ".join(genre_name(str(g), lang) for g in entry["genres"])))
    if entry.get("reason"):
        lines.append(escape(str(entry["reason"])))
    link = _web_url(entry.get("url"), 1000)
    if link is not None:
        lines.append(f"<{link}|{say('more_about_it', lang)}>" if "|" not in link and ">" not in link else escape(link))
    section: dict[str, Any] = {"type": "section", "block_id": f"item-{position}",
                               "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), MAX_SECTION_CHARS)}}
    cover = _web_url(entry.get("image_url"), MAX_IMAGE_URL)
    if cover is not None:
        section["accessory"] = {"type": "image", "image_url": cover, "alt_text": _cut(title, MAX_ALT_TEXT)}
    feedback = entry.get("feedback") or {}
    elements = [button(say(label, lang), feedback[kind], f"{kind}-{position}") for kind, label in OPINION_LABELS
                if kind in feedback]
    elements.append(_rating_select(position, entry.get("ratings") or [], lang))
    actions = actions_block(f"feedback-{position}", elements)
    return [section, actions] if actions is not None else [section]


def blocks_payload(items: Sequence[RecommendedItem], entries: Sequence[dict[str, Any]],
                   more: Sequence[dict[str, str]] = (), lang: str = "en") -> dict[str, Any]:
    """The `custom` payload for Slack: `text` (the items as lines) and `blocks` (a card per item, then `more`)."""
    shown = list(zip(items, entries, strict=True))[:MAX_ITEMS]
    blocks: list[dict[str, Any]] = []
    for position, (rec, entry) in enumerate(shown, start=1):
        blocks.extend(item_blocks(position, entry, display_title(rec), lang))
    if more:
        extra = actions_block("more", [button(b["title"], b["payload"], f"more-{i}") for i, b in enumerate(more)])
        if extra is not None:
            blocks.append(extra)
    return {"text": escape(numbered_list([rec for rec, _ in shown])), "blocks": blocks}
