-- Count where one bot's sessions stand: its per-version active counters, and each user's session index.
-- Each entry says "this session, at this revision, is live on this version ('' for none)". An entry no newer than
-- the one already counted changes nothing, so a write whose answer was lost can be sent again, and a late or
-- repeated one never undoes a newer one. All keys share the `{bot}` hash tag.
-- KEYS: active counts, counted sessions, then one session index per user
-- ARGV: n, then per entry: tag, revision, version, position of its user's index in KEYS
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local tag, rev, version, index = ARGV[2 + 4 * i], tonumber(ARGV[3 + 4 * i]), ARGV[4 + 4 * i], tonumber(ARGV[5 + 4 * i])
  local counted = redis.call('HGET', KEYS[2], tag)
  local counted_rev, counted_version = 0, ''
  if counted then
    local bar = string.find(counted, '|', 1, true)
    counted_rev, counted_version = tonumber(string.sub(counted, 1, bar - 1)), string.sub(counted, bar + 1)
  end
  if rev > counted_rev then
    if counted_version ~= version then
      if counted_version ~= '' then redis.call('HINCRBY', KEYS[1], counted_version, -1) end
      if version ~= '' then redis.call('HINCRBY', KEYS[1], version, 1) end
    end
    redis.call('HSET', KEYS[2], tag, rev .. '|' .. version)
  end
  redis.call('SADD', KEYS[index], tag)
end
return 1
