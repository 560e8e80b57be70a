/*
 * Chat widget for the Rasa recommender, over Rasa's socket.io channel (Rasa 3.6, python-socketio 5;
 * socket.io-client 4, vendored into web/vendor/ by scripts/build_web.sh).
 *
 * Embed it in any page with one tag (docs/channels.md):
 *
 *   <script src="https://chat.example.org/widget.js" data-rasa="https://bot.example.org" defer></script>
 *
 * It loads its stylesheet (widget.css) and the socket.io client (vendor/socket.io.min.js) from where
 * widget.js itself came from. Settings are data- attributes of that script tag:
 *   data-rasa      the Rasa server (default http://127.0.0.1:5005); the page's origin must be in
 *                  the server's RECSYS_CORS_ORIGINS
 *   data-target    CSS selector of an element to fill with the chat (default: a "Chat" button in the
 *                  corner that opens it as a panel)
 *   data-title     the chat's heading (default "Recommendations")
 *   data-greeting, data-placeholder  the first message shown, and the hint in the empty message box
 *   data-history   where the rendered conversation is kept across reloads: "session" (this tab,
 *                  the default), "local" (this browser) or "off"
 *   data-rasa-from-url  lets the page's ?rasa=<url> choose the server, loopback URLs only (the demo
 *                  page uses it so `make run` on other ports works; never needed elsewhere)
 * window.RecsysChat.mount(element, options) mounts more chats by hand (options: the same names).
 *
 * Protocol: emit "session_request" {session_id}; receive "session_confirm" with the id the server
 * issued (signed; stored and sent back next time, see rasa_addons/socketio_channel.py); emit
 * "user_uttered" {message, session_id}; receive "bot_uttered": {text}, {text, quick_replies},
 * {attachment}, or a payload of docs/conversation-contract.md ({type: "recommendations" |
 * "saved_items", items: [{item_id, title, year, genres, reason, url, image_url, feedback, ratings}]}).
 *
 * Everything from the bot or the catalog is set as text (textContent, attributes), never as HTML;
 * links and images must be http(s).
 */
