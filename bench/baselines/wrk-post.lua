-- wrk script: POST the bench's echo call as a JSON body (wrk -s bench/baselines/wrk-post.lua)
wrk.method = "POST"
wrk.body = '{"a":"aaa","b":"bbbbb"}'
wrk.headers["Content-Type"] = "application/json"
