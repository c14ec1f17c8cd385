-- Move one bot's per-version active counters, and index first sessions under their users (all keys share `{bot}`).
-- KEYS: active counts, then one session index per user
-- ARGV: n, (version, delta) * n, then for each session index: its new session tags, space-separated
local n = tonumber(ARGV[1])
for i = 1, n do redis.call('HINCRBY', KEYS[1], ARGV[2 * i], ARGV[2 * i + 1]) end
for k = 2, #KEYS do
  for tag in string.gmatch(ARGV[2 * n + k], '%S+') do redis.call('SADD', KEYS[k], tag) end
end
return 1
