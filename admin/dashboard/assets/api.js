// botgate dashboard: the admin API client. The token lives in this tab's sessionStorage and goes only to this
// gateway's /admin/v1, as a bearer token; nothing else is ever fetched.
"use strict";

window.Dash = window.Dash || {};

Dash.api = (() => {
  const TOKEN_KEY = "botgate:admin-token";
  const BASE = "/admin/v1";

  // The gateway answered with an error: `status`, and the JSON error's code, message and details.
  class ApiError extends Error {
    constructor(status, body, headers) {
      const error = (body && body.error) || {};
      super(error.message || `the gateway answered ${status}`);
      this.status = status;
      this.code = error.code || null;
      this.details = error.details === undefined ? null : error.details;
      this.etag = headers ? headers.get("ETag") : null;
    }
  }

  // The gateway could not be reached (stopped, restarting, network down): the page says "reconnecting".
  class Offline extends Error {}

  // Whether a failed call is worth retrying after a pause: no answer at all, or 503 (the gateway's store is down).
  function unreachable(error) {
    return error instanceof Offline || (error instanceof ApiError && error.status === 503);
  }

  // This tab's sessionStorage. Where storage is disabled every use of it throws: nothing is kept, so the token lasts
  // as long as the page and the operator signs in again on each load.
  function recalled(key) {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return null;
    }
  }

  // Keep `value` under `key` (null: forget it).
  function remember(key, value) {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, value);
    } catch {
      // storage disabled: see above
    }
  }

  // What `key` holds (null for nothing), read once: it is forgotten.
  function takeRemembered(key) {
    const value = recalled(key);
    remember(key, null);
    return value;
  }

  function setToken(value) {
    remember(TOKEN_KEY, value);
    memory = value;
  }

  let memory = recalled(TOKEN_KEY);

  // One call of the admin API. `body` is sent as JSON, or as is (a string) with `contentType`; `ifMatch` sends
  // If-Match. Resolves to {data, etag, status}; rejects with ApiError or Offline.
  async function call(method, path, { body, contentType, ifMatch, bearer } = {}) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${bearer || memory}` };
    let payload;
    if (typeof body === "string") {
      payload = body;
      headers["Content-Type"] = contentType;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    if (ifMatch) headers["If-Match"] = ifMatch;
    let response;
    let text;
    try {
      response = await fetch(BASE + path, { method, headers, body: payload, cache: "no-store", credentials: "omit" });
      text = await response.text();
    } catch {
      throw new Offline("the gateway cannot be reached");
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null; // a proxy's HTML error page: the status says enough
      }
    }
    if (!response.ok) throw new ApiError(response.status, data, response.headers);
    return { data, etag: response.headers.get("ETag"), status: response.status };
  }

  // One path segment naming a bot, version or user, percent-encoded as the admin API reads it. The URL standard
  // drops "." and ".." segments (even as %2E), so a browser cannot name those two user ids: say so, send nothing.
  function segment(value) {
    if (value === "." || value === "..") {
      throw new ApiError(0, {
        error: { code: "unaddressable", message: `a browser cannot name the user id “${value}” in a URL; use the botgate command line` },
      });
    }
    try {
      return encodeURIComponent(value);
    } catch {
      throw new ApiError(0, { error: { code: "invalid", message: "the id holds a broken character (a lone surrogate)" } });
    }
  }

  function botPath(bot, ...rest) {
    return ["/bots", segment(bot), ...rest].join("/");
  }

  // The lines that explain an error to the operator: its message, then each problem with its path.
  function problems(error) {
    if (!(error instanceof ApiError) || !Array.isArray(error.details)) return [];
    return error.details
      .filter((d) => d && typeof d === "object")
      .map((d) => (d.path ? `${d.path}: ${d.message}` : String(d.message)));
  }

  return {
    ApiError, Offline, unreachable, call, segment, botPath, problems,
    token: () => memory, setToken, remember, takeRemembered,
  };
})();
