// botgate dashboard: the list of bots (GET /admin/v1/bots): what each serves, its canary and guard, its users.
"use strict";

window.Dash = window.Dash || {};

Dash.bots = (() => {
  const { h, setText, syncRows } = Dash.dom;
  const tbody = document.querySelector("#bots-table tbody");
  const empty = document.getElementById("bots-empty");

  // What a canary is doing, in words: its guard and where it is on its steps, and the guard's last action.
  function guardState(rollout) {
    const canary = rollout && rollout.canary;
    const last = rollout && rollout.last_guard;
    const parts = [];
    if (canary && canary.guard) parts.push("guarded");
    if (canary && Array.isArray(canary.steps)) {
      const at = canary.steps.findIndex((s) => s >= canary.percent);
      parts.push(`step ${at < 0 ? canary.steps.length : at + 1} of ${canary.steps.length}`);
    }
    if (canary && !parts.length) parts.push("no guard");
    if (last && last.action) parts.push(`last: ${last.action}`);
    return parts.join(" · ") || "—";
  }

  function canaryText(bot) {
    const canary = bot.serving.canary;
    return canary ? `${canary.version} at ${Dash.dom.number(canary.percent)} %` : "none";
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
    setText(canary, canaryText(bot));
    setText(guard, guardState(bot.rollout));
    setText(active, Dash.dom.count(bot.versions.reduce((sum, v) => sum + v.active_sessions, 0)));
    setText(versions, Dash.dom.count(bot.versions.length));
  }

  async function refresh() {
    const { data } = await Dash.api.call("GET", "/bots");
    syncRows(tbody, data.bots, (b) => b.bot, build, update);
    empty.hidden = data.bots.length > 0;
  }

  return { refresh, guardState };
})();
