-- POST each file given as an argument in turn, as multipart field "image"
local bodies, i = {}, 0
local boundary = "mnistcanvasboundary"
function init(args)
  for _, path in ipairs(args) do
    local f = assert(io.open(path, "rb")); local data = f:read("*a"); f:close()
    local name = path:match("[^/]+$")
    bodies[#bodies + 1] = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" .. name ..
      "\"\r\nContent-Type: application/octet-stream\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"
  end
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, bodies[i])
end
