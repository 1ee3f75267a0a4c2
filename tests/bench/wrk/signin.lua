-- wrk script: every request signs in the benchmark user.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@test.com","password":"bench-password"}'
