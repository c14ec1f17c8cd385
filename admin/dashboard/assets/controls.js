// botgate dashboard: the controls a read-write token gets. Publish and unpublish (after a confirmation that says
// what changes for whom), pins, and storing a draft from pasted YAML. The rollout form is in rollout.js. A read-only
// token never gets these: the page builds none of them (body[data-writable="false"]).
"use strict";

window.Dash = window.Dash || {};

Dash.controls = (() => {
  const { h, setText, replaceIfChanged } = Dash.dom;
  const { call, botPath, segment, ApiError, Offline, problems } = Dash.api;
  const dialog = document.getElementById("confirm");
  const dialogTitle = document.getElementById("confirm-title");
  const dialogText = document.getElementById("confirm-text");
  const yes = document.getElementById("confirm-yes");
  const no = document.getElementById("confirm-no");
  const pinForm = document.getElementById("pin-form");
  const pinVersion = document.getElementById("pin-version");
  const pinOutcome = document.getElementById("pin-outcome");
  const versionOutcome = document.getElementById("version-outcome");

  function bot() {
    return Dash.bot.state.bot;
  }

  // Ask before a change: resolves true for the confirming button, false for Cancel or Escape.
  function ask(title, body, confirmText) {
    const opener = document.activeElement;
    setText(dialogTitle, title);
    dialogText.replaceChildren(...body);
    setText(yes, confirmText);
    return new Promise((resolve) => {
      const finish = (answer) => {
        yes.removeEventListener("click", onYes);
        no.removeEventListener("click", onNo);
        dialog.removeEventListener("cancel", onCancel);
        dialog.close();
        if (opener && opener.isConnected) opener.focus();
        resolve(answer);
      };
      const onYes = () => finish(true);
      const onNo = () => finish(false);
      const onCancel = (event) => {
        event.preventDefault();
        finish(false);
      };
      yes.addEventListener("click", onYes);
      no.addEventListener("click", onNo);
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
      no.focus(); // the safe choice has the focus: Enter does not change anything by accident
    });
  }

  // Show what happened in `el`: a sentence, and for a refused change each problem with its path.
  function outcome(el, kind, message, lines = []) {
    el.dataset.kind = kind;
    el.replaceChildren(h("p", { text: message }));
    if (lines.length) el.append(h("ul", {}, ...lines.map((line) => h("li", { text: line }))));
  }

  function failure(el, error, what) {
    if (error instanceof Offline) {
      outcome(el, "error", `The gateway did not answer, so ${what} may not have been made; the page shows what is stored once it reconnects.`);
    } else if (error instanceof ApiError) {
      outcome(el, "error", `Not done: ${error.message}`, problems(error));
    } else {
      throw error;
    }
  }

  // Run a change from `button`, report it in `el`, then refresh the page at once.
  async function act(button, el, what, change, done) {
    button.disabled = true;
    try {
      const answer = await change();
      outcome(el, "ok", done(answer));
    } catch (error) {
      failure(el, error, what);
    } finally {
      button.disabled = false;
    }
    Dash.app.refreshNow();
  }

  function isPrerelease(version) {
    const release = version.split("+")[0];
    return /^(\d+!)?\d+(\.\d+)*(a|b|rc)\d+/.test(release) || /\.dev\d+$/.test(release);
  }

  // What publishing `version` changes for new conversations, in one sentence.
  function publishEffect(version) {
    const { view, rollout } = Dash.bot.state;
    const automatic = view.versions.find(
      (v) => (v.version === version.version || v.status === "published") && !isPrerelease(v.version),
    );
    if (!rollout.stable && automatic && automatic.version === version.version) {
      const now = view.serving.stable;
      return `New conversations will start on ${version.version} at once: no stable version is set, so the highest ` +
        `published release is stable.${now ? ` To keep them on ${now}, set Stable to ${now} first.` : ""}`;
    }
    return `${version.version} becomes eligible for routing: new conversations reach it only as stable, as the ` +
      "canary, or through a pin.";
  }

  async function publish(button, version) {
    const ok = await ask(`Publish ${bot()} ${version.version}?`, [h("p", { text: publishEffect(version) })],
      `Publish ${version.version}`);
    if (!ok) return;
    await act(button, versionOutcome, "the change", () => call("POST", botPath(bot(), "versions", segment(version.version), "publish")),
      () => `Published ${bot()} ${version.version}.`);
  }

  function choice(name, value, label, checked) {
    const input = h("input", { type: "radio", name, value, checked });
    return h("label", {}, input, h("span", { text: label }));
  }

  async function unpublish(button, version) {
    const n = version.active_sessions;
    const users = `${n} ${n === 1 ? "user has a conversation" : "users have conversations"} under way on ${version.version}`;
    const { view } = Dash.bot.state;
    const othersPublished = view.versions.some((v) => v.status === "published" && v.version !== version.version);
    const options = h("fieldset", {},
      h("legend", { text: "Conversations under way" }),
      choice("in_flight", "drain", `Drain: let ${n === 1 ? "it" : `these ${n}`} finish on ${version.version}`, true),
      choice("in_flight", "reset", `Reset: tell ${n === 1 ? "this user" : `each of these ${n} users`} and restart ` +
        "at their next message, on the version routing picks", false));
    const body = [h("p", { text: `${users}. New conversations will not start on it.` })];
    if (!othersPublished) body.push(h("p", { text: "It is the only published version: new conversations get “no published version” until you publish another." }));
    body.push(options);
    const ok = await ask(`Unpublish ${bot()} ${version.version}?`, body, `Unpublish ${version.version}`);
    if (!ok) return;
    const inFlight = options.querySelector("input:checked").value;
    await act(button, versionOutcome, "the change",
      () => call("POST", botPath(bot(), "versions", segment(version.version), "unpublish"), { body: { in_flight: inFlight } }),
      () => `Unpublished ${bot()} ${version.version} (${inFlight}): ${users}.`);
  }

  // The buttons of one row of the versions table.
  function versionActions(version) {
    const box = h("div", { className: "actions" });
    if (version.status === "published") {
      const button = h("button", { type: "button", className: "small danger", text: "Unpublish…" });
      button.setAttribute("aria-label", `Unpublish ${version.version}`);
      button.addEventListener("click", () => unpublish(button, currentVersion(version.version)));
      box.append(button);
    } else {
      const button = h("button", { type: "button", className: "small", text: "Publish…" });
      button.setAttribute("aria-label", `Publish ${version.version}`);
      button.addEventListener("click", () => publish(button, currentVersion(version.version)));
      box.append(button);
    }
    return [box];
  }

  // The version as the last refresh saw it (its active sessions change while the row stays).
  function currentVersion(name) {
    return Dash.bot.state.view.versions.find((v) => v.version === name);
  }

  function unpinButton(user) {
    const button = h("button", { type: "button", className: "small secondary", text: "Unpin" });
    button.setAttribute("aria-label", `Unpin ${user}`);
    button.addEventListener("click", () => act(button, pinOutcome, "the change",
      () => call("DELETE", botPath(bot(), "pins", segment(user))),
      (answer) => `Unpinned ${user}: their next conversation is routed as everyone else's (${answer.data.next_conversation ? answer.data.next_conversation.version : "nothing published"}).`));
    return button;
  }

  pinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const user = pinForm.elements.user.value;
    const version = pinVersion.value;
    if (!user || !version) {
      outcome(pinOutcome, "error", "Give a user id and a version.");
      return;
    }
    act(pinForm.querySelector("button[type=submit]"), pinOutcome, "the pin",
      () => call("PUT", botPath(bot(), "pins", segment(user)), { body: { version } }),
      () => {
        pinForm.elements.user.value = "";
        return `Pinned ${user} to ${version}: their next conversation starts on it.`;
      });
  });

  function fillPinVersions(view) {
    const pinnable = view.versions.filter((v) => v.status !== "unpublished").map((v) => v.version);
    const chosen = pinVersion.value;
    replaceIfChanged(pinVersion, pinnable.join(","), () => pinnable.map((v) => h("option", { value: v, text: v })));
    if (pinVersion.value !== chosen && pinnable.includes(chosen)) pinVersion.value = chosen; // kept across a rebuild
  }

  function update(state) {
    if (!Dash.bot.writable()) return;
    fillPinVersions(state.view);
    Dash.rollout.update(state);
  }

  function reset() {
    for (const el of [pinOutcome, versionOutcome]) el.replaceChildren();
    delete pinVersion.dataset.signature;
    Dash.rollout.reset();
  }

  return { ask, outcome, failure, act, versionActions, unpinButton, update, reset };
})();
