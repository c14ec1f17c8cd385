// botgate dashboard: storing a draft from a pasted definition (PUT .../versions/{version}, YAML or JSON as is).
// The bot and version are read from the pasted text's top-level `bot:` and `version:` lines until the operator
// types them; the gateway checks they agree with the text, and a 422 lists every problem with its path.
"use strict";

window.Dash = window.Dash || {};

Dash.store = (() => {
  const { h } = Dash.dom;
  const { call, botPath, segment } = Dash.api;
  const template = document.getElementById("store-form-template");

  function topLevel(text, key) {
    const match = new RegExp(`^${key}:[ \\t]*["']?([^\\s"'#]+)`, "m").exec(text);
    return match ? match[1] : null;
  }

  // JSON when it looks like a JSON object, YAML otherwise (the gateway reads YAML with Content-Type application/yaml).
  function contentType(text) {
    return text.trim().startsWith("{") ? "application/json" : "application/yaml";
  }

  function mount(holder) {
    holder.append(template.content.cloneNode(true));
    const form = holder.querySelector("form");
    const withBot = "withBot" in holder.dataset;
    const fields = form.elements;
    const result = form.querySelector(".outcome");
    if (!withBot) form.querySelector("[data-bot-field]").remove();
    const typed = new Set();

    for (const name of ["bot", "version"]) {
      if (fields[name]) fields[name].addEventListener("input", () => typed.add(name));
    }
    fields.definition.addEventListener("input", () => {
      for (const name of ["bot", "version"]) {
        const found = topLevel(fields.definition.value, name);
        if (fields[name] && !typed.has(name) && found) fields[name].value = found;
      }
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const bot = withBot ? fields.bot.value.trim() : Dash.bot.state.bot;
      const version = fields.version.value.trim();
      const text = fields.definition.value;
      if (!bot || !version || !text.trim()) {
        Dash.controls.outcome(result, "error", "Give the bot, the version and the definition.");
        return;
      }
      Dash.controls.act(form.querySelector("button[type=submit]"), result, "the draft",
        () => call("PUT", botPath(bot, "versions", segment(version)), { body: text, contentType: contentType(text) }),
        (answer) => {
          const stored = `${answer.data.bot} ${answer.data.version}`;
          if (answer.status === 200) return `${stored} was already stored with this content; nothing changed.`;
          typed.clear();
          form.reset();
          if (withBot) {
            result.dataset.kind = "ok";
            queueMicrotask(() => result.append(h("p", {}, h("a", { href: `#/bots/${encodeURIComponent(answer.data.bot)}`, text: `Open ${answer.data.bot}` }))));
          }
          return `Stored ${stored} as a draft: only pinned users reach it until it is published.`;
        });
    });
  }

  for (const holder of document.querySelectorAll("[data-store-form]")) mount(holder);

  return {}; // the forms wire themselves up: nothing for other files to call
})();
