// botgate dashboard: one user's sessions, pin and transcript (GET .../sessions/{user}[/transcript]), and, for a
// read-write token, resetting them. User ids are percent-encoded as one path segment, so any id can be named.
"use strict";

window.Dash = window.Dash || {};

Dash.users = (() => {
  const { h, setText, setTime, syncRows, replaceIfChanged, time, count } = Dash.dom;
  const { call, botPath, segment, ApiError } = Dash.api;
  const form = document.getElementById("lookup-form");
  const input = document.getElementById("lookup-user");
  const result = document.getElementById("lookup-outcome");
  const box = document.getElementById("user-result");
  const routing = document.getElementById("user-routing");
  const tbody = document.querySelector("#sessions-table tbody");
  const transcript = document.getElementById("transcript");
  const resetButton = document.getElementById("reset-user");
  let user = null;
  let sessions = [];

  function build() {
    const cells = [h("td"), h("td"), h("td"), h("td"), h("td", { className: "digest" }), h("td", { className: "num" }),
      h("td", {}, h("time")), h("td", {}, h("time"))];
    return h("tr", {}, ...cells);
  }

  function update(row, s) {
    const c = row.cells;
    setText(c[0], s.channel);
    setText(c[1], s.space === null ? "—" : s.space);
    setText(c[2], s.version);
    setText(c[3], s.status);
    setText(c[4], s.conversation);
    setText(c[5], count(s.turns));
    setTime(c[6].firstChild, s.started_at);
    setTime(c[7].firstChild, s.last_seen);
  }

  function message(m) {
    const meta = h("span", { className: "meta" }, `v${m.version}${m.from ? ` (moved from v${m.from})` : ""} · `, time(m.at));
    return h("li", {}, h("span", { className: "role", text: m.role }), h("span", { className: "text", text: m.text }), meta);
  }

  function conversations(data) {
    const open = new Set(Array.from(transcript.querySelectorAll("details[open]"), (d) => d.dataset.conversation));
    const first = !transcript.childElementCount;
    if (!data.conversations.length) return [h("p", { className: "muted", text: "No conversations kept for this user." })];
    return data.conversations.map((c, i) => {
      const where = c.space === null ? c.channel : `${c.channel}, space ${c.space}`;
      const details = h("details", { className: "conversation", dataset: { conversation: c.conversation } },
        h("summary", {}, `Conversation ${c.conversation} on ${where}, started `, time(c.started_at),
          ` · ${c.messages.length} messages`),
        h("ol", { className: "messages" }, ...c.messages.map(message)));
      details.open = open.has(c.conversation) || (first && i === 0);
      return details;
    });
  }

  function show(sessionsData, transcriptData) {
    sessions = sessionsData.sessions;
    box.hidden = false;
    const next = sessionsData.next_conversation;
    setText(routing, `${user}: pin ${sessionsData.pin || "none"}; next conversation on ` +
      `${next ? `${next.version} (${next.reason})` : "nothing (no published version)"}; ${sessions.length} session(s).`);
    syncRows(tbody, sessions, (s) => `${s.channel}|${s.space}`, build, update);
    replaceIfChanged(transcript, JSON.stringify(transcriptData), () => conversations(transcriptData));
  }

  async function load() {
    const path = botPath(Dash.bot.state.bot, "sessions", segment(user));
    const [s, t] = await Promise.all([call("GET", path), call("GET", `${path}/transcript`)]);
    show(s.data, t.data);
  }

  // Called with every refresh of the bot page: the user looked up last is read again.
  async function refresh() {
    if (user === null) return;
    try {
      await load();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      Dash.controls.outcome(result, "error", `Could not read ${user}'s sessions: ${error.message}`, Dash.api.problems(error));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = input.value;
    if (!wanted) {
      Dash.controls.outcome(result, "error", "Give a user id.");
      return;
    }
    user = wanted;
    result.replaceChildren();
    box.hidden = true;
    tbody.replaceChildren();
    transcript.replaceChildren();
    delete transcript.dataset.signature;
    try {
      await load();
    } catch (error) {
      user = null;
      Dash.controls.failure(result, error, "the look-up");
    }
  });

  resetButton.addEventListener("click", async () => {
    const live = sessions.filter((s) => s.status !== "ended").length;
    const who = user;
    const ok = await Dash.controls.ask(`Reset ${who}'s sessions?`, [
      h("p", { text: `${live} live conversation(s) of ${who} end now (counted as reset). Their next message starts a new conversation on the version routing picks.` }),
    ], "Reset sessions");
    if (!ok) return;
    await Dash.controls.act(resetButton, result, "the reset",
      () => call("DELETE", botPath(Dash.bot.state.bot, "sessions", segment(who))),
      () => `Reset ${who}'s sessions.`);
  });

  function reset() {
    user = null;
    sessions = [];
    box.hidden = true;
    result.replaceChildren();
    tbody.replaceChildren();
    transcript.replaceChildren();
    delete transcript.dataset.signature;
  }

  return { refresh, reset };
})();
