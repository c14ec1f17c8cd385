// botgate dashboard: the list of bots (GET /admin/v1/bots): what each serves, its canary and guard, its users.
"use strict";

window.Dash = window.Dash || {};

Dash.bots = (() => {
  const { h, setText, syncRows, canaryWords } = Dash.dom;
  const tbody = document.querySelector("#bots-table tbody");
  const empty = document.getElementById("bots-empty");

  // The step a canary with steps is on (0-based): the first at or above its percent, else the last. bot.js uses
  // it too, so the list and the bot's page never disagree.
  function stepIndex(canary) {
    const at = canary.steps.findIndex((s) => s >= canary.percent);
    return at < 0 ? canary.steps.length - 1 : at;
  }

  // What a canary is doing, in words: its guard and where it is on its steps, and the guard's last action.
  function guardState(rollout) {
    const canary = rollout && rollout.canary;
    const last = rollout && rollout.last_guard;
    const parts = [];
    if (canary && canary.guard) parts.push("guarded");
    if (canary && Array.isArray(canary.steps)) parts.push(`step ${stepIndex(canary) + 1} of ${canary.steps.length}`);
    if (canary && !parts.length) parts.push("no guard");
    if (last && last.action) parts.push(`last: ${last.action}`);
    return parts.join(" · ") || "—";
  }

  function build(bot) {
    const link = h("a", { href: `#/bots/${encodeURIComponent(bot.bot)}` });
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, link),
      h("td"),
      h("td"),
      h("td"),
      h("td", { className: "num" }),
      h("td", { className: "num" }),
    );
  }

  function update(row, bot) {
    const [name, stable, canary, guard, active, versions] = row.cells;
    setText(name.firstChild, bot.bot);
    setText(stable, bot.serving.stable || "none published");
    setText(canary, canaryWords(bot.serving.canary));
    setText(guard, guardState(bot.rollout));
    setText(active, Dash.dom.count(bot.versions.reduce((sum, v) => sum + v.active_sessions, 0)));
    setText(versions, Dash.dom.count(bot.versions.length));
  }

  async function refresh() {
    const { data } = await Dash.api.call("GET", "/bots");
    syncRows(tbody, data.bots, (b) => b.bot, build, update);
    empty.hidden = data.bots.length > 0;
  }

  return { refresh, stepIndex };
})();
