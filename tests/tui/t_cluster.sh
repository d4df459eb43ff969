# t_cluster.sh - cluster work in the TUI: a cell runs cluster.map on local
# workers with a progress bar under it (done / total, workers busy), the
# result appears under the cell, the cluster view (C) lists the workers
# with the tasks they did, :scale changes how many there are, q leaves it;
# at the end the kernel stops and no worker is left running.
. "$(dirname "$0")/lib.sh"

# Two local workers, whatever the machine has.
mkdir -p "$WORK/.galley"
cat >"$WORK/.galley/config.lua" <<'EOF'
cluster = { launcher = "local", workers = 2 }
EOF

# Without the cluster in the runtime there is nothing to test: say so and
# pass (ctest has no "skipped"). Any other failure of the probe is one.
cat >"$WORK/probe.nb.lua" <<'NB'
-- %% id="probe"
local r = cluster.map(function(x) return x + 1 end, { 1, 2 })
print("probe", r[1], r[2])
NB
if ! (cd "$WORK" && timeout 60 "$GALLEY_BIN" run probe.nb.lua) \
    >"$T/probe.out" 2>&1; then
	if grep -Eq "global 'cluster'|field 'map'|no method cluster" \
	    "$T/probe.out"; then
		echo "skipped: no cluster yet"
		exit 0
	fi
	cat "$T/probe.out" >&2
	fail "galley run of a cluster.map cell failed"
fi
grep -q '^probe	2	3$' "$T/probe.out" || {
	cat "$T/probe.out" >&2
	fail "cluster.map gave a wrong answer in galley run"
}

# Each task spins 5 ms of CPU, so the 800 of them keep two workers busy
# for two seconds or more: long enough to watch.
cat >"$WORK/squares.nb.lua" <<'NB'
-- %% id="sq"
local items = {}
for i = 1, 800 do items[i] = i end
local squares = cluster.map(function(x)
  local t = os.clock() + 0.005
  while os.clock() < t do end
  return x * x
end, items)
local sum = 0
for _, v in ipairs(squares) do sum = sum + v end
print("sum of squares", sum, "items", #squares)
NB

tui_start 100 24 open squares.nb.lua
tui_expect '^ NORMAL +squares\.nb\.lua'
tui_expect '\[sq\]'
tui_keys Enter
# The bar under the running cell: done of total, and the workers busy.
tui_expect '[1-9][0-9]*/800 +[1-9] workers? busy$' 30

# The cluster view while the map runs: busy workers using CPU, the job.
tui_keys C
tui_expect '^ galley cluster'
tui_expect '^ NAME +HOST +STATE +TASKS +CPU s +CPU % +IDLE$'
tui_expect '^ local-[0-9]+ +[^ ]+ +busy +[0-9]+ +[0-9.]+ +[1-9][0-9]*% +-$'
tui_expect '^ map job [0-9]+ \[sq\] .* [0-9]+/800'
tui_keys q
tui_expect_gone '^ galley cluster'

# The result under the cell, and the bar at its end.
tui_expect '\[sq\] +ok' 60
tui_expect '^[▎ ]   sum of squares +170986800 +items +800$'
tui_expect '100% 800/800$'

# After the map: both workers idle, the tasks they did, idle time that
# grows as the view refreshes itself.
tui_keys C
tui_expect '^ galley cluster'
tui_expect '^ workers 0 busy / 2 up'
tui_expect '^ no job running$'
tui_expect '^ local-[0-9]+ +[^ ]+ +idle +[1-9][0-9]* +[0-9.]+ +[0-9]+% +'
done_total=$(tui_screen |
    sed -n 's/^ local-[0-9]* *[^ ]* *idle *\([0-9]*\) .*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
[ "$done_total" -ge 800 ] ||
	fail "the workers' tasks add up to $done_total, not at least 800"
tui_expect '^ local-[0-9]+ .* idle .* [1-9]\.[0-9]s$' 15

# Fewer workers (:scale), then one more (+): kept, as the summary says.
tui_keys :
tui_type 'scale 1'
tui_keys Enter
tui_expect 'the cluster keeps 1 worker \(work may use more'
tui_expect '^ workers 0 busy / 1 up' 30
tui_keys +
tui_expect 'the cluster keeps 2 workers \(work may use more'
tui_expect '^ workers 0 busy / 2 up .* keeping 2' 30

# q leaves the view; the notebook is as it was.
tui_keys q
tui_expect_gone '^ galley cluster'
tui_expect '^ NORMAL +squares\.nb\.lua'
tui_expect '\[sq\] +ok'

tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok

# Everything stops with the kernel: the workers it started too.
kpid=$(cat "$GALLEY_RUNTIME_DIR/kernel.pid")
workers=$(ps -o pid= --ppid "$kpid" 2>/dev/null | tr -d ' ' || true)
"$GALLEY_BIN" kernel stop >/dev/null
dl=$(_deadline 20)
for p in $kpid $workers; do
	while kill -0 "$p" 2>/dev/null &&
	    ! grep -q '^[0-9]* (.*) Z' "/proc/$p/stat" 2>/dev/null; do
		[ "$(date +%s)" -ge "$dl" ] && fail "process $p still runs"
		sleep 0.05
	done
done
echo "ok"
