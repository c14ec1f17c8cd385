// botgate dashboard: signing in, the two views (#/ the bots, #/bots/<bot> one bot), and the refresh loop. The page
// reads everything again every few seconds and updates it in place; when the gateway cannot be reached it says
// "Reconnecting", keeps showing the last figures, and tries again with a growing pause until it answers.
"use strict";

window.Dash = window.Dash || {};

Dash.app = (() => {
  const { setText, clock } = Dash.dom;
  const { call, ApiError, Offline, unreachable } = Dash.api;
  const REFRESH_MS = 3000;
  const BACKOFF_MS = [1000, 2000, 4000, 8000];
  const SIGNED_OUT_KEY = "botgate:signed-out-because";
  const body = document.body;
  const connection = document.getElementById("connection");
  const updated = document.getElementById("updated");
  const banner = document.getElementById("banner");
  const who = document.getElementById("who");
  const identity = document.getElementById("identity");
  const signInSection = document.getElementById("sign-in");
  const signInForm = document.getElementById("sign-in-form");
  const signInError = document.getElementById("sign-in-error");
  const views = { bots: document.getElementById("view-bots"), bot: document.getElementById("view-bot") };

  let timer = null;
  let running = false;
  let again = false;
  let failures = 0;
  let lastGood = null;
  let refreshed = 0; // successful refreshes, on <body data-refreshed>: a test can wait for the next one

  function route() {
    const match = /^#\/bots\/([^/]+)$/.exec(location.hash);
    if (!match) return { name: "bots" };
    try {
      return { name: "bot", bot: decodeURIComponent(match[1]) };
    } catch {
      return { name: "bots" };
    }
  }

  function setConnection(state, text) {
    connection.dataset.state = state;
    setText(connection, text);
  }

  function showBanner(text, kind) {
    setText(banner, text);
    banner.dataset.kind = kind;
    banner.hidden = false;
  }

  function hideBanner() {
    banner.hidden = true;
  }

  function showView() {
    const current = route();
    views.bots.hidden = current.name !== "bots";
    views.bot.hidden = current.name !== "bot";
    if (current.name === "bot") Dash.bot.show(current.bot);
    document.title = current.name === "bot" ? `${current.bot} · botgate dashboard` : "botgate dashboard";
    return current;
  }

  // The pause before the next try after `n` failed ones in a row: growing, then steady at the longest.
  function backoff(n) {
    return BACKOFF_MS[Math.min(n, BACKOFF_MS.length - 1)];
  }

  function viewRefresh() {
    return route().name === "bot" ? Dash.bot.refresh() : Dash.bots.refresh();
  }

  async function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    let delay = REFRESH_MS;
    try {
      await viewRefresh();
      failures = 0;
      lastGood = new Date();
      setConnection("live", "Live");
      setText(updated, `Updated ${clock(lastGood)}`);
      refreshed += 1;
      body.dataset.refreshed = String(refreshed);
      hideBanner();
    } catch (error) {
      delay = failed(error);
    } finally {
      running = false;
    }
    if (delay === null) return; // signed out
    timer = setTimeout(refresh, delay);
    if (again) {
      again = false;
      refresh();
    }
  }

  // What a failed refresh means to the operator; the pause before the next one (null: stop).
  function failed(error) {
    if (unreachable(error)) {
      const delay = backoff(failures);
      failures += 1;
      setConnection("reconnecting", "Reconnecting…");
      const why = error instanceof ApiError ? "The gateway's store is not answering" : "Can't reach the gateway";
      const since = lastGood ? ` The figures shown are from ${clock(lastGood)}.` : "";
      showBanner(`${why}; trying again in ${Math.round(delay / 1000)} s.${since}`, "error");
      return delay;
    }
    if (error instanceof ApiError && error.status === 401) {
      signOut("The gateway no longer accepts this token (it may have restarted with other tokens). Sign in again.");
      return null;
    }
    if (error instanceof ApiError) {
      showBanner(error.status === 404 && route().name === "bot" ? `There is no bot named “${route().bot}”.` : error.message, "error");
      return REFRESH_MS;
    }
    console.error(error); // a bug in this page: say so where tests and developers look
    showBanner(`The page failed to show the figures: ${error.message}`, "error");
    return REFRESH_MS;
  }

  function become(whoami) {
    const writable = !whoami.read_only;
    body.dataset.signedIn = "true";
    body.dataset.writable = String(writable);
    for (const el of document.querySelectorAll("[data-write]")) el.hidden = !writable;
    setText(identity, `${whoami.identity} · ${writable ? "read-write" : "read-only"}`);
    who.hidden = false;
    signInSection.hidden = true;
    showView();
    refresh();
  }

  function showSignIn(message) {
    body.dataset.signedIn = "false";
    signInSection.hidden = false;
    who.hidden = true;
    for (const view of Object.values(views)) view.hidden = true;
    setText(signInError, message || "");
    setConnection("idle", "");
    document.getElementById("token").focus();
  }

  function signOut(message) {
    clearTimeout(timer);
    Dash.api.setToken(null);
    if (message) Dash.api.remember(SIGNED_OUT_KEY, message); // storage disabled: the sign-in form shows no reason
    location.reload(); // a clean page: nothing of the last token's figures stays on screen
  }

  async function start(attempt = 0) {
    const reason = Dash.api.takeRemembered(SIGNED_OUT_KEY);
    if (!Dash.api.token()) return showSignIn(reason);
    try {
      become((await call("GET", "/whoami")).data);
    } catch (error) {
      if (unreachable(error)) {
        setConnection("reconnecting", "Reconnecting…");
        setTimeout(() => start(attempt + 1), backoff(attempt));
      } else {
        Dash.api.setToken(null);
        showSignIn(error.status === 401 ? "This gateway no longer accepts the token; sign in again." : error.message);
      }
    }
  }

  signInForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = signInForm.elements.token.value.trim();
    if (!token) return setText(signInError, "Paste an admin token.");
    const button = signInForm.querySelector("button");
    button.disabled = true;
    try {
      const whoami = (await call("GET", "/whoami", { bearer: token })).data;
      Dash.api.setToken(token);
      signInForm.reset();
      setText(signInError, "");
      become(whoami);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setText(signInError, "This gateway does not accept that token. Use one of BOTGATE_ADMIN_TOKENS, or the token botgate serve printed at start-up.");
      } else if (error instanceof Offline) {
        setText(signInError, "Can't reach the gateway; try again in a moment.");
      } else {
        setText(signInError, error.message);
      }
    } finally {
      button.disabled = false;
    }
  });

  document.getElementById("sign-out").addEventListener("click", () => signOut(null));

  window.addEventListener("hashchange", () => {
    if (body.dataset.signedIn !== "true") return;
    const current = showView();
    document.getElementById(current.name === "bot" ? "bot-title" : "bots-title").focus();
    refresh();
  });

  start();

  return { refreshNow: refresh };
})();
