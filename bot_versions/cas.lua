-- Compare-and-set one field of a bot's config hash and record the change in its audit stream.
-- KEYS: config, audit[, definitions]
-- ARGV: field, expected ('' = absent), new ('' = delete), audit_entry_json, audit_maxlen[, def_field, def_value]
-- Returns 1, or 0 when the field no longer holds `expected` (the caller re-reads and retries).
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
if #KEYS == 3 then redis.call('HSET', KEYS[3], ARGV[6], ARGV[7]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'entry', ARGV[4])
return 1
