// botgate dashboard: small DOM helpers. Views update the page in place (text only when it changed, table rows
// matched by key), so a refresh never flickers, never moves the scroll position and never takes focus away.
"use strict";

window.Dash = window.Dash || {};

Dash.dom = (() => {
  // h("td", {className: "num", text: "3"}, child, ...): an element with properties, attributes and children.
  function h(tag, props = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (name === "text") el.textContent = value;
      else if (name === "attrs") for (const [a, v] of Object.entries(value)) el.setAttribute(a, v);
      else if (name === "dataset") Object.assign(el.dataset, value);
      else if (name === "on") for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
      else el[name] = value;
    }
    for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
    return el;
  }

  function setText(el, text) {
    const value = text === null || text === undefined ? "" : String(text);
    if (el.textContent !== value) el.textContent = value;
  }

  function setAttr(el, name, value) {
    if (value === null || value === undefined) el.removeAttribute(name);
    else if (el.getAttribute(name) !== String(value)) el.setAttribute(name, value);
  }

  // Replace an element's children only when what they would show differs (`signature` says what they show).
  function replaceIfChanged(el, signature, build) {
    if (el.dataset.signature === signature) return;
    el.dataset.signature = signature;
    el.replaceChildren(...build());
  }

  // Make `tbody` hold one row per item, in order: rows are reused by key and only their changed text is touched.
  function syncRows(tbody, items, keyOf, build, update) {
    const existing = new Map();
    for (const row of Array.from(tbody.rows)) existing.set(row.dataset.key, row);
    items.forEach((item, index) => {
      const key = String(keyOf(item));
      let row = existing.get(key);
      if (row) existing.delete(key);
      else {
        row = build(item);
        row.dataset.key = key;
      }
      update(row, item);
      if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] || null);
    });
    for (const row of existing.values()) row.remove();
  }

  const LOCAL_TIME = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const LOCAL_CLOCK = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  function utcText(iso) {
    return `${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC`;
  }

  // A <time>: the viewer's local time as text, the UTC instant on hover and in `datetime`.
  function setTime(el, iso) {
    if (!iso) {
      setText(el, "—");
      setAttr(el, "datetime", null);
      setAttr(el, "title", null);
      return;
    }
    setText(el, LOCAL_TIME.format(new Date(iso)));
    setAttr(el, "datetime", iso);
    setAttr(el, "title", utcText(iso));
  }

  function time(iso) {
    const el = h("time");
    setTime(el, iso);
    return el;
  }

  function clock(date) {
    return LOCAL_CLOCK.format(date);
  }

  const INTEGER = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const DECIMAL = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

  function count(n) {
    return n === null || n === undefined ? "—" : INTEGER.format(n);
  }

  function number(n) {
    return n === null || n === undefined ? "—" : DECIMAL.format(n);
  }

  // A percent 0-100 as the page writes it everywhere: "12.5 %".
  function percent(n) {
    return `${number(n)} %`;
  }

  // A canary in words: "2.1.0 at 10 %", "none" for no canary.
  function canaryWords(canary) {
    return canary ? `${canary.version} at ${percent(canary.percent)}` : "none";
  }

  // A rate 0-1 as a percentage with one decimal, "—" for null (nothing to divide by yet).
  function rate(r) {
    return r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)} %`;
  }

  function badge(status, text) {
    return h("span", { className: "badge", dataset: { status }, text: text || status });
  }

  return {
    h, setText, setAttr, replaceIfChanged, syncRows, setTime, time, clock, count, number, percent, canaryWords, rate, badge,
  };
})();
