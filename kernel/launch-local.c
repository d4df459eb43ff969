/*
 * launch-local.c - the local launcher (kernel/launch.h): each worker is a
 * process of this machine running `<galley> worker`, which the process
 * runner (launch-proc.c) kills and reaps.
 */
#include "kernel/launch_int.h"

#include "core/err.h"

int
launch_local_start(struct launch *l, struct launch_worker *w,
    struct gl_err *err)
{
	char	**argv;
	size_t	 n;

	launch_worker_argv(l, w->name, false, &argv, &n);
	w->proc = launch_proc_spawn(l, argv, NULL, NULL, false, false,
	    launch_worker_exited, w, "worker", 0, err);
	launch_strv_free(argv, n);
	if (w->proc == NULL) {
		gl_err_prefix(err, "worker %s", w->name);
		return err != NULL ? err->code : GL_EIO;
	}
	return 0;
}
