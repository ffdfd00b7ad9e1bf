-- busted output for ranks other than 0: silent, except for failures and errors.
return function(options)
  local busted = require "busted"
  local handler = require "busted.outputHandlers.base"()
  local rank = require("heat.core").rank()
  local function report(element, _, message)
    io.stderr:write(string.format("rank %d: FAILED %s: %s\n", rank, handler.getFullName(element),
                                  tostring(message)))
    return nil, true
  end
  busted.subscribe({ "failure" }, report)
  busted.subscribe({ "error" }, report)
  return handler
end
