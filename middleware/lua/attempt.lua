-- Save a turn computed on the process's cached copy of the session, in one call, when nothing moved it:
-- no duplicate, lock free, nobody waiting, and revision and stamp (the token of the last save) unchanged.
-- Otherwise do what begin.lua does, so the turn runs again on the stored session with no extra call.
-- KEYS: session, lock, queue, conversations, transcript[, seen]
-- ARGV: token, lease_ms, wait_ms, expected_rev, expected_stamp, doc, plan
-- Returns {'saved', new_rev} | {'ok', doc, rev, stamp} | {'wait', entry} | {'seen', stored_response}
local token, lease, wait = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

if #KEYS == 6 then
  local seen = redis.call('GET', KEYS[6])
  if seen then return {'seen', seen} end
end

local s = redis.call('HMGET', KEYS[1], 'rev', 'tok')
local rev = tonumber(s[1] or '0')
-- This very attempt ran before and its answer was lost: it saved already, or holds the lock.
if s[2] == token then return {'saved', rev} end
if redis.call('GET', KEYS[2]) == token then return lock_and_load(token, lease) end

local now = now_ms()
drop_dead_waiters(now, '')
if not next_in_line('') then return wait_in_line(now, '', token, wait, lease) end
-- The stamp makes the check immune to a session deleted and recreated up to the same revision.
if rev == tonumber(ARGV[4]) and (s[2] or '') == ARGV[5] then
  return {'saved', save(rev, token, ARGV[6], ARGV[7])}
end
return lock_and_load(token, lease)
