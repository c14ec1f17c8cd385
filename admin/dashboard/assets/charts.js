// botgate dashboard: per-version line charts drawn by the vendored uPlot. A version keeps its colour and its dash
// pattern for the life of the page, and its name is in the legend, so colour is never the only way to tell lines
// apart. Each chart's data is also on its <figure> as `data-series` (JSON), for tests and for anyone curious.
"use strict";

window.Dash = window.Dash || {};

Dash.charts = (() => {
  const COLOURS = ["#2156c9", "#c2410c", "#0f766e", "#7c3aed", "#b42318", "#4d7c0f", "#a21caf", "#0369a1"];
  const DASHES = [[], [10, 5], [2, 4], [12, 4, 2, 4], [6, 3, 1, 3, 1, 3]];
  const assigned = new Map(); // version -> index, in order of first sight

  function styleOf(version) {
    if (!assigned.has(version)) assigned.set(version, assigned.size);
    const i = assigned.get(version);
    return { stroke: COLOURS[i % COLOURS.length], dash: DASHES[i % DASHES.length] };
  }

  // Dots only where a line would be too short to see: a series of a few known minutes (one minute is no line).
  function sparse(u, seriesIdx) {
    return u.data[seriesIdx].filter((v) => v !== null && v !== undefined).length <= 3;
  }

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#555";
  }

  // A chart of one figure per version per minute, in `figure` (its `.plot` holds the canvas).
  class VersionChart {
    constructor(figure, unit) {
      this.figure = figure;
      this.plotBox = figure.querySelector(".plot");
      this.text = figure.querySelector(".chart-text");
      this.unit = unit;
      this.plot = null;
      this.versions = [];
      // Resized on the next frame, not inside the observer: resizing there would trigger the observer again.
      new ResizeObserver(() => requestAnimationFrame(() => this.resize())).observe(this.plotBox);
    }

    size() {
      return { width: Math.max(240, Math.floor(this.plotBox.clientWidth)), height: 210 };
    }

    resize() {
      if (!this.plot) return;
      const { width, height } = this.size();
      if (width !== this.plot.width) this.plot.setSize({ width, height });
    }

    options(versions) {
      const text = cssVar("--muted");
      const grid = cssVar("--line");
      const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      return {
        ...this.size(),
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max || 0)] } },
        axes: [axis, { ...axis, size: 44 }],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
        series: [
          {},
          ...versions.map((version) => ({
            label: `v${version}`,
            ...styleOf(version),
            width: 2,
            spanGaps: false,
            points: { show: sparse, size: 6 },
            value: (u, v) => (v === null || v === undefined ? "—" : Dash.dom.number(v)),
          })),
        ],
      };
    }

    // `times`: ISO minutes, oldest first; `byVersion`: version -> values (null where nothing is known).
    update(times, byVersion) {
      const versions = Object.keys(byVersion);
      const data = [times.map((t) => Date.parse(t) / 1000), ...versions.map((v) => byVersion[v])];
      const signature = JSON.stringify({ t: times, versions: byVersion });
      if (this.figure.dataset.series === signature && this.plot) return;
      this.figure.dataset.series = signature;
      Dash.dom.setText(this.text, this.summary(versions, byVersion));
      if (this.plot && versions.join() === this.versions.join()) {
        this.plot.setData(data);
        return;
      }
      if (this.plot) this.plot.destroy();
      this.versions = versions;
      this.plot = new uPlot(this.options(versions), data, this.plotBox);
    }

    // The chart in words: the latest figure of each version, for screen readers and at a glance.
    summary(versions, byVersion) {
      if (!versions.length) return "No data in this window.";
      const parts = versions.map((v) => {
        const values = byVersion[v].filter((x) => x !== null && x !== undefined);
        const last = values.length ? values[values.length - 1] : null;
        return `v${v}: ${last === null ? "—" : Dash.dom.number(last)}`;
      });
      return `Latest minute — ${parts.join(", ")} ${this.unit}.`;
    }
  }

  return { VersionChart };
})();
