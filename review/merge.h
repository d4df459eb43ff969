/*
 * merge.h - three-way merge for git's merge driver (`galley merge-driver`)
 * and, later, for a notebook changed on disk while a session has unsaved
 * edits. Notebooks (NAME.nb.lua) merge by cell: cells only one side
 * changed take that side, cells both changed merge by lines, moves and
 * edits of different cells combine, and what truly conflicts becomes a
 * conflict cell that is still a valid notebook (docs/git.md). Any other
 * file, or a notebook that does not parse, merges by lines with git's
 * conflict markers.
 *
 * Pure: bytes in, bytes out. Used by cli/ (and later kernel/). Depends on
 * core/notebook.h, review/ndiff.h, review/ldiff.h.
 */
#ifndef GL_MERGE_H
#define GL_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"

struct gl_err;

struct nmerge_opts {
	const char	*ours;		/* label after <<<<<<< ("ours") */
	const char	*theirs;	/* label after >>>>>>> ("theirs") */
	int		 marker_size;	/* git's conflict-marker-size (7) */
};

struct nmerge_result {
	char		*text;		/* owned: the merged file */
	size_t		 len;
	size_t		 conflicts;	/* conflict cells, or conflict
					   blocks of a line merge */
	bool		 by_lines;	/* merged as text, not by cell */
	char		*note;		/* owned: why by lines, or NULL */
};

/*
 * Merges ours and theirs, both descended from base; path decides notebook
 * or text (NULL: text). NULL opts: "ours", "theirs", 7. *r is filled (the
 * caller calls nmerge_result_fini()); r->conflicts > 0 means markers were
 * written. Fails only on bad arguments.
 */
int	 nmerge_files(const char *path, const char *base, size_t base_len,
	     const char *ours, size_t ours_len, const char *theirs,
	     size_t theirs_len, const struct nmerge_opts *opts,
	     struct nmerge_result *r, struct gl_err *err);
void	 nmerge_result_fini(struct nmerge_result *r);

/*
 * A line-level three-way merge (diff3, as git merge-file): hunks only one
 * side changed, or both changed alike, are taken; others become
 *   <<<<<<< ours / (ours' lines) / ======= / (theirs') / >>>>>>> theirs
 * blocks. Appends the result to out and returns the number of conflict
 * blocks.
 */
size_t	 nmerge_lines(const char *base, size_t base_len, const char *ours,
	     size_t ours_len, const char *theirs, size_t theirs_len,
	     const struct nmerge_opts *opts, struct gl_buf *out);

#endif
