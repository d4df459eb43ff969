# doc_steps.awk - turns the runnable blocks of a markdown file into a shell
# script of steps for t_docs.sh:
#
#   ```lua file=NAME     the block is written to NAME (as a reader would
#                        save it) before the blocks after it run;
#   ```console           a shell session: each "$ COMMAND" line runs, and
#                        the lines under it are its output (standard output
#                        and error together), exactly, except that a line
#                        "..." stands for any lines and "..." inside a line
#                        for any text. A last line "[exit N]" is the exit
#                        status wanted (0 when there is none).
#
# Any other block (```sh, ```lua, ```) is an example that is not run: one
# that needs a second machine, a team server or root.
#
# Output: doc_file NAME / doc_cmd WHERE COMMAND calls, each with a here
# document holding the block's text or the expected output.

function q(s) {
	gsub(/'/, "'\\''", s)
	return "'" s "'"
}

function flush() {
	if (cmd != "") {
		printf "doc_cmd %s %s <<'__GALLEY_DOC_END__'\n", q(FILENAME ":" cmdline), q(cmd)
		for (i = 1; i <= nwant; i++)
			print want[i]
		print "__GALLEY_DOC_END__"
	}
	cmd = ""
	nwant = 0
}

/^```/ {
	if (!inblock) {
		inblock = 1
		kind = ""
		info = substr($0, 4)
		if (info == "console")
			kind = "console"
		else if (info ~ /^lua file=[^ ]+$/) {
			kind = "file"
			printf "doc_file %s <<'__GALLEY_DOC_END__'\n", q(substr(info, 10))
		}
		next
	}
	if (kind == "console")
		flush()
	else if (kind == "file")
		print "__GALLEY_DOC_END__"
	inblock = 0
	next
}

inblock && kind == "file" {
	print
}

inblock && kind == "console" {
	if (substr($0, 1, 2) == "$ ") {
		flush()
		cmd = substr($0, 3)
		cmdline = FNR
	} else if (cmd == "") {
		printf "doc_error %s %s\n", q(FILENAME ":" FNR), q("output before any $ command")
	} else
		want[++nwant] = $0
}
