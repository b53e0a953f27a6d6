-- wrk script: a GET with the session cookie and extra headers from the environment.
-- BENCH_HEADERS holds "Name: value" lines (e.g. "HX-Request: true").
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
wrk.headers["User-Agent"] = os.getenv("BENCH_USER_AGENT") or ""
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end
