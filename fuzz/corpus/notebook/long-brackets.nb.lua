-- %% id="a"
s = [==[
-- %% no
]] ]==]
--[[
-- %% no
]]
t = "\
-- %% no" u = "\z

-- %% no"

-- %% id="b"
return s
