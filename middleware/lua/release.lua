-- Give up a turn: free the lock if we still hold it, and leave the queue if we were waiting.
-- KEYS: lock, queue   ARGV: token, entry ('' when not queued)
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if ARGV[2] ~= '' then redis.call('LREM', KEYS[2], 1, ARGV[2]) end
return 1
