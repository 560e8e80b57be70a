"""The web widget (web/widget.js) in a real browser: Debian's Chromium, headless, driven by Playwright.

The servers are the real ones (`launch_stack`, with this page's origin as the one CORS origin) and
the page is web/ served by `python -m http.server` on a free loopback port, as `make run` serves it.
The test catalog is MovieLens 100K plus two comedies from 2024 that only these tests ask for: one
whose title is markup, both with a cover image. The covers' host is answered by the test itself
(Playwright's routing): no request leaves the machine, and any other host is refused.

Chromium comes from Debian's package (`make browser` installs it); Playwright never downloads a
browser here (CHROMIUM, default /usr/bin/chromium). The screenshots (the phone-width chat, the
cards with covers) go to results/browser/; WIDGET_SCREENSHOT_DIR=docs/img refreshes the ones the
README and docs/channels.md show.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT_DIR = Path(os.environ.get("WIDGET_SCREENSHOT_DIR", REPO_ROOT / "results" / "browser"))
PHONE = {"width": 390, "height": 844}
TURN_MS = 180_000  # one turn through the browser, on a busy 2-core machine (a hang ceiling, not a target)
COVERS_HOST = "covers.example"
MARKUP_TITLE = "<img src=x onerror=alert(1)>"
TEST_ITEMS = [
    {"item_id": "widget-markup", "title": MARKUP_TITLE, "year": 2024, "genres": ["Comedy"],
     "image_url": f"https://{COVERS_HOST}/markup.png"},
    {"item_id": "widget-cover", "title": "A Cover Test Comedy (2024)", "year": 2024, "genres": ["Comedy"],
     "image_url": f"https://{COVERS_HOST}/cover.png"},
]


def _png(width: int = 60, height: int = 90, rgb: tuple[int, int, int] = (36, 84, 197)) -> bytes:
    """A plain-colour PNG (the covers the test serves)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _add_test_items(database_url: str) -> None:
    from recommender.store import Store

    store = Store(database_url)
    store.upsert_items([{"people": [], "description": "", "url": "", "popularity": None, "attributes": {}, **item}
                        for item in TEST_ITEMS])
    store.engine.dispose()


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """web/ on a free loopback port, as scripts/run_stack.sh serves it; yields its origin."""
    if not (REPO_ROOT / "web" / "vendor" / "socket.io.min.js").is_file():
        pytest.fail("web/vendor/socket.io.min.js is missing: run `make setup` (scripts/build_web.sh)", pytrace=False)
    port = _free_port()
    log = tmp_path_factory.mktemp("web") / "http.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(REPO_ROOT / "web")], stdout=out, stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{origin}/widget.js", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the static file server did not start:\n{log.read_text(errors='replace')}", pytrace=False)
            time.sleep(0.2)
        yield origin
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def widget_stack(stack_launcher: Any, web_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Both servers, allowing the test page's origin only; the catalog has the test's two items."""
    with stack_launcher(tmp_path_factory.mktemp("widget"), web_origin=web_server, prepare=_add_test_items,
                        extra_env={"RECSYS_LLM_BACKEND": "none"}) as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} not found: run `make browser` (Debian's chromium package), or set CHROMIUM",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


class Visit:
    """One browser context on the demo page: what it alerted, logged as errors, and asked of the network."""

    def __init__(self, browser: Any, web_origin: str, rasa_url: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, device_scale_factor=2 if viewport == PHONE else 1)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.url = f"{web_origin}/index.html?rasa={rasa_url}"

    def _route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        elif host == COVERS_HOST:
            route.fulfill(status=200, content_type="image/png", body=_png())
        else:  # nothing leaves the machine
            self.refused.append(route.request.url)
            route.abort()

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.wait_for_selector("#recsys-chat[data-state=online]", timeout=60_000)

    def say(self, text: str) -> None:
        box = self.page.get_by_label("Your message")
        box.fill(text)
        box.press("Enter")  # Enter sends

    def wait_for_cards(self, before: int = 0) -> Any:
        """The card list that arrives after `before` lists."""
        lists = self.page.locator("#recsys-chat ol.recsys-cards")
        self.page.wait_for_function(f"document.querySelectorAll('#recsys-chat ol.recsys-cards').length > {before}",
                                    timeout=TURN_MS)
        return lists.nth(before)

    def bot_said(self, fragment: str) -> None:
        self.page.locator("#recsys-chat .recsys-bot", has_text=fragment).first.wait_for(timeout=TURN_MS)

    def session_id(self) -> str:
        return str(self.page.locator("#recsys-chat").get_attribute("data-session-id"))

    def close(self) -> None:
        self.context.close()


def _feedback(stack: Any, session_id: str) -> list[tuple[str, str, float | None]]:
    """(item_id, kind, value) of this web-chat visitor's feedback rows, oldest first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from recommender.identity import pseudonymous_id, user_key
    from recommender.store import Store
    from recommender.store.models import FeedbackEventRow

    user = pseudonymous_id(user_key("socketio", session_id), stack.user_id_secret)
    store = Store(stack.database_url)
    try:
        stmt = (select(FeedbackEventRow.item_id, FeedbackEventRow.kind, FeedbackEventRow.value)
                .where(FeedbackEventRow.user_id == user).order_by(FeedbackEventRow.id))
        with Session(store.engine) as session:
            return [(r[0], r[1], r[2]) for r in session.execute(stmt).all()]
    finally:
        store.engine.dispose()


def test_widget_recommends_stores_a_like_and_a_rating_and_keeps_the_conversation_across_a_reload(
    widget_stack: Any, web_server: str, browser: Any
) -> None:
    visit = Visit(browser, web_server, widget_stack.rasa_url, PHONE)
    try:
        visit.open()
        assert visit.page.get_by_role("status").filter(has_text="Online").is_visible()
        visit.say("recommend me a funny movie from the 90s")
        typing = visit.page.locator("#recsys-chat .recsys-typing")
        assert typing.is_visible()  # shown until the reply comes
        cards = visit.wait_for_cards().locator("li.recsys-card")
        assert cards.count() >= 2, visit.page.locator("#recsys-chat").inner_text()
        assert typing.is_hidden()
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

        rows = _feedback(widget_stack, session_id)
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
    widget_stack: Any, web_server: str, browser: Any
) -> None:
    visit = Visit(browser, web_server, widget_stack.rasa_url, {"width": 1024, "height": 800})
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


def test_one_script_tag_embeds_the_chat_in_any_page(widget_stack: Any, web_server: str, browser: Any) -> None:
    """web/embed.html has nothing but its text and the one tag: a "Chat" button opens the panel."""
    visit = Visit(browser, web_server, widget_stack.rasa_url, PHONE)
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
