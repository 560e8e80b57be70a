/*
 * Chat widget for the Rasa movie recommender, over Rasa's socket.io channel (Rasa 3.6,
 * python-socketio 5; socket.io-client 4 from web/vendor/).
 *
 * Protocol: emit "session_request" {session_id}; receive "session_confirm"; emit "user_uttered"
 * {message, session_id}; receive "bot_uttered" messages: {text}, {text, quick_replies},
 * {attachment}, or a custom payload. The actions send custom payloads under "data" on this
 * channel, so they arrive here as they are: {type: "recommendations" | "saved_items",
 * request_id, items: [{item_id, title, year, genres, reason, url, feedback: {like, dislike,
 * bookmark}}]} (docs/conversation-contract.md). Server data is only ever set as text, never HTML.
 *
 * Configuration: ?rasa=<url> in the page URL, window.RASA_URL, or data-rasa-url on the mount
 * element; default http://127.0.0.1:5005. window.RecsysChat.mount(element, options) mounts it
 * anywhere; it mounts itself on #recsys-chat.
 */
(function () {
  "use strict";

  var DEFAULT_URL = "http://127.0.0.1:5005";
  var SESSION_KEY = "recsys-chat-session-id";
  var TYPING_TIMEOUT_MS = 60000;
  var KIND_LABELS = {
    like: { icon: "👍", verb: "Like" },
    dislike: { icon: "👎", verb: "Dislike" },
    bookmark: { icon: "☆", verb: "Save" }
  };

  function configuredUrl(element, options) {
    var query = new URLSearchParams(window.location.search).get("rasa");
    return (options && options.url) || query || window.RASA_URL ||
      (element && element.getAttribute("data-rasa-url")) || DEFAULT_URL;
  }

  function newSessionId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; } // blocked storage: session lasts one page
  }

  function loadSessionId() {
    var store = storage();
    var id = store && store.getItem(SESSION_KEY);
    if (!id) {
      id = newSessionId();
      if (store) { store.setItem(SESSION_KEY, id); }
    }
    return id;
  }

  function saveSessionId(id) {
    var store = storage();
    if (store && id) { store.setItem(SESSION_KEY, id); }
  }

  /** "Godfather, The (1972)" -> "The Godfather (1972)" (catalog sort order undone). */
  function readableTitle(title) {
    var m = /^(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)( \(.*\))?$/.exec(String(title || "").trim());
    return m ? m[2] + " " + m[1] + (m[3] || "") : String(title || "");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeHttpUrl(url) {
    try {
      var parsed = new URL(String(url), window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function Chat(root, options) {
    this.root = root;
    this.url = configuredUrl(root, options);
    this.sessionId = loadSessionId();
    this.socket = null;
    this.typingTimer = null;
    this.lastQuickReplies = null;
    this.build();
    this.connect();
  }

  Chat.prototype.build = function () {
    var root = this.root;
    root.classList.add("recsys-chat");
    root.textContent = "";

    var header = el("div", "recsys-header");
    header.appendChild(el("h2", "recsys-title", "Movie buddy"));
    this.status = el("p", "recsys-status", "Connecting…");
    this.status.setAttribute("role", "status");
    header.appendChild(this.status);
    var restart = el("button", "recsys-restart", "New chat");
    restart.type = "button";
    restart.setAttribute("aria-label", "Start a new conversation");
    restart.addEventListener("click", this.restart.bind(this));
    header.appendChild(restart);
    root.appendChild(header);

    this.log = el("div", "recsys-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");
    this.log.setAttribute("aria-relevant", "additions");
    this.log.setAttribute("aria-label", "Conversation");
    this.log.tabIndex = 0;
    root.appendChild(this.log);

    this.typing = el("div", "recsys-typing");
    this.typing.hidden = true;
    this.typing.setAttribute("aria-hidden", "true");
    for (var i = 0; i < 3; i++) { this.typing.appendChild(el("span", "recsys-dot")); }
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
    this.input.placeholder = "e.g. a funny movie from the 90s";
    var send = el("button", "recsys-send", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(this.input);
    form.appendChild(send);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = this.input.value.trim();
      if (!text) { return; }
      this.input.value = "";
      this.send(text, text);
    }.bind(this));
    root.appendChild(form);
  };

  Chat.prototype.connect = function () {
    if (typeof window.io !== "function") {
      this.setStatus("The socket.io client is missing: run scripts/build_web.sh (or make setup).", true);
      return;
    }
    var self = this;
    var socket = window.io(this.url, { path: "/socket.io", transports: ["websocket", "polling"] });
    this.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: self.sessionId });
    });
    socket.on("session_confirm", function (confirmed) {
      var id = confirmed && typeof confirmed === "object" ? confirmed.session_id : confirmed;
      if (id) { self.sessionId = String(id); saveSessionId(self.sessionId); }
      self.setStatus("Online", false);
      if (!self.greeted) {
        self.greeted = true;
        if (!self.log.childElementCount) {
          self.addBotText("Hi! Tell me what you're in the mood for, e.g. “a funny movie from the 90s”.");
        }
      }
    });
    socket.on("bot_uttered", function (message) { self.receive(message); });
    socket.on("connect_error", function () {
      self.setStatus("Can't reach the assistant at " + self.url + ". Is it running?", true);
    });
    socket.on("disconnect", function () { self.setStatus("Reconnecting…", true); });
  };

  Chat.prototype.setStatus = function (text, problem) {
    this.status.textContent = text;
    this.status.classList.toggle("recsys-status-problem", !!problem);
  };

  Chat.prototype.restart = function () {
    this.sessionId = newSessionId();
    saveSessionId(this.sessionId);
    this.log.textContent = "";
    this.lastQuickReplies = null;
    this.greeted = false;
    if (this.socket) {
      this.socket.disconnect();
      this.socket.connect();
    }
    this.input.focus();
  };

  /** Send `payload` to Rasa; `shown` is what the user sees in the log (a title instead of JSON). */
  Chat.prototype.send = function (payload, shown) {
    if (!this.socket || !this.socket.connected) {
      this.setStatus("Not connected yet; your message was not sent.", true);
      return;
    }
    this.addBubble("user", shown);
    this.socket.emit("user_uttered", { message: payload, session_id: this.sessionId });
    this.showTyping(true);
  };

  Chat.prototype.showTyping = function (on) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) {
      this.typingTimer = setTimeout(this.showTyping.bind(this, false), TYPING_TIMEOUT_MS);
    }
  };

  Chat.prototype.scroll = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Chat.prototype.addBubble = function (who, text) {
    var bubble = el("div", "recsys-msg recsys-" + who, text);
    var sr = el("span", "recsys-sr-only", who === "user" ? "You said: " : "Assistant: ");
    bubble.insertBefore(sr, bubble.firstChild);
    this.log.appendChild(bubble);
    this.scroll();
    return bubble;
  };

  Chat.prototype.addBotText = function (text) {
    return this.addBubble("bot", text);
  };

  Chat.prototype.receive = function (message) {
    this.showTyping(false);
    if (!message || typeof message !== "object") { return; }
    var custom = message.custom || message.data || message;
    if (custom && Array.isArray(custom.items) &&
        (custom.type === "recommendations" || custom.type === "saved_items")) {
      this.addCards(custom);
      return;
    }
    if (message.text) { this.addBotText(message.text); }
    var replies = message.quick_replies || message.buttons;
    if (Array.isArray(replies) && replies.length) { this.addQuickReplies(replies); }
    if (message.attachment) { this.addAttachment(message.attachment); }
  };

  Chat.prototype.addQuickReplies = function (replies) {
    var self = this;
    var group = el("div", "recsys-quick");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Suggested replies");
    replies.forEach(function (reply) {
      if (!reply || !reply.title) { return; }
      var button = el("button", "recsys-chip", reply.title);
      button.type = "button";
      button.setAttribute("data-payload", reply.payload || reply.title);
      if (/^\/feedback/.test(reply.payload || "")) { button.classList.add("recsys-chip-feedback"); }
      button.addEventListener("click", function () {
        group.remove();
        if (self.lastQuickReplies === group) { self.lastQuickReplies = null; }
        self.send(reply.payload || reply.title, reply.title);
      });
      group.appendChild(button);
    });
    this.log.appendChild(group);
    this.lastQuickReplies = group;
    this.scroll();
  };

  Chat.prototype.addAttachment = function (attachment) {
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
    this.scroll();
  };

  Chat.prototype.addCards = function (payload) {
    var self = this;
    // The cards carry the per-item feedback buttons; drop the duplicate "👍 1" chips sent with the text.
    if (this.lastQuickReplies) {
      Array.prototype.slice.call(this.lastQuickReplies.querySelectorAll(".recsys-chip-feedback"))
        .forEach(function (chip) { chip.remove(); });
      if (!this.lastQuickReplies.childElementCount) { this.lastQuickReplies.remove(); }
    }
    var saved = payload.type === "saved_items";
    var list = el("ol", "recsys-cards");
    list.setAttribute("aria-label", saved ? "Your saved movies" : "Recommendations");
    payload.items.forEach(function (item) {
      list.appendChild(self.card(item, saved));
    });
    this.log.appendChild(list);
    this.scroll();
  };

  Chat.prototype.card = function (item, saved) {
    var self = this;
    var title = readableTitle(item.title);
    var card = el("li", "recsys-card");
    var heading = el("h3", "recsys-card-title");
    var url = item.url ? safeHttpUrl(item.url) : null;
    if (url) {
      var link = el("a", null, title);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      heading.appendChild(link);
    } else {
      heading.textContent = title;
    }
    card.appendChild(heading);

    var meta = [];
    if (item.year && title.indexOf("(" + item.year + ")") === -1) { meta.push(String(item.year)); }
    if (Array.isArray(item.genres) && item.genres.length) { meta.push(item.genres.join(" · ")); }
    if (meta.length) { card.appendChild(el("p", "recsys-card-meta", meta.join(" — "))); }
    if (item.reason) { card.appendChild(el("p", "recsys-card-reason", item.reason)); }

    var actions = el("div", "recsys-card-actions");
    actions.setAttribute("role", "group");
    actions.setAttribute("aria-label", "Feedback on " + title);
    var feedback = item.feedback || {};
    ["like", "dislike", "bookmark"].forEach(function (kind) {
      if (!feedback[kind]) { return; }
      var label = KIND_LABELS[kind];
      var done = saved && kind === "bookmark";
      var button = el("button", "recsys-fb recsys-fb-" + kind);
      button.type = "button";
      button.appendChild(el("span", null, done ? "★" : label.icon)).setAttribute("aria-hidden", "true");
      button.appendChild(el("span", "recsys-fb-label", done ? "Saved" : label.verb));
      button.setAttribute("aria-label", (done ? "Saved: " : label.verb + " ") + title);
      button.setAttribute("aria-pressed", done ? "true" : "false");
      button.disabled = done;
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(actions.querySelectorAll(".recsys-fb-like, .recsys-fb-dislike"), function (b) {
          if (kind !== "bookmark") { b.setAttribute("aria-pressed", "false"); }
        });
        button.setAttribute("aria-pressed", "true");
        if (kind === "bookmark") { button.disabled = true; }
        self.send(feedback[kind], label.icon + " " + label.verb + ": " + title);
      });
      actions.appendChild(button);
    });
    card.appendChild(actions);
    return card;
  };

  window.RecsysChat = {
    mount: function (element, options) { return new Chat(element, options || {}); },
    readableTitle: readableTitle
  };

  function autoMount() {
    var element = document.getElementById("recsys-chat");
    if (element && !element.getAttribute("data-mounted")) {
      element.setAttribute("data-mounted", "true");
      window.RecsysChat.mount(element);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autoMount);
  } else {
    autoMount();
  }
})();
