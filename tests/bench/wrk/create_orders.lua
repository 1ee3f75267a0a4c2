-- wrk script: POST /api/orders, each request for a ticket no other request has used.
-- The ticket ids are the lines of the file WRK_TICKET_IDS when it is set (scripts/bench-ingress.sh:
-- real tickets, listed through the API); otherwise 24-hex ObjectIds "%024x" of 1..N, inserted
-- into the orders replica beforehand (scripts/bench-orders.sh). Thread k of T (WRK_THREADS) uses
-- the k-th, (k+T)-th, (k+2T)-th... id, so threads never collide. A thread that has used every id
-- of its share stops (wrk still waits out the duration) and done() says so: the run then
-- measured too few tickets, never one reused.
local counter = 0
local threads = {}
local ids = nil

function setup(thread)
  thread:set("offset", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  stride = tonumber(os.getenv("WRK_THREADS") or "2")
  counter = offset
  local file = os.getenv("WRK_TICKET_IDS")
  if file and file ~= "" then
    ids = {}
    for line in io.lines(file) do
      if line ~= "" then ids[#ids + 1] = line end
    end
  end
  exhausted = 0
end

function request()
  local id
  if ids then
    id = ids[counter]
    if id == nil then
      exhausted = 1
      wrk.thread:stop()
      id = "000000000000000000000000"  -- never sent: the thread is stopping
    end
  else
    id = string.format("%024x", counter)
  end
  counter = counter + stride
  -- wrk.format's headers replace the -H ones: copy them (the session cookie) first.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/orders", headers, '{"ticketId":"' .. id .. '"}')
end

function done(summary, latency, requests)
  local file = os.getenv("WRK_TICKET_IDS")
  if file == nil or file == "" then return end
  local out = 0
  for _, thread in ipairs(threads) do
    out = out + (thread:get("exhausted") or 0)
  end
  io.write(string.format("ticket ids exhausted in %d of %d threads\n", out, #threads))
end
