-- wrk load straight to an http-runtime bot: `wrk ... -s http_turns.lua -- <user prefix>`.
-- Message n is the first message of a conversation of user n mod 10,000 ("hi"), as the gateway sends it for the
-- echo bot (whose every turn ends its conversation). The BENCH line is messages.lua's.
local USERS = 10000
local prefix = "u"
local n = 0

function init(args)
  prefix = args[1] or prefix
end

function request()
  local user = prefix .. (n % USERS)
  n = n + 1
  local body = '{"event":"message","bot":"hecho","version":"1.0.0","conversation":"c' .. n ..
    '","user":"' .. user .. '","channel":"rest","space":null,"message":{"id":null,"text":"hi"},"state":null}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
