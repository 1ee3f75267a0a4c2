-- wrk script: POST /api/orders, each request for a ticket no other request has used.
-- Ticket ids are 24-hex ObjectIds "%024x" of 1..N, inserted into the orders replica beforehand;
-- thread k uses k, k+T, k+2T, ... so threads never collide.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  stride = tonumber(os.getenv("WRK_THREADS") or "2")
  counter = offset
end

function request()
  local id = string.format("%024x", counter)
  counter = counter + stride
  -- wrk.format's headers replace the -H ones: copy them (the session cookie) first.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/orders", headers, '{"ticketId":"' .. id .. '"}')
end
