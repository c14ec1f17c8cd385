// botgate dashboard: one bot's page. Versions, rollout (with its guard and progression), pins and the audit log;
// health.js draws the charts, controls.js the forms, users.js a user's sessions. One refresh reads the bot, its
// rollout (with the ETag a change must send back), its health over the chosen window and its audit log.
"use strict";

window.Dash = window.Dash || {};

Dash.bot = (() => {
  const { h, setText, setTime, syncRows, replaceIfChanged, badge, time, number, percent, canaryWords } = Dash.dom;
  const title = document.getElementById("bot-title");
  const summary = document.getElementById("bot-summary");
  const versionsBody = document.querySelector("#versions-table tbody");
  const facts = document.getElementById("rollout-facts");
  const progression = document.getElementById("progression");
  const lastGuard = document.getElementById("last-guard");
  const pinsBody = document.querySelector("#pins-table tbody");
  const pinsEmpty = document.getElementById("pins-empty");
  const auditBody = document.querySelector("#audit-table tbody");
  const windowSelect = document.getElementById("health-window");

  // What the page knows of the bot now: controls.js reads it (the rollout's ETag, active sessions per version).
  const state = { bot: null, view: null, rollout: null, etag: null };

  function writable() {
    return document.body.dataset.writable === "true";
  }

  function guardWords(guard) {
    if (!guard) return "none";
    const minutes = Math.round(guard.window / 60);
    return `roll back when the error rate is over stable's by more than ${number(guard.max_error_rate_increase * 100)} ` +
      `points or the completion rate under it by more than ${number(guard.max_completion_drop * 100)} points, ` +
      `once each has ${guard.min_conversations} conversations, over the last ${minutes} min`;
  }

  function routedAs(view, version) {
    const parts = [];
    if (view.serving.stable === version) parts.push("stable");
    if (view.serving.canary && view.serving.canary.version === version) parts.push(`canary ${percent(view.serving.canary.percent)}`);
    const pinned = Object.values(view.pins).filter((v) => v === version).length;
    if (pinned) parts.push(`${pinned} pinned`);
    return parts.join(", ") || "—";
  }

  function buildVersion() {
    return h("tr", {}, h("th", { scope: "row" }), h("td"), h("td"), h("td", { className: "num" }), h("td"),
      h("td", {}, h("time")), h("td", { className: "digest" }), h("td", { className: "row-actions" }));
  }

  function updateVersion(row, v) {
    const [name, status, routed, active, resumes, created, digest, actions] = row.cells;
    setText(name, v.version);
    const statusText = v.status === "unpublished" && v.in_flight ? `unpublished (${v.in_flight})` : v.status;
    replaceIfChanged(status, statusText, () => [badge(v.status, statusText)]);
    setText(routed, routedAs(state.view, v.version));
    setText(active, Dash.dom.count(v.active_sessions));
    setText(resumes, v.resumes || "—");
    setTime(created.firstChild, v.created_at);
    setText(digest, v.digest.slice(0, 12));
    Dash.dom.setAttr(digest, "title", `SHA-256 ${v.digest}`);
    actions.hidden = !writable();
    if (writable()) replaceIfChanged(actions, `${v.status}`, () => Dash.controls.versionActions(v));
  }

  function fact(term, ...value) {
    return [h("dt", { text: term }), h("dd", {}, ...value)];
  }

  function renderFacts(view, rollout) {
    const canary = rollout.canary;
    const stable = rollout.stable ? rollout.stable : `automatic (the highest published release: ${view.serving.stable || "none"})`;
    const items = [...fact("Stable", stable), ...fact("Canary", canaryWords(canary))];
    const skipped = canary && !view.serving.canary;
    if (skipped) items.push(...fact("Serving", `no canary: ${canary.version} is not published`));
    if (canary && canary.since) items.push(...fact("Since", time(canary.since)));
    if (canary) items.push(...fact("Guard", guardWords(canary.guard)));
    return items;
  }

  function renderProgression(canary) {
    if (!canary || !Array.isArray(canary.steps)) return [];
    const list = h("ol", { className: "steps", attrs: { "aria-label": "Canary steps" } });
    const current = Dash.bots.stepIndex(canary);
    canary.steps.forEach((step, i) => {
      const item = h("li", { text: `${percent(step)}${i === current ? " (now)" : ""}` });
      if (i < current) item.className = "done";
      if (i === current) item.setAttribute("aria-current", "step");
      list.append(item);
    });
    const out = [h("p", { className: "muted", text: "Progression" }), list];
    if (canary.since && canary.hold) {
      const next = new Date(Date.parse(canary.since) + canary.hold * 1000).toISOString();
      const what = current >= canary.steps.length - 1 ? "Promoted to stable" : `Next step (${percent(canary.steps[current + 1])})`;
      out.push(h("p", {}, `${what} at `, time(next), ` if the guard passes (hold ${Math.round(canary.hold / 60)} min).`));
    }
    return out;
  }

  // The guard's figures: each side it compared (an object with a version) as a row of a small table, each test
  // it ran as one line of its numbers, and the settings it used as name-value pairs.
  const SIDE = ["started", "turns", "errors", "completed", "reset", "error_rate", "completion_rate"];

  function plain(value) {
    if (typeof value === "number") return number(value);
    return value === null || value === undefined ? "—" : String(value);
  }

  function figuresView(data) {
    const entries = Object.entries(data || {});
    const isObject = (v) => v && typeof v === "object" && !Array.isArray(v);
    const sides = entries.filter(([, v]) => isObject(v) && "version" in v);
    const tests = entries.filter(([, v]) => isObject(v) && !("version" in v));
    const scalars = entries.filter(([, v]) => !isObject(v));
    const out = [];
    if (sides.length) {
      const head = h("tr", {}, h("th", { scope: "col", text: "" }), h("th", { scope: "col", text: "version" }),
        ...SIDE.map((k) => h("th", { scope: "col", className: "num", text: k.replace("_", " ") })));
      const rows = sides.map(([name, side]) => h("tr", {}, h("th", { scope: "row", text: name }),
        h("td", { text: plain(side.version) }), ...SIDE.map((k) => h("td", { className: "num", text: plain(side[k]) }))));
      out.push(h("div", { className: "table-wrap" }, h("table", { className: "figures-table" }, h("thead", {}, head), h("tbody", {}, ...rows))));
    }
    for (const [name, test] of tests) {
      out.push(h("p", { className: "figures-line", text: `${name}: ${Object.entries(test).map(([k, v]) => `${k} ${plain(v)}`).join(", ")}` }));
    }
    if (scalars.length) {
      const dl = h("dl", { className: "figures" });
      for (const [name, value] of scalars) dl.append(h("div", {}, h("dt", { text: name }), h("dd", { text: Array.isArray(value) ? value.join(", ") : plain(value) })));
      out.push(dl);
    }
    return out;
  }

  function renderLastGuard(last) {
    if (!last) return [];
    return [h("div", { className: "verdict" },
      h("p", {}, h("strong", { text: "Guard's last decision: " }), badge(last.action === "rollback" ? "rollback" : "published", last.action),
        " at ", time(last.at)),
      h("p", { text: last.why }),
      ...figuresView(last.figures))];
  }

  function buildPin() {
    return h("tr", {}, h("th", { scope: "row" }), h("td"), h("td", { className: "row-actions" }));
  }

  function updatePin(row, [user, version]) {
    setText(row.cells[0], user);
    setText(row.cells[1], version);
    row.cells[2].hidden = !writable();
    if (writable()) replaceIfChanged(row.cells[2], "unpin", () => [Dash.controls.unpinButton(user)]);
  }

  function rolloutWords(r) {
    if (!r || typeof r !== "object") return "—";
    const c = r.canary;
    let text = `stable ${r.stable || "automatic"}, canary ${canaryWords(c)}`;
    if (c && c.guard) text += ", guarded";
    if (c && Array.isArray(c.steps)) text += `, steps ${c.steps.join("/")}`;
    return text;
  }

  function change(entry) {
    const { action, before, after } = entry;
    if (action === "store") return "stored as a draft";
    if (action === "publish" || action === "unpublish") {
      const from = before && before.status ? before.status : "—";
      const drain = action === "unpublish" && after && after.in_flight ? ` (${after.in_flight})` : "";
      return `${from} → ${after ? after.status : "—"}${drain}`;
    }
    if (action === "pin") return `pinned to ${after}${before ? ` (was ${before})` : ""}`;
    if (action === "unpin") return `pin removed (was ${before})`;
    if (action === "rollout") return `${rolloutWords(before)} → ${rolloutWords(after)}`;
    return JSON.stringify(after);
  }

  function buildAudit() {
    return h("tr", {}, h("td", {}, h("time")), h("td"), h("td"), h("td"));
  }

  function updateAudit(row, entry) {
    const [when, who, what, detail] = row.cells;
    setTime(when.firstChild, entry.at);
    setText(who, entry.actor);
    setText(what, `${entry.action} ${entry.subject}`);
    const verdict = entry.action === "rollout" && entry.actor === "guard" && entry.after && entry.after.last_guard;
    replaceIfChanged(detail, JSON.stringify([entry.before, entry.after]), () => {
      const parts = [h("span", { text: change(entry) })];
      if (verdict) parts.push(h("p", { text: `${verdict.action}: ${verdict.why}` }), ...figuresView(verdict.figures));
      return parts;
    });
  }

  function auditKeys(entries) {
    const seen = new Map();
    return entries.map((e) => {
      const base = `${e.at}|${e.actor}|${e.action}|${e.subject}`;
      const n = (seen.get(base) || 0) + 1;
      seen.set(base, n);
      return { key: `${base}|${n}`, entry: e };
    });
  }

  function show(bot) {
    if (state.bot !== bot) {
      state.bot = bot;
      state.view = null;
      state.rollout = null;
      state.etag = null;
      for (const body of [versionsBody, pinsBody, auditBody]) body.replaceChildren();
      facts.replaceChildren();
      delete facts.dataset.signature;
      Dash.controls.reset();
      Dash.users.reset();
    }
    setText(title, bot);
  }

  async function refresh() {
    const bot = state.bot;
    const path = Dash.api.botPath(bot);
    const [viewAnswer, rolloutAnswer, healthAnswer, auditAnswer] = await Promise.all([
      Dash.api.call("GET", path),
      Dash.api.call("GET", `${path}/rollout`),
      Dash.api.call("GET", `${path}/health?window=${encodeURIComponent(windowSelect.value)}`),
      Dash.api.call("GET", `${path}/audit?limit=50`),
      Dash.users.refresh(),
    ]);
    if (bot !== state.bot) return; // the operator went to another bot meanwhile
    const view = viewAnswer.data;
    const rollout = rolloutAnswer.data;
    Object.assign(state, { view, rollout, etag: rolloutAnswer.etag });

    setText(summary, `Serving: stable ${view.serving.stable || "none"}, canary ${canaryWords(view.serving.canary)}.`);
    syncRows(versionsBody, view.versions, (v) => v.version, buildVersion, updateVersion);
    replaceIfChanged(facts, JSON.stringify([rollout, view.serving]), () => renderFacts(view, rollout));
    replaceIfChanged(progression, JSON.stringify(rollout.canary || null), () => renderProgression(rollout.canary));
    replaceIfChanged(lastGuard, JSON.stringify(rollout.last_guard || null), () => renderLastGuard(rollout.last_guard));
    const pins = Object.entries(view.pins);
    syncRows(pinsBody, pins, ([user]) => user, buildPin, updatePin);
    pinsEmpty.hidden = pins.length > 0;
    const audit = auditKeys(auditAnswer.data.entries);
    syncRows(auditBody, audit, (a) => a.key, buildAudit, (row, a) => updateAudit(row, a.entry));
    Dash.health.update(healthAnswer.data, rollout);
    Dash.controls.update(state);
  }

  windowSelect.addEventListener("change", () => Dash.app.refreshNow());

  return { state, show, refresh, writable };
})();
