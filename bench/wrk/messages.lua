-- wrk load for the REST channel: `wrk ... -s messages.lua -- <mode> <user prefix>`.
-- echo:    message n comes from user n mod 10,000 ("hi").
-- greeter: users talk in blocks of 64: each says "hi", then each answers "Alice", so a user's
--          second turn is sent 64 requests after the first (32 connections: it has been answered).
local USERS = 10000
local BLOCK = 64
local mode, prefix = "echo", "u"
local n = 0

function init(args)
  mode = args[1] or mode
  prefix = args[2] or prefix
end

local function body(user, text)
  return '{"user":"' .. prefix .. user .. '","text":"' .. text .. '"}'
end

function request()
  local b
  if mode == "greeter" then
    local block, i = math.floor(n / (2 * BLOCK)), n % (2 * BLOCK)
    local user = (block * BLOCK + i % BLOCK) % USERS
    b = body(user, i < BLOCK and "hi" or "Alice")
  else
    b = body(n % USERS, "hi")
  end
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
