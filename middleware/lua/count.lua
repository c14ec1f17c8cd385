-- One bot's counting, for many turns at once: active counters, users' session indexes, and per-minute health.
-- All keys share the `{bot}` hash tag.
--
-- Session entries say "this session, at this revision, is live on this version ('' for none)". An entry no newer
-- than the one already counted changes nothing, so a write whose answer was lost can be sent again, and a late or
-- repeated one never undoes a newer one.
-- Health groups add counts to minute buckets; each group carries an id, applied at most once (a group sent again
-- after a lost answer is recognised by its id), and every bucket written lives `ttl` seconds.
--
-- KEYS: active counts, counted sessions, then the keys ARGV[1] lists by position (session indexes, health buckets,
--       group ids)
-- ARGV[1]: plan JSON {"entries": [[tag, revision, version, index_pos], ...],
--                     "groups": [[id_pos, [[bucket_pos, field, n], ...]], ...],
--                     "snapshot": bucket_pos or 0, "ttl": seconds, "id_ttl": seconds}
local plan = cjson.decode(ARGV[1])
for _, e in ipairs(plan.entries) do
  local tag, rev, version = e[1], e[2], e[3]
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
  redis.call('SADD', KEYS[e[4]], tag)
end
local touched = {}
for _, group in ipairs(plan.groups) do
  if redis.call('SET', KEYS[group[1]], 1, 'NX', 'EX', plan.id_ttl) then
    for _, add in ipairs(group[2]) do
      redis.call('HINCRBY', KEYS[add[1]], add[2], add[3])
      touched[add[1]] = true
    end
  end
end
if plan.snapshot > 0 then  -- where each version stands now, kept in the minute for the drain chart
  local counts = redis.call('HGETALL', KEYS[1])
  for i = 1, #counts, 2 do redis.call('HSET', KEYS[plan.snapshot], counts[i] .. '|active', counts[i + 1]) end
  touched[plan.snapshot] = true
end
for position in pairs(touched) do redis.call('EXPIRE', KEYS[position], plan.ttl) end
return 1
