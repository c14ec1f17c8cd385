// botgate dashboard: the rollout form (stable, canary percent, guard, steps and hold). It shows the rollout as
// stored until the operator edits it; from then on refreshes leave it alone, and saving sends If-Match with the
// ETag of the rollout the form was filled from. A 412 means someone (or the guard) changed the rollout in between:
// nothing is saved, the operator is told, and the form shows the rollout as it is now.
"use strict";

window.Dash = window.Dash || {};

Dash.rollout = (() => {
  const { h, replaceIfChanged, canaryWords } = Dash.dom;
  const { call, botPath, ApiError } = Dash.api;
  const form = document.getElementById("rollout-form");
  const f = form.elements;
  const discard = document.getElementById("rollout-discard");
  const result = document.getElementById("rollout-outcome");
  const guardFields = ["max_error_rate_increase", "max_completion_drop", "min_conversations", "window"];
  const GUARD_DEFAULTS = { max_error_rate_increase: 0.02, max_completion_drop: 0.05, min_conversations: 100, window: 900 };
  let dirty = false;
  let etag = null; // of the rollout the form shows

  function options(select, first, versions, chosen) {
    const names = versions.slice();
    if (chosen && !names.includes(chosen)) names.push(chosen); // named by the rollout but no longer published
    // Rebuilt only when they change: an open drop-down stays open.
    replaceIfChanged(select, JSON.stringify([first, names, versions]), () => [
      h("option", { value: "", text: first }),
      ...names.map((v) => h("option", { value: v, text: versions.includes(v) ? v : `${v} (not published)` })),
    ]);
    if (select.value !== (chosen || "")) select.value = chosen || "";
  }

  function setGuardEnabled() {
    const on = f.guard.checked && !!f.canary.value;
    for (const name of guardFields) f[name].disabled = !on;
    f.guard.disabled = !f.canary.value;
    f.steps.disabled = !f.canary.value;
    f.hold.disabled = !f.canary.value || !f.steps.value.trim();
    f.percent.disabled = !f.canary.value;
  }

  // Show `rollout` (as GET /rollout answers it, `tag` its ETag) in the form, which is then unedited.
  function fill(state, rollout, tag) {
    const published = state.view.versions.filter((v) => v.status === "published").map((v) => v.version);
    const canary = rollout.canary;
    options(f.stable, `Automatic: the highest published release (${state.view.serving.stable || "none"})`, published, rollout.stable);
    options(f.canary, "No canary", published, canary ? canary.version : null);
    f.percent.value = canary ? canary.percent : "";
    const guard = canary && canary.guard;
    f.guard.checked = !!guard;
    for (const name of guardFields) f[name].value = (guard || GUARD_DEFAULTS)[name];
    f.steps.value = canary && Array.isArray(canary.steps) ? canary.steps.join(", ") : "";
    f.hold.value = canary && canary.hold ? canary.hold : "";
    etag = tag;
    dirty = false;
    discard.hidden = true;
    setGuardEnabled();
  }

  function edited() {
    if (!dirty) {
      dirty = true;
      discard.hidden = false;
    }
    result.replaceChildren();
    setGuardEnabled();
  }

  function numberOr(text) {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? n : text; // not a number: sent as is, the gateway says why
  }

  // The PUT body: the rollout the form asks for (a canary's guard and steps null when the form has none).
  function body() {
    const out = { stable: f.stable.value || null, canary: null };
    if (!f.canary.value) return out;
    const canary = { version: f.canary.value, percent: numberOr(f.percent.value) };
    canary.guard = null;
    if (f.guard.checked) {
      canary.guard = {};
      for (const name of guardFields) if (f[name].value.trim() !== "") canary.guard[name] = numberOr(f[name].value);
    }
    const steps = f.steps.value.split(/[\s,]+/).filter(Boolean).map(numberOr);
    canary.steps = steps.length ? steps : null;
    if (steps.length && f.hold.value.trim() !== "") canary.hold = numberOr(f.hold.value);
    out.canary = canary;
    return out;
  }

  function saved(rollout) {
    const c = rollout.canary;
    return `Saved: stable ${rollout.stable || "automatic"}, ${c ? `canary ${canaryWords(c)}` : "no canary"}.`;
  }

  async function submit(event) {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const state = Dash.bot.state;
    button.disabled = true;
    try {
      // Before the form was first filled there is no ETag: no If-Match, the change applies to what is stored.
      const answer = await call("PUT", botPath(state.bot, "rollout"), { body: body(), ifMatch: etag });
      Dash.controls.outcome(result, "ok", saved(answer.data));
      dirty = false; // the next refresh fills the form with what is stored now
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        Dash.controls.outcome(result, "error",
          "Not saved: someone else changed the rollout after this form was filled, and nothing was overwritten. " +
          "The form now shows the rollout as it is; make your change again if it still applies.");
        // The gateway's 412 always holds the rollout as stored now (details.rollout) and its tag (ETag).
        fill(state, error.details.rollout, error.etag);
      } else {
        Dash.controls.failure(result, error, "the change");
      }
    } finally {
      button.disabled = false;
    }
    Dash.app.refreshNow();
  }

  function update(state) {
    if (!dirty) fill(state, state.rollout, state.etag);
  }

  function reset() {
    dirty = false;
    etag = null;
    result.replaceChildren();
  }

  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  form.addEventListener("submit", submit);
  discard.addEventListener("click", () => {
    dirty = false;
    result.replaceChildren();
    Dash.app.refreshNow();
  });

  return { update, reset };
})();
