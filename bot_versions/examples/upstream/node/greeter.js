// The greeter as a botgate `http` bot: Node.js standard library only (Node 18 or newer), one file to copy and change.
//
//     node greeter.js [--host 127.0.0.1] [--port 9002]
//
// botgate POSTs every turn to /turn as JSON and keeps the conversation's state for us: the bot answers from the
// request alone and keeps nothing between requests, so it can be restarted, scaled or redeployed at any time.
// When BOTGATE_UPSTREAM_SECRET is set (the same value as the gateway's), a call must carry
// `X-Botgate-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>` or it is answered 401.
"use strict";

const crypto = require("node:crypto");
const http = require("node:http");
const { parseArgs } = require("node:util");

const LANGUAGE = "Node";
const SECRET = process.env.BOTGATE_UPSTREAM_SECRET || ""; // empty: signatures are not checked
const MAX_BODY = 64 * 1024; // far above what botgate sends (state <= 16 KiB, a message <= 4096 characters)
const MAX_NAME = 4096; // characters: keeps the greeting well within botgate's 8192 per reply

// An answer other than 200: its status, error code and message go back to the caller as JSON.
class Refused extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Whether the header is the HMAC of these exact bytes (timingSafeEqual: no timing hint of how much matched).
function signatureOk(body, header) {
  const expected = Buffer.from("sha256=" + crypto.createHmac("sha256", SECRET).update(body).digest("hex"));
  const received = Buffer.from(header || "", "latin1");
  // timingSafeEqual throws on buffers of different lengths; the length of a signature is no secret.
  return received.length === expected.length && crypto.timingSafeEqual(received, expected);
}

// Only these four: JavaScript's trim() and Python's str.strip() disagree on other whitespace, and both greeters
// must agree.
function strip(text) {
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Answer one message: ask for the name first, greet with it next.
function messageTurn(request) {
  const message = request.message;
  const state = request.state === undefined ? null : request.state;
  if (!isObject(message) || typeof message.text !== "string") {
    throw new Refused(400, "bad_request", "message.text must be a string");
  }
  if (state === null) {
    // the first message of a conversation (botgate sends null)
    return { replies: [{ text: "What is your name?" }], state: { step: "ask_name" }, done: false };
  }
  if (!isObject(state) || state.step !== "ask_name") {
    throw new Refused(400, "bad_request", "state must be null or a state this greeter returned");
  }
  const name = strip(message.text);
  if (!name) {
    return { replies: [{ text: "What is your name?" }], state: { step: "ask_name" }, done: false };
  }
  if ([...name].length > MAX_NAME) {
    // counted in code points, as botgate and Python count characters (name.length counts UTF-16 units)
    throw new Refused(400, "bad_request", `message.text must be at most ${MAX_NAME} characters`);
  }
  const greeting = `Hello, ${name}, from the ${LANGUAGE} greeter`;
  return { replies: [{ text: greeting }], state: { step: "greeted" }, done: true };
}

// Take over a conversation from an older version, or decline with 409 so it stays there.
//
// The rule: this version continues any conversation that waits for the user's name, whichever version wrote it,
// and decides on the state alone (not on `from_version`). Such a state is `{"step": "ask_name", ...}`; it is
// adapted by keeping only the keys this version reads. Any other state is declined: a state the bot cannot
// read is never guessed at, the conversation finishes on the version that wrote it.
function migrate(request) {
  const state = request.state;
  if (!isObject(state) || typeof request.from_version !== "string") {
    throw new Refused(400, "bad_request", "a migrate event needs from_version (a string) and state (an object)");
  }
  if (state.step !== "ask_name") {
    throw new Refused(409, "cannot_migrate", "this version cannot continue that state");
  }
  return { state: { step: "ask_name" } };
}

// Strict UTF-8, and a byte order mark is kept so that JSON.parse refuses it, as Python's json does.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// The answer to one POST /turn body.
function turn(body) {
  let request;
  try {
    request = JSON.parse(utf8.decode(body));
  } catch {
    throw new Refused(400, "bad_request", "the body must be JSON in UTF-8");
  }
  if (!isObject(request)) {
    throw new Refused(400, "bad_request", "the body must be a JSON object");
  }
  if (request.event === "message") {
    return messageTurn(request);
  }
  if (request.event === "migrate") {
    return migrate(request);
  }
  throw new Refused(400, "bad_request", "event must be message or migrate");
}

function readBody(req, res) {
  const length = req.headers["content-length"];
  if (length === undefined) {
    res.setHeader("Connection", "close"); // the body's end is unknown: this connection cannot be reused
    return Promise.reject(new Refused(400, "bad_request", "a turn needs a Content-Length"));
  }
  if (Number(length) > MAX_BODY) {
    res.setHeader("Connection", "close"); // the body is left unread
    return Promise.reject(new Refused(413, "too_large", `the body must be at most ${MAX_BODY} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function answer(res, status, document) {
  const data = Buffer.from(JSON.stringify(document));
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": data.length });
  res.end(data);
}

function error(code, message) {
  return { error: { code, message } };
}

async function handle(req, res) {
  const path = new URL(req.url, "http://localhost").pathname;
  if (req.method === "GET") {
    if (path === "/healthz") return answer(res, 200, { status: "ok" });
    if (path === "/turn") return answer(res, 405, error("method_not_allowed", "POST a turn to /turn"));
    return answer(res, 404, error("not_found", "the bot answers POST /turn and GET /healthz"));
  }
  if (req.method !== "POST") {
    return answer(res, 501, error("not_implemented", "the bot answers POST /turn and GET /healthz"));
  }
  try {
    const body = await readBody(req, res); // first, whatever the path: a body left unread would spoil the next one
    if (path !== "/turn") throw new Refused(404, "not_found", "the bot answers POST /turn and GET /healthz");
    if (SECRET && !signatureOk(body, req.headers["x-botgate-signature"])) {
      throw new Refused(401, "unauthorized", "X-Botgate-Signature does not match the body");
    }
    answer(res, 200, turn(body));
  } catch (err) {
    if (!(err instanceof Refused)) {
      console.error(err); // a bug: answer 500 rather than let it stop the server
      err = new Refused(500, "internal", "the bot failed");
    }
    answer(res, err.status, error(err.code, err.message));
  }
}

function main() {
  const { values } = parseArgs({
    options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "9002" } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`greeter.js: --port must be a port number, not ${values.port}`);
    process.exit(2);
  }
  const server = http.createServer(handle);
  // Keep an idle connection longer than botgate keeps one, so botgate closes first and never sends a turn on a
  // connection the bot is closing.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 76_000;
  server.listen(port, values.host, () => {
    console.log(`${LANGUAGE} greeter on http://${values.host}:${port}/turn`);
  });
}

main();
