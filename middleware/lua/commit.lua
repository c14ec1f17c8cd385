-- Save a turn run under the lock: compare-and-set on the revision, fenced by the lock, then release it.
-- KEYS: session, lock, queue, conversations, transcript[, seen]   ARGV: token, expected_rev, doc, plan
-- Returns {'ok', new_rev} | {'fenced', current_rev}
local s = redis.call('HMGET', KEYS[1], 'rev', 'tok')
local rev = tonumber(s[1] or '0')
-- This very save ran before and its answer was lost (the client's retry, or a repeated call): done already.
if rev == tonumber(ARGV[2]) + 1 and s[2] == ARGV[1] then return {'ok', rev} end
if rev ~= tonumber(ARGV[2]) then return {'fenced', rev} end
local holder = redis.call('GET', KEYS[2])
-- Our lease may have lapsed with nobody else taking the lock: the revision still proves nothing moved.
if holder and holder ~= ARGV[1] then return {'fenced', rev} end
local new_rev = save(rev, ARGV[1], ARGV[3], ARGV[4])
if holder then redis.call('DEL', KEYS[2]) end
return {'ok', new_rev}
