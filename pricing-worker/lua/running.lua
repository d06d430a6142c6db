-- running.lua: writes the running record and the running event, unless a final record
-- exists. Two workers can price the same entry at once (a live worker's lease expired
-- while Redis was down and another claimed it back): the later one's running record
-- must not overwrite the earlier one's final record, or its own finish would see no
-- final record and emit a second final event.
--
-- KEYS[1]  {p}:result:<id>
-- KEYS[2]  {p}:events
-- ARGV[1]  record (JSON)
-- ARGV[2]  record ttl_s
-- ARGV[3]  events MAXLEN (approximate)
-- ARGV[4]  id
--
-- Returns 1 when written, 0 when a final record exists.
if is_final(redis.call('GET', KEYS[1])) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', ARGV[4], 'status', 'running')
return 1
