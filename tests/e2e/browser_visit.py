"""The web widget in a real browser, for the e2e tests: Debian's Chromium, headless, driven by Playwright.

The page is web/ served by `python -m http.server` on a free loopback port (the `web_server` fixture
of conftest.py), as `make run` serves it. The test catalog adds two comedies from 2024 that only the
widget tests ask for: one whose title is markup, both with a cover image. The covers' host is
answered by the test itself (Playwright's routing): no request leaves the machine, and any other
host is refused. Chromium comes from Debian's package (`make browser` installs it); Playwright never
downloads a browser here (CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
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



def add_test_items(database_url: str) -> None:
    from recommender.store import Store

    store = Store(database_url)
    store.upsert_items([{"people": [], "description": "", "url": "", "popularity": None, "attributes": {}, **item}
                        for item in TEST_ITEMS])
    store.engine.dispose()



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



def widget_feedback(stack: Any, session_id: str) -> list[tuple[str, str, float | None]]:
    """(item_id, kind, value) of this web-chat visitor's feedback rows, oldest first."""
    from platforms import feedback_rows

    return feedback_rows(stack, "socketio", session_id)
