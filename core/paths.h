/*
 * paths.h - where galley keeps things. The runtime directory (0700) holds
 * the kernel's socket, lock, pid and token; a project's .galley/ holds its
 * SQLite store. Reads the environment, resolves paths and creates
 * directories; no other I/O. Used by kernel/, client/, cli/ and tui/
 * (making a notebook's path absolute).
 */
#ifndef GL_PATHS_H
#define GL_PATHS_H

struct gl_err;

/* $GALLEY_RUNTIME_DIR, else $XDG_RUNTIME_DIR/galley, else /tmp/galley-UID.
 * Creates it 0700 if missing; refuses (GL_EPERM) one owned by another uid
 * or open to group/others. *out is the caller's to free. */
int	 gl_runtime_dir(char **out, struct gl_err *err);
/* Joins dir and name with one '/'. Caller frees. */
char	*gl_path_join(const char *dir, const char *name);
/* Absolute form of path (need not exist: parent is resolved). Caller frees;
 * NULL with err if the parent does not exist. */
char	*gl_path_abs(const char *path, struct gl_err *err);
/* The project directory of an absolute notebook path: the nearest ancestor
 * holding .galley/ or .git, else the notebook's own directory. Caller
 * frees. */
char	*gl_project_dir(const char *nb_path);
/* The user's state directory for galley: $XDG_STATE_HOME/galley, else
 * ~/.local/state/galley; NULL if neither variable is an absolute path.
 * Not created. Caller frees. */
char	*gl_state_dir(void);
/* Creates dir (and parents) with mode if missing. */
int	 gl_mkdir_p(const char *dir, unsigned mode, struct gl_err *err);

#endif
