-- wrk script: every request creates a ticket (the session cookie comes from wrk's -H option).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Bench concert","price":20.5}'
