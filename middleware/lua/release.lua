-- Give up a turn: free the lock if this token holds it, and take the token's places out of the line.
-- Also run for a call whose answer was lost, which may have taken the lock or queued without the caller knowing.
-- KEYS: lock, queue   ARGV: token
local token = ARGV[1]
if redis.call('GET', KEYS[1]) == token then redis.call('DEL', KEYS[1]) end
local suffix = '|' .. token
for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if string.sub(entry, -#suffix) == suffix then redis.call('LREM', KEYS[2], 0, entry) end
end
return 1
