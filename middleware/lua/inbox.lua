-- An activity bot's replies to one open turn, whichever gateway process they reach.
-- KEYS[1]: the turn's inbox, a list whose first entry is 'open|<conversation id>' while the turn is open.
-- open:    ARGV: 'open', conversation, ttl_ms                    -> 1
-- deliver: ARGV: 'deliver', conversation, activity_json, max     -> 1 | 0 (no such open turn) | -1 (inbox full)
-- close:   ARGV: 'close'                                         -> the replies, oldest first
local op = ARGV[1]
if op == 'open' then
  redis.call('DEL', KEYS[1])
  redis.call('RPUSH', KEYS[1], 'open|' .. ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
elseif op == 'deliver' then
  -- A reply for a turn that is closed, never was, or belongs to another conversation is refused and stored nowhere.
  if redis.call('LINDEX', KEYS[1], 0) ~= 'open|' .. ARGV[2] then return 0 end
  if redis.call('LLEN', KEYS[1]) > tonumber(ARGV[4]) then return -1 end
  redis.call('RPUSH', KEYS[1], ARGV[3])
  return 1
end
local replies = redis.call('LRANGE', KEYS[1], 1, -1)
redis.call('DEL', KEYS[1])
return replies
