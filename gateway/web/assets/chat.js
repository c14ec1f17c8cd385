// botgate web chat. One WebSocket per page and one message in flight at a time, so replies keep their order.
// Every message carries an id: resending it after a dropped connection or a busy answer never runs it twice.
"use strict";

(() => {
  const bot = document.body.dataset.bot;
  const log = document.getElementById("log");
  const hint = document.getElementById("hint");
  const banner = document.getElementById("banner");
  const connection = document.getElementById("connection");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = form.querySelector("button");

  const USER_KEY = "botgate:user";
  const HISTORY_KEY = `botgate:history:${bot}`;
  const HISTORY_LIMIT = 100;
  const BUSY_RETRIES = 5;
  const CLOSE_NO_USER = 1008;
  const CLOSE_TRY_AGAIN = 1013;
  const CLOSE_UNKNOWN_BOT = 4404;

  const queue = []; // {id, text, row, busy}: queue[0] is the one sent or about to be
  let socket = null;
  let inFlight = false;
  let attempts = 0;
  let bannerReason = null;

  function randomId() {
    // getRandomValues works on plain http too, unlike crypto.randomUUID.
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function stored(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback; // storage disabled or corrupt: chat on without it
    }
  }

  function store(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // storage full or disabled: the conversation goes on, it just will not survive a reload
    }
  }

  function userId() {
    let id = stored(USER_KEY, null);
    if (typeof id !== "string" || !id) {
      id = `web-${randomId()}`;
      store(USER_KEY, id);
    }
    return id;
  }

  function history() {
    const entries = stored(HISTORY_KEY, []);
    return Array.isArray(entries) ? entries : [];
  }

  function remember(entry) {
    store(HISTORY_KEY, [...history(), entry].slice(-HISTORY_LIMIT));
  }

  function setBanner(text, kind, reason) {
    banner.textContent = text;
    banner.dataset.kind = kind;
    banner.hidden = false;
    bannerReason = reason;
  }

  function clearBanner(reason) {
    if (reason === undefined || bannerReason === reason) {
      banner.hidden = true;
      bannerReason = null;
    }
  }

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function disableChoices() {
    for (const button of log.querySelectorAll(".choices button")) button.disabled = true;
  }

  function choiceButtons(choices, enabled) {
    const group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Choose an answer");
    for (const label of choices) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.disabled = !enabled;
      button.addEventListener("click", () => {
        send(label);
        input.focus();
      });
      group.append(button);
    }
    return group;
  }

  function addMeta(row, text, title) {
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = text;
    if (title) meta.title = title;
    row.append(meta);
  }

  function render(entry, live) {
    hint.hidden = true;
    if (entry.who === "divider") {
      const divider = document.createElement("p");
      divider.className = "divider";
      divider.textContent = "Conversation ended · send a message to start a new one";
      log.append(divider);
      scrollDown();
      return divider;
    }
    const row = document.createElement("div");
    row.className = `msg ${entry.who}`;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = entry.text;
    row.append(bubble);
    if (entry.choices && entry.choices.length) row.append(choiceButtons(entry.choices, live));
    if (entry.version) addMeta(row, `v${entry.version}`, `answered by version ${entry.version}`);
    log.append(row);
    scrollDown();
    return row;
  }

  function send(text) {
    disableChoices();
    const row = render({ who: "user", text }, false);
    row.classList.add("sending");
    queue.push({ id: randomId(), text, row, busy: 0 });
    pump();
  }

  function pump() {
    if (inFlight || !queue.length || !socket || socket.readyState !== WebSocket.OPEN) return;
    inFlight = true;
    socket.send(JSON.stringify({ text: queue[0].text, id: queue[0].id }));
  }

  function failed(head, message) {
    queue.shift();
    head.row.classList.replace("sending", "failed");
    addMeta(head.row, `Not delivered: ${message}`);
    pump();
  }

  function answered(head, frame) {
    queue.shift();
    head.row.classList.remove("sending");
    remember({ who: "user", text: head.text });
    const replies = frame.replies || [];
    replies.forEach((reply, i) => {
      // The version is shown once per turn, under its last reply: present, but out of the way.
      const entry = { who: "bot", text: reply.text, choices: reply.choices, version: i === replies.length - 1 ? frame.version : undefined };
      render(entry, true);
      remember(entry);
    });
    if (frame.status === "ended") {
      render({ who: "divider" }, false);
      remember({ who: "divider" });
    }
    pump();
  }

  function received(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    const head = queue[0];
    if (!head || frame.id !== head.id) {
      // Errors about the connection itself (unknown bot, store down) carry no id; the close that follows acts on them.
      if (frame.error) setBanner(frame.error.message, "error", "connection");
      return;
    }
    inFlight = false;
    if (!frame.error) {
      clearBanner("busy");
      answered(head, frame);
    } else if (frame.error.code === "unavailable" && head.busy < BUSY_RETRIES) {
      head.busy += 1;
      const seconds = frame.retry_after || 1;
      setBanner(`${bot} is busy right now; trying again in ${seconds} s…`, "warn", "busy");
      setTimeout(pump, seconds * 1000);
    } else {
      clearBanner("busy");
      failed(head, frame.error.message);
    }
  }

  function closed(event) {
    socket = null;
    inFlight = false;
    if (event.code === CLOSE_UNKNOWN_BOT || event.code === CLOSE_NO_USER) {
      setConnection("offline", "Not connected");
      if (event.code === CLOSE_UNKNOWN_BOT) setBanner(`There is no bot named “${bot}” here.`, "error", "final");
      input.disabled = true;
      sendButton.disabled = true;
      return;
    }
    const delay = Math.min(15000, 500 * 2 ** attempts) * (0.75 + Math.random() / 2);
    attempts += 1;
    const seconds = Math.max(1, Math.round(delay / 1000));
    const why = event.code === CLOSE_TRY_AGAIN ? "The gateway is busy" : "Can't reach the gateway";
    setConnection("offline", "Offline");
    setBanner(`${why}. Reconnecting in ${seconds} s… Messages you send meanwhile will go out then.`, "error", "connection");
    setTimeout(connect, delay);
  }

  function connect() {
    setConnection("connecting", "Connecting…");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/v1/bots/${encodeURIComponent(bot)}/ws?user=${encodeURIComponent(user)}`;
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      attempts = 0;
      setConnection("online", "Connected");
      clearBanner("connection");
      pump();
    });
    socket.addEventListener("message", received);
    socket.addEventListener("close", closed);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
    input.focus();
  });

  const user = userId();
  const earlier = history();
  earlier.forEach((entry, i) => render(entry, i === earlier.length - 1));
  connect();
})();
