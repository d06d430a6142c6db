-- start.lua: claims job <id> for one stream entry and counts the attempt.
--
-- KEYS[1]  {p}:result:<id>   the job's record
-- KEYS[2]  {p}:lock:<id>     which entry is pricing the id
-- KEYS[3]  {p}:job:<id>      hash: attempts, deaths, alone (the one attempts counter)
-- ARGV[1]  token             "<priority>/<entry id>"
-- ARGV[2]  lease_ms          lock lifetime (the heartbeat extends it)
-- ARGV[3]  death             'none', 'shared' or 'alone': how the entry's last holder
--                            ended (claimed back from a dead worker that held other
--                            jobs too, or this job alone)
-- ARGV[4]  ttl_s             lifetime of the job hash
--
-- Returns {'final', record} when a final record exists, {'busy', holder} when another
-- entry (a duplicate enqueue) holds the id, else
-- {'ok', previous record or false, attempts, deaths, alone}.
-- Deaths and the attempt are counted only on 'ok', so a duplicate changes nothing.
local cur = redis.call('GET', KEYS[1])
if is_final(cur) then return {'final', cur} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'busy', holder} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if ARGV[3] == 'shared' or ARGV[3] == 'alone' then
  redis.call('HINCRBY', KEYS[3], 'deaths', 1)
end
if ARGV[3] == 'alone' then
  redis.call('HINCRBY', KEYS[3], 'alone', 1)
end
local attempts = redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('EXPIRE', KEYS[3], ARGV[4])
local deaths = tonumber(redis.call('HGET', KEYS[3], 'deaths') or '0')
local alone = tonumber(redis.call('HGET', KEYS[3], 'alone') or '0')
return {'ok', cur or false, attempts, deaths, alone}
