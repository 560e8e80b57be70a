"""The web widget (web/widget.js) in a real browser: Debian's Chromium, headless, driven by Playwright.

The servers are the real ones (`channels_stack`, with the test page's origin as the one CORS origin)
and the page is web/ served on a free loopback port, as `make run` serves it (tests/e2e/browser_visit.py
has the catalog's test items, the covers and the visit). The screenshots (the phone-width chat, the
cards with covers) go to results/browser/; WIDGET_SCREENSHOT_DIR=docs/img refreshes the ones the
README and docs/channels.md show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from browser_visit import COVERS_HOST, MARKUP_TITLE, PHONE, Visit, widget_feedback

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("WIDGET_SCREENSHOT_DIR", REPO_ROOT / "results" / "browser"))
# Records every change of the typing indicator with how many card lists the chat held at that moment.
TRACK_TYPING = """() => {
  const typing = document.querySelector('#recsys-chat .recsys-typing');
  window.__typingChanges = [];
  new MutationObserver(() => window.__typingChanges.push({
    shown: !typing.hidden, cardLists: document.querySelectorAll('#recsys-chat ol.recsys-cards').length,
  })).observe(typing, {attributes: true, attributeFilter: ['hidden']});
}"""


def test_widget_recommends_stores_a_like_and_a_rating_and_keeps_the_conversation_across_a_reload(
    channels_stack: Any, web_server: str, browser: Any
) -> None:
    visit = Visit(browser, web_server, channels_stack.rasa_url, PHONE)
    try:
        visit.open()
        assert visit.page.get_by_role("status").filter(has_text="Online").is_visible()
        # The typing dots are shown from the send until the reply: recorded in the page as they change
        # (asking "visible now?" after the send raced with a fast reply on a busy machine).
        visit.page.evaluate(TRACK_TYPING)
        visit.say("recommend me a funny movie from the 90s")
        cards = visit.wait_for_cards().locator("li.recsys-card")
        assert cards.count() >= 2, visit.page.locator("#recsys-chat").inner_text()
        typing = visit.page.locator("#recsys-chat .recsys-typing")
        assert typing.is_hidden()
        changes = visit.page.evaluate("window.__typingChanges")
        assert {"shown": True, "cardLists": 0} in changes, changes  # shown before any list arrived
        first, second = cards.nth(0), cards.nth(1)
        assert first.locator(".recsys-card-reason").is_visible() and first.locator(".recsys-card-meta").is_visible()
        # quick replies are buttons; the "👍 1" chips are left out beside the cards' own buttons
        visit.page.get_by_role("group", name="Suggested replies").get_by_role("button", name="Other options").wait_for()
        assert visit.page.locator("#recsys-chat .recsys-chip-feedback").count() == 0
        first_id, second_id = first.get_attribute("data-item-id"), second.get_attribute("data-item-id")
        session_id = visit.session_id()
        assert "." in session_id  # the signed id the server issued (<random>.<hmac>)

        # like by keyboard: a real button, focus visible, Enter presses it
        like = first.locator("button.recsys-fb-like")
        assert (like.get_attribute("aria-label") or "").startswith("Like ")
        like.focus()
        assert visit.page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        visit.page.keyboard.press("Enter")
        visit.bot_said("Noted: you like")
        assert like.get_attribute("aria-pressed") == "true"
        # a rating of 4 on the second card, by pointer
        second.get_by_role("button", name="4 of 5 stars").click()
        visit.bot_said("4/5")

        rows = widget_feedback(channels_stack, session_id)
        assert rows == [(first_id, "like", None), (second_id, "rating", 4.0)], rows

        # readable at phone width: nothing wider than the screen
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        visit.page.locator("#recsys-chat .recsys-log").evaluate("log => { log.scrollTop = 0; }")
        cards.first.scroll_into_view_if_needed()
        visit.page.screenshot(path=str(SCREENSHOT_DIR / "widget-phone.png"))

        shown = visit.page.locator("#recsys-chat .recsys-log").inner_text()
        visit.page.reload()
        visit.page.wait_for_selector("#recsys-chat[data-state=online]", timeout=60_000)
        assert visit.session_id() == session_id  # the same conversation, not a new one
        again = visit.page.locator("#recsys-chat li.recsys-card")
        assert [again.nth(i).get_attribute("data-item-id") for i in range(2)] == [first_id, second_id]
        assert again.first.locator("button.recsys-fb-like").get_attribute("aria-pressed") == "true"
        assert visit.page.locator("#recsys-chat .recsys-log").inner_text() == shown
        assert "recommend me a funny movie from the 90s" in shown
        assert not visit.errors and not visit.dialogs and not visit.refused, (visit.errors, visit.dialogs, visit.refused)
    finally:
        visit.close()


def test_markup_in_a_catalog_title_is_shown_as_text_and_covers_are_shown(
    channels_stack: Any, web_server: str, browser: Any
) -> None:
    visit = Visit(browser, web_server, channels_stack.rasa_url, {"width": 1024, "height": 800})
    try:
        visit.open()
        visit.say("a comedy from the 2020s")
        cards = visit.wait_for_cards()
        markup = cards.locator("li.recsys-card[data-item-id=widget-markup]")
        markup.wait_for(timeout=5_000)
        assert markup.locator(".recsys-card-title").text_content() == MARKUP_TITLE
        assert markup.locator(".recsys-card-title *").count() == 0  # text, not an element
        assert visit.page.locator("img[src=x]").count() == 0
        assert (markup.locator("button.recsys-fb-like").get_attribute("aria-label") or "").endswith(MARKUP_TITLE)

        cover = cards.locator("li.recsys-card[data-item-id=widget-cover] img.recsys-card-image")
        assert cover.get_attribute("src") == f"https://{COVERS_HOST}/cover.png"
        visit.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=cover.element_handle(), timeout=10_000
        )
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        cards.screenshot(path=str(SCREENSHOT_DIR / "widget-covers.png"))
        # a card of an item without a picture (MovieLens) has none
        visit.say("recommend me a drama from the 70s")
        plain = visit.wait_for_cards(1).locator("li.recsys-card")
        assert plain.count() >= 1 and plain.locator("img").count() == 0

        visit.page.wait_for_timeout(500)  # an onerror handler would have run by now
        assert visit.dialogs == [], visit.dialogs
        assert not visit.errors and not visit.refused, (visit.errors, visit.refused)
    finally:
        visit.close()


def test_one_script_tag_embeds_the_chat_in_any_page(channels_stack: Any, web_server: str, browser: Any) -> None:
    """web/embed.html has nothing but its text and the one tag: a "Chat" button opens the panel."""
    visit = Visit(browser, web_server, channels_stack.rasa_url, PHONE)
    visit.url = visit.url.replace("/index.html", "/embed.html")
    try:
        visit.page.goto(visit.url)
        visit.page.get_by_role("button", name="Open the chat").click()
        launcher = visit.page.locator("button.recsys-launcher")
        panel = visit.page.locator("section.recsys-floating")
        assert panel.is_visible() and launcher.is_hidden()  # the panel covers the corner the button was in
        panel.locator(".recsys-bot").first.wait_for(timeout=60_000)  # connected and greeted
        assert visit.page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.id") \
            .startswith("recsys-input-")  # the message box has the focus
        box = panel.get_by_label("Your message")
        assert box.bounding_box()["width"] > 200 and panel.bounding_box()["width"] <= PHONE["width"]
        visit.page.keyboard.press("Escape")
        assert panel.is_hidden() and launcher.is_visible() and launcher.get_attribute("aria-expanded") == "false"
        assert visit.page.evaluate("document.activeElement.className") == "recsys-launcher"
        assert not visit.errors and not visit.dialogs and not visit.refused, (visit.errors, visit.dialogs, visit.refused)
    finally:
        visit.close()


def test_a_chinese_turn_gets_chinese_card_buttons(channels_stack: Any, web_server: str, browser: Any) -> None:
    """The widget writes its card buttons in the payload's language (docs/chinese.md)."""
    visit = Visit(browser, web_server, channels_stack.rasa_url, PHONE)
    try:
        visit.open()
        visit.say("推荐几部九十年代的喜剧片")
        first = visit.wait_for_cards().locator("li.recsys-card").first
        assert first.get_attribute("data-lang") == "zh"
        assert first.locator("button.recsys-fb-like .recsys-fb-label").inner_text() == "喜欢"
        assert first.locator("button.recsys-fb-bookmark .recsys-fb-label").inner_text() == "收藏"
    finally:
        visit.close()
