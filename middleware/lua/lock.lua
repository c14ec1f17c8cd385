-- Shared by begin.lua and attempt.lua (prepended when the store loads them): the FIFO turn lock.
-- KEYS[2] is the lock (holder token, PX lease), KEYS[3] the queue of waiters, `deadline|token`, oldest first;
-- a waiter's deadline is one lease after its last poll.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A waiter whose process died never dequeues itself: drop it once its deadline has passed.
local function drop_dead_waiters(now, entry)
  while true do
    local head = redis.call('LINDEX', KEYS[3], 0)
    if not head or head == entry then return end
    local deadline = tonumber(string.match(head, '^(%d+)|'))
    if deadline ~= nil and deadline >= now then return end
    redis.call('LPOP', KEYS[3])
  end
end

-- True when the lock is free and `entry` ('' for a newcomer) is next in line; its queue entry is then removed.
local function next_in_line(entry)
  if redis.call('EXISTS', KEYS[2]) == 1 then return false end
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head then return true end
  if head ~= entry then return false end
  redis.call('LPOP', KEYS[3])
  return true
end

-- Keep `entry` ('' for a newcomer) in line with a fresh deadline, and say how to wait. Live waiters poll far
-- more often than once a lease, so a waiter whose process died holds the line up for at most one lease.
local function wait_in_line(now, entry, token, wait, lease)
  local fresh = (now + lease) .. '|' .. token
  local at = entry ~= '' and redis.call('LPOS', KEYS[3], entry) or nil
  if at then
    redis.call('LSET', KEYS[3], at, fresh)
  else  -- a newcomer, or a waiter that stalled so long it was dropped: to the back of the line
    redis.call('RPUSH', KEYS[3], fresh)
  end
  redis.call('PEXPIRE', KEYS[3], wait + 2 * lease)
  return {'wait', fresh}
end

-- Take the lock and return the session as it is stored.
local function lock_and_load(token, lease)
  redis.call('SET', KEYS[2], token, 'PX', lease)
  local s = redis.call('HMGET', KEYS[1], 'doc', 'rev', 'tok')
  return {'ok', s[1] or '', s[2] or '0', s[3] or ''}
end
