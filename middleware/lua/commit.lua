-- Save a turn: compare-and-set on the revision, fenced by the lock, then transcript, duplicate marker, release.
-- KEYS: session, lock, conversations, transcript[, seen]
-- ARGV: token, expected_rev, doc, new_conversation ('1'|'0'), conversation, transcript_maxlen,
--       transcript_ttl_s, conversations_kept, seen_value, seen_ttl_s, then (role, text, version, at) * n
-- Returns {'ok', new_rev} | {'fenced', current_rev}
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[2]) then return {'fenced', rev} end
local holder = redis.call('GET', KEYS[2])
-- Our lease may have lapsed with nobody else taking the lock: the revision still proves nothing moved.
if holder and holder ~= ARGV[1] then return {'fenced', rev} end

redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'rev', rev + 1)
if ARGV[4] == '1' then
  redis.call('LPUSH', KEYS[3], ARGV[5])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[8]) - 1)
end
for i = 11, #ARGV, 4 do
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*',
    'role', ARGV[i], 'text', ARGV[i + 1], 'version', ARGV[i + 2], 'at', ARGV[i + 3])
end
if #ARGV >= 11 then redis.call('EXPIRE', KEYS[4], ARGV[7]) end
if #KEYS == 5 then redis.call('SET', KEYS[5], ARGV[9], 'EX', ARGV[10]) end
if holder then redis.call('DEL', KEYS[2]) end
return {'ok', rev + 1}
