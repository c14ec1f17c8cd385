-- Take a session's turn lock in arrival order, or report a duplicate message, and load the session.
-- KEYS: session, lock, queue[, seen]   ARGV: token, lease_ms, wait_ms, entry ('' on the first try)
-- Returns {'ok', doc, rev} | {'wait', entry} | {'seen', stored_response}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local token, lease, wait, entry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

if #KEYS == 4 then
  local seen = redis.call('GET', KEYS[4])
  if seen then
    if entry ~= '' then redis.call('LREM', KEYS[3], 1, entry) end
    return {'seen', seen}
  end
end

-- A waiter whose process died never dequeues itself: drop it once its deadline has passed.
while true do
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head or head == entry then break end
  local deadline = tonumber(string.match(head, '^(%d+)|'))
  if deadline == nil or deadline >= now then break end
  redis.call('LPOP', KEYS[3])
end

if redis.call('EXISTS', KEYS[2]) == 0 then
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head or head == entry then
    if head then redis.call('LPOP', KEYS[3]) end
    redis.call('SET', KEYS[2], token, 'PX', lease)
    local s = redis.call('HMGET', KEYS[1], 'doc', 'rev')
    return {'ok', s[1] or '', s[2] or '0'}
  end
end

if entry == '' then
  entry = (now + wait + lease) .. '|' .. token
  redis.call('RPUSH', KEYS[3], entry)
  redis.call('PEXPIRE', KEYS[3], wait + 2 * lease)
end
return {'wait', entry}
