-- The bench's functions for uWSGI's lua plugin: uwsgi --plugin lua,rpc --lua bench/servers/echo.lua
uwsgi.register_rpc('echo', function(...) return table.concat({...}, '|') end)
uwsgi.register_rpc('big', function(n) return string.rep('x', tonumber(n)) end)

-- the lua plugin wants the file to return a WSAPI app; this one is never requested
return function(wsapi_env)
  return 404, { ['Content-Type'] = 'text/plain' }, coroutine.wrap(function() coroutine.yield('not found') end)
end