(function () {
  "use strict";

  var DEFAULT_RASA = "http://127.0.0.1:5005";
  var DEFAULT_TITLE = "Recommendations";
  var DEFAULT_GREETING = "Hi! Tell me what you're in the mood for, e.g. “a funny movie from the 90s”.";
  var DEFAULT_PLACEHOLDER = "e.g. a funny movie from the 90s";
  var SESSION_KEY = "recsys-chat-session-id";
  var HISTORY_KEY = "recsys-chat-history";
  var HISTORY_LIMIT = 60; // entries (messages and cards) kept across a reload; older ones are dropped
  var TYPING_TIMEOUT_MS = 60000;
  var STAR = "★";
  // the card buttons' words in the language of the bot's payload (`language`, docs/chinese.md)
  var OPINIONS = {
    en: {
      like: { icon: "👍", verb: "Like", done: "Liked" },
      dislike: { icon: "👎", verb: "Dislike", done: "Disliked" },
      bookmark: { icon: "☆", verb: "Save", done: "Saved" }
    },
    zh: {
      like: { icon: "👍", verb: "喜欢", done: "已喜欢" },
      dislike: { icon: "👎", verb: "不喜欢", done: "不喜欢" },
      bookmark: { icon: "☆", verb: "收藏", done: "已收藏" }
    }
  };
  function opinionWords(language) { return OPINIONS[language] || OPINIONS.en; }
  var SCRIPT = document.currentScript;
  var BASE = SCRIPT && SCRIPT.src ? new URL(".", SCRIPT.src).href : new URL(".", window.location.href).href;

  // ---------------------------------------------------------------- small helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function button(className, text, label) {
    var node = el("button", className, text);
    node.type = "button";
    if (label) { node.setAttribute("aria-label", label); }
    return node;
  }

  function safeHttpUrl(url) {
    if (!url) { return null; }
    try {
      var parsed = new URL(String(url), window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function isLoopback(url) {
    try {
      var host = new URL(url).hostname;
      return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
    } catch (e) {
      return false;
    }
  }

  /** "Godfather, The (1972)" -> "The Godfather (1972)" (the catalog's sort order undone). */
  function readableTitle(title) {
    var m = /^(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)( \(.*\))?$/.exec(String(title || "").trim());
    return m ? m[2] + " " + m[1] + (m[3] || "") : String(title || "");
  }

  function storageOf(kind) {
    try {
      return kind === "local" ? window.localStorage : kind === "session" ? window.sessionStorage : null;
    } catch (e) {
      return null; // storage blocked: the conversation lasts one page
    }
  }

  function readJson(store, key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }

  function writeJson(store, key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* full or blocked: not kept */ }
  }

  function scriptOptions(script) {
    var options = {};
    if (!script) { return options; }
    ["rasa", "target", "title", "history", "greeting", "placeholder"].forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) { options[name] = value; }
    });
    if (script.hasAttribute("data-rasa-from-url")) {
      var fromUrl = new URLSearchParams(window.location.search).get("rasa");
      if (fromUrl && isLoopback(fromUrl)) { options.rasa = fromUrl; }
    }
    return options;
  }

  // ---------------------------------------------------------------- loading what the widget needs

  function loadStylesheet() {
    var href = new URL("widget.css", BASE).href;
    var links = document.querySelectorAll("link[rel=stylesheet]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].href === href) { return; }
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  var ioWaiters = null;
  function withSocketIo(callback) {
    if (typeof window.io === "function") { callback(true); return; }
    if (ioWaiters) { ioWaiters.push(callback); return; }
    ioWaiters = [callback];
    var script = document.createElement("script");
    script.src = new URL("vendor/socket.io.min.js", BASE).href;
    var done = function (ok) {
      var waiting = ioWaiters;
      ioWaiters = null;
      waiting.forEach(function (cb) { cb(ok && typeof window.io === "function"); });
    };
    script.onload = function () { done(true); };
    script.onerror = function () { done(false); };
    document.head.appendChild(script);
  }

  // ---------------------------------------------------------------- the chat

  function Chat(root, options) {
    this.root = root;
    this.options = options || {};
    this.rasa = this.options.rasa || window.RASA_URL || DEFAULT_RASA;
    this.sessions = storageOf("local"); // the session id: the recommender remembers this browser's feedback
    this.history = storageOf(this.options.history || "session");
    this.sessionId = this.sessions ? this.sessions.getItem(SESSION_KEY) : null;
    this.entries = [];
    this.feedback = {}; // item_id -> {opinion, saved, rating}: what the user pressed, shown on every card of it
    this.socket = null;
    this.typingTimer = null;
    this.build();
    this.restore();
    var self = this;
    withSocketIo(function (ok) {
      if (ok) {
        self.connect();
      } else {
        self.setStatus("The chat could not load its socket.io client (vendor/socket.io.min.js).", true);
      }
    });
  }

  Chat.prototype.build = function () {
    var root = this.root;
    root.classList.add("recsys-chat");
    root.textContent = "";
    if (!root.getAttribute("aria-label")) { root.setAttribute("aria-label", "Chat: " + this.title()); }

    var header = el("div", "recsys-header");
    header.appendChild(el("h2", "recsys-title", this.title()));
    this.status = el("p", "recsys-status", "Connecting…");
    this.status.setAttribute("role", "status");
    header.appendChild(this.status);
    var restart = button("recsys-restart", "New chat", "Start a new conversation");
    restart.addEventListener("click", this.restart.bind(this));
    header.appendChild(restart);
    this.header = header;
    root.appendChild(header);

    this.log = el("div", "recsys-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-label", "Conversation");
    this.log.tabIndex = 0;
    root.appendChild(this.log);

    this.typing = el("div", "recsys-typing");
    this.typing.hidden = true;
    this.typing.setAttribute("role", "status");
    this.typing.appendChild(el("span", "recsys-sr-only", "The assistant is typing…"));
    for (var i = 0; i < 3; i++) { this.typing.appendChild(el("span", "recsys-dot")).setAttribute("aria-hidden", "true"); }
    root.appendChild(this.typing);

    var form = el("form", "recsys-form");
    var inputId = "recsys-input-" + Math.random().toString(36).slice(2, 8);
    var label = el("label", "recsys-sr-only", "Your message");
    label.htmlFor = inputId;
    this.input = el("input", "recsys-input");
    this.input.id = inputId;
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.maxLength = 2000;
    this.input.placeholder = this.options.placeholder || DEFAULT_PLACEHOLDER;
    this.input.setAttribute("enterkeyhint", "send");
    var send = el("button", "recsys-send", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = this.input.value.trim();
      if (!text) { return; }
      if (this.send(text, text)) { this.input.value = ""; }
    }.bind(this));
    root.appendChild(form);
  };

  Chat.prototype.title = function () {
    return this.options.title || DEFAULT_TITLE;
  };

  Chat.prototype.connect = function () {
    var self = this;
    var socket = window.io(this.rasa, { path: "/socket.io", transports: ["websocket", "polling"] });
    this.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: self.sessionId });
    });
    socket.on("session_confirm", function (confirmed) {
      var id = confirmed && typeof confirmed === "object" ? confirmed.session_id : confirmed;
      if (id && String(id) !== self.sessionId) {
        // a new conversation (first visit, or an id the server no longer accepts): what was shown
        // belonged to another one
        if (self.sessionId) { self.clearLog(); }
        self.sessionId = String(id);
        if (self.sessions) { self.sessions.setItem(SESSION_KEY, self.sessionId); }
      }
      self.root.setAttribute("data-session-id", self.sessionId || "");
      self.setStatus("Online", false);
      if (!self.entries.length) {
        self.add({ who: "bot", message: { text: self.options.greeting || DEFAULT_GREETING } });
      }
    });
    socket.on("bot_uttered", function (message) { self.receive(message); });
    socket.on("connect_error", function () {
      self.setStatus("Can't reach the assistant at " + self.rasa + ". Is it running?", true);
    });
    socket.on("disconnect", function () { self.setStatus("Reconnecting…", true); });
  };

  Chat.prototype.setStatus = function (text, problem) {
    this.status.textContent = text;
    this.status.classList.toggle("recsys-status-problem", !!problem);
    this.root.setAttribute("data-state", problem ? "offline" : "online");
  };

  Chat.prototype.clearLog = function () {
    this.entries = [];
    this.feedback = {};
    this.log.textContent = "";
    this.save();
  };

  Chat.prototype.restart = function () {
    this.sessionId = null;
    if (this.sessions) { this.sessions.removeItem(SESSION_KEY); }
    this.clearLog();
    this.showTyping(false);
    if (this.socket) {
      this.socket.disconnect();
      this.socket.connect();
    }
    this.input.focus();
  };

  /** Send `payload` to Rasa; `shown` is what the log shows (a title instead of a /feedback payload). */
  Chat.prototype.send = function (payload, shown) {
    if (!this.socket || !this.socket.connected || !this.sessionId) {
      this.setStatus("Not connected yet; your message was not sent.", true);
      return false;
    }
    this.add({ who: "user", text: shown });
    this.socket.emit("user_uttered", { message: payload, session_id: this.sessionId });
    this.showTyping(true);
    return true;
  };

  Chat.prototype.receive = function (message) {
    this.showTyping(false);
    if (message && typeof message === "object") { this.add({ who: "bot", message: message }); }
  };

  Chat.prototype.showTyping = function (on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) { this.typingTimer = setTimeout(this.showTyping.bind(this, false), TYPING_TIMEOUT_MS); }
  };

  // ---------------------------------------------------------------- history

  Chat.prototype.add = function (entry) {
    this.entries.push(entry);
    if (this.entries.length > HISTORY_LIMIT) { this.entries.splice(0, this.entries.length - HISTORY_LIMIT); }
    this.render(entry);
    this.save();
    this.scroll();
  };

  Chat.prototype.save = function () {
    if (this.history && this.sessionId) {
      writeJson(this.history, HISTORY_KEY, { session_id: this.sessionId, entries: this.entries, feedback: this.feedback });
    }
  };

  /** Show the conversation kept from before a reload (only the one of the stored session id). */
  Chat.prototype.restore = function () {
    if (!this.history) { return; }
    var kept = readJson(this.history, HISTORY_KEY);
    if (!kept || !this.sessionId || kept.session_id !== this.sessionId || !Array.isArray(kept.entries)) {
      this.history.removeItem(HISTORY_KEY);
      return;
    }
    this.feedback = kept.feedback && typeof kept.feedback === "object" ? kept.feedback : {};
    this.entries = kept.entries.slice(-HISTORY_LIMIT);
    var self = this;
    this.entries.forEach(function (entry) { self.render(entry); });
    this.scroll();
  };

  // ---------------------------------------------------------------- rendering

  Chat.prototype.scroll = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Chat.prototype.render = function (entry) {
    if (!entry || typeof entry !== "object") { return; }
    if (entry.who === "user") {
      this.dropQuickReplies(false); // answered: the suggestions of earlier turns are gone
      this.bubble("user", entry.text);
      return;
    }
    var message = entry.message || {};
    var custom = message.custom || message.data || message;
    if (custom && Array.isArray(custom.items) && (custom.type === "recommendations" || custom.type === "saved_items")) {
      this.dropQuickReplies(true); // the cards carry the per-item buttons: no "👍 1" chips beside them
      this.cards(custom);
      return;
    }
    if (message.text) { this.bubble("bot", message.text); }
    var replies = message.quick_replies || message.buttons;
    if (Array.isArray(replies) && replies.length) { this.quickReplies(replies); }
    if (message.attachment) { this.attachment(message.attachment); }
  };

  Chat.prototype.bubble = function (who, text) {
    var bubble = el("div", "recsys-msg recsys-" + who);
    bubble.appendChild(el("span", "recsys-sr-only", who === "user" ? "You said: " : "Assistant: "));
    bubble.appendChild(document.createTextNode(String(text || "")));
    this.log.appendChild(bubble);
    return bubble;
  };

  Chat.prototype.dropQuickReplies = function (feedbackOnly) {
    var selector = feedbackOnly ? ".recsys-chip-feedback" : ".recsys-chip";
    Array.prototype.forEach.call(this.log.querySelectorAll(selector), function (chip) {
      var group = chip.parentNode;
      chip.remove();
      if (group && !group.childElementCount) { group.remove(); }
    });
  };

  Chat.prototype.quickReplies = function (replies) {
    var self = this;
    var group = el("div", "recsys-quick");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    replies.forEach(function (reply) {
      if (!reply || !reply.title) { return; }
      var payload = String(reply.payload || reply.title);
      var chip = button("recsys-chip", reply.title);
      if (/^\/feedback/.test(payload)) { chip.classList.add("recsys-chip-feedback"); }
      chip.addEventListener("click", function () { self.send(payload, reply.title); });
      group.appendChild(chip);
    });
    if (group.childElementCount) { this.log.appendChild(group); }
  };

  Chat.prototype.attachment = function (attachment) {
    var payload = attachment && attachment.payload ? attachment.payload : attachment;
    var src = safeHttpUrl(payload && (payload.src || payload.url || payload));
    if (!src) { return; }
    var wrap = el("div", "recsys-msg recsys-bot");
    if (attachment.type === "image") {
      var img = el("img", "recsys-image");
      img.src = src;
      img.alt = (payload && payload.title) || "Image from the assistant";
      wrap.appendChild(img);
    } else {
      var link = el("a", null, (payload && payload.title) || src);
      link.href = src;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      wrap.appendChild(link);
    }
    this.log.appendChild(wrap);
  };

  Chat.prototype.cards = function (payload) {
    var self = this;
    var saved = payload.type === "saved_items";
    var list = el("ol", "recsys-cards");
    list.setAttribute("aria-label", saved ? "Your saved items" : "Recommendations");
    var ids = [];
    payload.items.forEach(function (item) {
      if (item && typeof item === "object" && item.item_id !== undefined) {
        list.appendChild(self.card(item, saved, payload.language));
        ids.push(String(item.item_id));
      }
    });
    this.log.appendChild(list);
    ids.forEach(function (itemId) { self.refresh(itemId); }); // what was pressed before (a reload, a repeat)
  };

  Chat.prototype.card = function (item, saved, language) {
    var title = readableTitle(item.title);
    var itemId = String(item.item_id);
    var card = el("li", "recsys-card");
    card.setAttribute("data-item-id", itemId);
    card.setAttribute("data-lang", OPINIONS[language] ? language : "en");

    var image = safeHttpUrl(item.image_url);
    if (image) {
      var img = el("img", "recsys-card-image");
      img.src = image;
      img.alt = ""; // the title beside it says what it is
      img.loading = "lazy";
      img.referrerPolicy = "no-referrer";
      img.addEventListener("error", function () { img.remove(); card.classList.remove("recsys-card-with-image"); });
      card.appendChild(img);
      card.classList.add("recsys-card-with-image");
    }

    var body = el("div", "recsys-card-body");
    var heading = el("h3", "recsys-card-title");
    var url = safeHttpUrl(item.url);
    if (url) {
      var link = el("a", null, title);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      heading.appendChild(link);
    } else {
      heading.textContent = title;
    }
    body.appendChild(heading);

    var meta = [];
    if (item.year && title.indexOf("(" + item.year + ")") === -1) { meta.push(String(item.year)); }
    if (Array.isArray(item.genres) && item.genres.length) { meta.push(item.genres.join(" · ")); }
    if (meta.length) { body.appendChild(el("p", "recsys-card-meta", meta.join(" — "))); }
    if (item.reason) { body.appendChild(el("p", "recsys-card-reason", item.reason)); }
    body.appendChild(this.opinionButtons(item, itemId, title, saved, card.getAttribute("data-lang")));
    if (Array.isArray(item.ratings) && item.ratings.length) { body.appendChild(this.stars(item, itemId, title)); }
    card.appendChild(body);
    return card;
  };

  Chat.prototype.state = function (itemId) {
    if (!this.feedback[itemId]) { this.feedback[itemId] = {}; }
    return this.feedback[itemId];
  };

  /** Show what was pressed on every card of this item (it may be listed more than once). */
  Chat.prototype.refresh = function (itemId) {
    var state = this.feedback[itemId] || {};
    Array.prototype.forEach.call(this.log.querySelectorAll(".recsys-card"), function (card) {
      if (card.getAttribute("data-item-id") !== itemId) { return; }
      var bookmark = opinionWords(card.getAttribute("data-lang")).bookmark;
      Array.prototype.forEach.call(card.querySelectorAll(".recsys-fb"), function (b) {
        var kind = b.getAttribute("data-kind");
        var on = kind === "bookmark" ? !!state.saved : state.opinion === kind;
        b.setAttribute("aria-pressed", on ? "true" : "false");
        if (kind === "bookmark") {
          b.disabled = on;
          b.querySelector(".recsys-fb-icon").textContent = on ? "★" : bookmark.icon;
          b.querySelector(".recsys-fb-label").textContent = on ? bookmark.done : bookmark.verb;
        }
      });
      Array.prototype.forEach.call(card.querySelectorAll(".recsys-star"), function (b) {
        var value = Number(b.getAttribute("data-value"));
        b.setAttribute("aria-pressed", state.rating === value ? "true" : "false");
        b.classList.toggle("recsys-star-on", !!state.rating && value <= state.rating);
      });
    });
  };

  Chat.prototype.opinionButtons = function (item, itemId, title, saved, language) {
    var self = this;
    var group = el("div", "recsys-card-actions");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Feedback on " + title);
    var payloads = item.feedback && typeof item.feedback === "object" ? item.feedback : {};
    if (saved) { this.state(itemId).saved = true; }
    ["like", "dislike", "bookmark"].forEach(function (kind) {
      if (typeof payloads[kind] !== "string") { return; }
      var words = opinionWords(language)[kind];
      var b = button("recsys-fb recsys-fb-" + kind, null, words.verb + " " + title);
      b.setAttribute("data-kind", kind);
      b.appendChild(el("span", "recsys-fb-icon", words.icon)).setAttribute("aria-hidden", "true");
      b.appendChild(el("span", "recsys-fb-label", words.verb));
      b.addEventListener("click", function () {
        if (!self.send(payloads[kind], words.icon + " " + words.verb + ": " + title)) { return; }
        var state = self.state(itemId);
        if (kind === "bookmark") { state.saved = true; } else { state.opinion = kind; }
        self.refresh(itemId);
        self.save();
      });
      group.appendChild(b);
    });
    return group;
  };

  Chat.prototype.stars = function (item, itemId, title) {
    var self = this;
    var group = el("div", "recsys-stars");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Rate " + title + " from 1 to 5 stars");
    item.ratings.slice(0, 5).forEach(function (payload, index) {
      if (typeof payload !== "string") { return; }
      var value = index + 1;
      var b = button("recsys-star", STAR, "Rate " + title + " " + value + " of 5 stars");
      b.setAttribute("data-value", String(value));
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        if (!self.send(payload, "Rated " + title + " " + value + "/5")) { return; }
        self.state(itemId).rating = value;
        self.refresh(itemId);
        self.save();
      });
      group.appendChild(b);
    });
    return group;
  };

  // ---------------------------------------------------------------- mounting

  /** A "Chat" button in the corner that opens the chat as a panel (no data-target). */
  function floating(options) {
    var launcher = button("recsys-launcher", null, "Open the chat: " + (options.title || DEFAULT_TITLE));
    launcher.appendChild(el("span", "recsys-launcher-icon", "💬")).setAttribute("aria-hidden", "true");
    launcher.appendChild(el("span", "recsys-launcher-label", "Chat"));
    launcher.setAttribute("aria-expanded", "false");
    var panel = el("section", "recsys-chat recsys-floating");
    panel.id = "recsys-panel-" + Math.random().toString(36).slice(2, 8);
    panel.hidden = true;
    launcher.setAttribute("aria-controls", panel.id);
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    var chat = new Chat(panel, options);
    var close = button("recsys-close", "×", "Close the chat");
    chat.header.appendChild(close);
    function toggle(open) {
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
      launcher.hidden = open;
      if (open) { chat.input.focus(); chat.scroll(); } else { launcher.focus(); }
    }
    launcher.addEventListener("click", function () { toggle(true); });
    close.addEventListener("click", function () { toggle(false); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { toggle(false); }
    });
    return chat;
  }

  window.RecsysChat = {
    mount: function (element, options) { return new Chat(element, options || {}); },
    readableTitle: readableTitle
  };

  function autoMount() {
    var options = scriptOptions(SCRIPT);
    loadStylesheet();
    if (options.target) {
      var element = document.querySelector(options.target);
      if (!element) {
        if (window.console) { window.console.error("recommender chat: no element matches data-target=" + options.target); }
        return;
      }
      if (element.getAttribute("data-mounted")) { return; }
      element.setAttribute("data-mounted", "true");
      window.RecsysChat.mount(element, options);
    } else {
      floating(options);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autoMount);
  } else {
    autoMount();
  }
})();
