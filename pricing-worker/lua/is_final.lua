-- Shared prelude of start.lua, finish.lua and retry.lua (prepended with concat!):
-- whether a stored record is final (done, failed, dead). A final record is never
-- overwritten; that guard is what makes results idempotent.
local function is_final(v)
  if not v then return false end
  local ok, doc = pcall(cjson.decode, v)
  if not ok or type(doc) ~= 'table' then return false end
  return doc.status == 'done' or doc.status == 'failed' or doc.status == 'dead'
end
