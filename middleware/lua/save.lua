-- Shared by commit.lua and attempt.lua (prepended when the store loads them): write one turn.
-- KEYS: session, lock, queue, conversations, transcript[, seen]
-- plan (JSON): {"conversation", "new" (bool), "rows": [[role, text, version, at_ms(, from_version)], ...],
--               "transcript_maxlen", "transcript_ttl_s", "conversations_kept", "seen" (or null), "seen_ttl_s"}
-- One JSON argument instead of a dozen: the client packs each argument in Python, and that is its cost.

local function save(rev, token, doc, plan_json)
  local plan = cjson.decode(plan_json)
  redis.call('HSET', KEYS[1], 'doc', doc, 'rev', rev + 1, 'tok', token)
  if plan.new then
    redis.call('LPUSH', KEYS[4], plan.conversation)
    redis.call('LTRIM', KEYS[4], 0, plan.conversations_kept - 1)
  end
  for _, row in ipairs(plan.rows) do
    if row[5] then
      redis.call('XADD', KEYS[5], 'MAXLEN', '~', plan.transcript_maxlen, '*',
        'role', row[1], 'text', row[2], 'version', row[3], 'at', row[4], 'from', row[5])
    else
      redis.call('XADD', KEYS[5], 'MAXLEN', '~', plan.transcript_maxlen, '*',
        'role', row[1], 'text', row[2], 'version', row[3], 'at', row[4])
    end
  end
  if #plan.rows > 0 then redis.call('EXPIRE', KEYS[5], plan.transcript_ttl_s) end
  if #KEYS == 6 and plan.seen ~= cjson.null then
    redis.call('SET', KEYS[6], plan.seen, 'EX', plan.seen_ttl_s)
  end
  return rev + 1
end
