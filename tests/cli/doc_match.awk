# doc_match.awk EXPECTED ACTUAL - exits 0 if the ACTUAL lines are what the
# EXPECTED lines show: equal, except that a line "..." stands for any
# number of lines and "..." inside a line for any text.

FNR == NR {
	e[++ne] = $0
	next
}

{
	a[++na] = $0
}

END {
	exit !lines(1, 1)
}

function lines(i, j,    k) {
	if (i > ne)
		return j > na
	if (e[i] == "...") {
		for (k = j; k <= na + 1; k++)
			if (lines(i + 1, k))
				return 1
		return 0
	}
	if (j > na)
		return 0
	return line(e[i], a[j]) && lines(i + 1, j + 1)
}

function line(p, s,    n, part, k, pos, rest, last) {
	n = split(p, part, /\.\.\./)
	if (n <= 1)
		return p == s
	if (substr(s, 1, length(part[1])) != part[1])
		return 0
	rest = substr(s, length(part[1]) + 1)
	for (k = 2; k < n; k++) {
		if ((pos = index(rest, part[k])) == 0)
			return 0
		rest = substr(rest, pos + length(part[k]))
	}
	last = part[n]
	return length(last) <= length(rest) &&
	    substr(rest, length(rest) - length(last) + 1) == last
}
