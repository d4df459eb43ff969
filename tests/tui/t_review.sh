# t_review.sh - the review mode end to end, in a repository built with
# git: `galley review` on a branch opens its changes against main; move
# to a changed cell, comment on a line (which starts the review), approve,
# quit, and find the records in git's notes and in `galley review show
# --json`. Then from an open notebook: :review, write a suggested change
# in the small editor, apply it with one key as an edit of the open
# notebook, save, and find it in the file.
. "$(dirname "$0")/lib.sh"

R="$WORK/repo"
tui_git_repo "$R" "Ann Author" ann@example.org
cat >"$R/trips.nb.lua" <<'NB'
-- %% [markdown] id="intro"
-- # Trips

-- %% id="load"
local t = read("trips.csv")
t:head(5)

-- %% id="plot"
local by = t:groupby("day")
plot.bar(by.day, by.fare)
NB
git -C "$R" add trips.nb.lua
git -C "$R" commit -q -m "trips by day"
git -C "$R" checkout -q -b feature
sed -i 's/plot\.bar/plot.line/' "$R/trips.nb.lua"
printf '\n-- %%%% id="more"\nprint(#t)\n' >>"$R/trips.nb.lua"
git -C "$R" commit -q -am "line plot, and a count"
# The reviewer.
git -C "$R" config user.name "Bob Reviewer"
git -C "$R" config user.email bob@example.org

TUI_DIR="$R"
tui_start 100 30 review
tui_expect '^ changes main\.\.feature \([0-9a-f]{7}\.\.[0-9a-f]{7}\)'
tui_expect 'no review yet: a comment or a verdict starts one'
tui_expect 'trips\.nb\.lua \(notebook: 1 added, 1 modified; \+2 -1 lines\)'
tui_expect '… 2 unchanged cells'
tui_expect '^ REVIEW '

# To the modified cell, then to its changed lines; the added line.
tui_keys ']' 'c'
tui_expect '^▎ ~ \[plot\] code: modified'
tui_keys ']' 'c'
tui_expect '^▎    2 -plot\.bar\(by\.day, by\.fare\)'
tui_keys j
tui_expect '^▎    2 \+plot\.line\(by\.day, by\.fare\)'
tui_expect 'trips\.nb\.lua · cell plot · line 2'

# A comment on that line: the review starts.
tui_keys c
tui_expect '^:comment ?$'
tui_type 'why a line plot?'
tui_keys Enter
tui_expect 'commented on line 2 of cell plot \(thread [a-z0-9]{8}\)'
tui_expect '^ review [a-z0-9]{8}: line plot, and a count +main\.\.feature'
tui_expect '┃ \[[a-z0-9]{8}\] open · Bob Reviewer · line 2$'
tui_expect '┃ why a line plot\?$'
tui_expect 'open · 1 open thread of 1'

# Approve.
tui_keys A
tui_expect '^:approve ?$'
tui_type 'thanks'
tui_keys Enter
tui_expect 'approved review [a-z0-9]{8} \(approved\)'
tui_expect 'approved · 1 open thread of 1 · Bob Reviewer: approved'
tui_keys q
tui_exit_ok
tui_kill_session

# The records, in git: the note on the commit the review began at.
notes=$(git -C "$R" notes --ref refs/notes/galley/reviews show feature) ||
	fail "no review notes on feature"
echo "$notes" | grep -q '"type":"review"' || fail "no review record"
echo "$notes" | grep '"type":"comment"' | grep -q '"body":"why a line plot?"' ||
	fail "no comment record: $notes"
echo "$notes" | grep '"type":"comment"' | grep -q '"lines":\[2,2\]' ||
	fail "the comment is not on line 2"
echo "$notes" | grep -q '"verdict":"approve"' || fail "no verdict record"
echo "$notes" | grep -q '"author":"Bob Reviewer <bob@example.org>"' ||
	fail "records not by the reviewer"
json=$(cd "$R" && "$GALLEY_BIN" review show --json)
echo "$json" | grep -q '"status": *"approved"' || fail "not approved: $json"
echo "$json" | grep -q '"body": *"why a line plot?"' || fail "no thread: $json"

# From the notebook: a suggested change, applied with one key.
TUI_DIR="$WORK"
tui_start 100 30 open repo/trips.nb.lua
tui_expect '^ NORMAL +repo/trips\.nb\.lua'
tui_keys :
tui_type 'review'
tui_keys Enter
tui_expect '^ review [a-z0-9]{8}: line plot, and a count'
tui_keys ']' 'c' ']' 'c' j
tui_expect '^▎    2 \+plot\.line\(by\.day, by\.fare\)'
tui_keys s
tui_expect '^ SUGGEST '
tui_expect 'suggested change for line 2 of cell plot'
tui_expect '^  \+ plot\.line\(by\.day, by\.fare\)$'
tui_keys Home C-k
tui_expect '^  \+ ?$'
tui_type 'plot.bar(by.day, by.fare)'
tui_expect '^  \+ plot\.bar\(by\.day, by\.fare\)$'
tui_keys Escape
tui_expect '^:suggest ?$'
tui_type 'bars read better here'
tui_keys Enter
tui_expect 'commented on line 2 of cell plot \(thread [a-z0-9]{8}\)'
tui_expect '┃ bars read better here$'
tui_expect '┃ suggested \(a applies it\):$'
tui_expect '┃ \+ plot\.bar\(by\.day, by\.fare\)$'
tui_keys a
tui_expect 'applied the suggestion of [a-z0-9]{8} to this notebook \(unsaved: :w saves it\)'
tui_keys q
tui_expect '^ NORMAL +repo/trips\.nb\.lua \[\+\]'
tui_expect '^[▎ ] plot\.bar\(by\.day, by\.fare\)$'
tui_keys :
tui_type 'w'
tui_keys Enter
tui_expect 'saved repo/trips\.nb\.lua'
grep -q '^plot\.bar(by\.day, by\.fare)$' "$R/trips.nb.lua" ||
	fail "the suggestion is not in the file"
grep -q 'plot\.line' "$R/trips.nb.lua" && fail "the old line stayed"
tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok
echo "ok"
