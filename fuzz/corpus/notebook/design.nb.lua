-- %% [markdown] id="intro"
-- # Trips by day

-- %% id="load"
local trips = frame.read_csv("data/trips.csv")

-- %% id="by-day" tags=["slow"]
plot.bar(by_day.day)
