// botgate dashboard: a bot's health (GET /admin/v1/bots/{bot}/health?window=): active sessions per version per
// minute (the drain chart: an unpublished version's line falls to zero as its conversations end), turns and errors
// per minute per version, and each version's totals with the guard's last verdict.
"use strict";

window.Dash = window.Dash || {};

Dash.health = (() => {
  const { h, setText, syncRows, replaceIfChanged, count, rate, time } = Dash.dom;
  const charts = {
    active: new Dash.charts.VersionChart(document.getElementById("chart-active"), "active sessions"),
    turns: new Dash.charts.VersionChart(document.getElementById("chart-turns"), "turns per minute"),
    errors: new Dash.charts.VersionChart(document.getElementById("chart-errors"), "errors per minute"),
  };
  const tbody = document.querySelector("#health-table tbody");

  // version -> the series of one field, for the versions `keep` accepts (oldest minute first).
  function seriesOf(versions, field, keep) {
    const out = {};
    for (const [version, health] of Object.entries(versions)) {
      const values = health.series.map((point) => point[field]);
      if (keep(health, values)) out[version] = values;
    }
    return out;
  }

  // Versions worth a line: those the active counters know in the window (a drained version stays, at zero) ...
  const counted = (health, values) => values.some((v) => v !== null) || health.active_sessions > 0;
  // ... or any turn, failed or not.
  const hadTurns = (health) => health.turns + health.errors > 0;

  function verdict(version, rollout) {
    const last = rollout && rollout.last_guard;
    const canary = rollout && rollout.canary;
    const figures = (last && last.figures) || {};
    if (last && figures.canary && figures.canary.version === version) {
      return [`${last.action} at `, time(last.at)];
    }
    if (last && figures.stable && figures.stable.version === version) return ["the baseline of the last decision"];
    if (canary && canary.version === version && canary.guard) return ["guarded; no decision yet"];
    return ["—"];
  }

  function build() {
    const cells = Array.from({ length: 9 }, () => h("td", { className: "num" }));
    return h("tr", {}, h("th", { scope: "row" }), ...cells, h("td"));
  }

  function updater(rollout) {
    return (row, [version, health]) => {
      const c = row.cells;
      setText(c[0], version);
      const figures = [health.started, health.completed, health.reset, health.migrated, health.turns, health.errors];
      figures.forEach((n, i) => setText(c[i + 1], count(n)));
      setText(c[7], rate(health.error_rate));
      setText(c[8], rate(health.completion_rate));
      setText(c[9], count(health.p95_ms));
      const last = rollout && rollout.last_guard;
      replaceIfChanged(c[10], JSON.stringify([last, rollout && rollout.canary, version]), () => verdict(version, rollout));
    };
  }

  function update(health, rollout) {
    const versions = health.versions;
    const any = Object.values(versions)[0];
    const times = any ? any.series.map((p) => p.t) : [];
    charts.active.update(times, seriesOf(versions, "active_sessions", counted));
    charts.turns.update(times, seriesOf(versions, "turns", hadTurns));
    charts.errors.update(times, seriesOf(versions, "errors", hadTurns));
    syncRows(tbody, Object.entries(versions), ([v]) => v, build, updater(rollout));
  }

  return { update };
})();
