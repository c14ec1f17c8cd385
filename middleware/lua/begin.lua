-- Take a session's turn lock in arrival order, or report a duplicate message, and load the session.
-- KEYS: session, lock, queue[, seen]   ARGV: token, lease_ms, wait_ms, entry ('' on the first try)
-- Returns {'ok', doc, rev, stamp} | {'wait', entry} | {'seen', stored_response}
local token, lease, wait, entry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

if #KEYS == 4 then
  local seen = redis.call('GET', KEYS[4])
  if seen then
    if entry ~= '' then redis.call('LREM', KEYS[3], 1, entry) end
    return {'seen', seen}
  end
end

-- A call whose answer was lost may have taken the lock for this token already: it is ours.
if redis.call('GET', KEYS[2]) == token then return lock_and_load(token, lease) end

local now = now_ms()
drop_dead_waiters(now, entry)
if next_in_line(entry) then return lock_and_load(token, lease) end
return wait_in_line(now, entry, token, wait, lease)
