/*
 * test_scripts.c - the project's shell scripts as CI meets them:
 * fuzz/run.sh, driven with stand-in fuzz targets (shell scripts that
 * answer as libFuzzer does), so no clang build is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char build[64];

static int
setup(void **state)
{
	strcpy(build, "/tmp/galley-scripts-XXXXXX");
	assert_non_null(mkdtemp(build));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", build);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs fuzz/run.sh on dir for 1 s per target; *out gets its output
 * (caller frees). Returns its exit status. */
static int
run_fuzz_script(const char *dir, char **out)
{
	char	 cmd[512], buf[4096];
	size_t	 n = 0, k;
	FILE	*p;
	int	 st;

	snprintf(cmd, sizeof cmd, "sh %s/fuzz/run.sh %s 1 2>&1",
	    getenv("GALLEY_SRC"), dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	*out = calloc(1, 1);
	while ((k = fread(buf, 1, sizeof buf, p)) > 0) {
		*out = realloc(*out, n + k + 1);
		memcpy(*out + n, buf, k);
		n += k;
		(*out)[n] = '\0';
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A failing target's reproducer outlives the script: CI can keep it and
 * a developer can replay it. */
static void
test_fuzz_failure_keeps_its_reproducer(void **state)
{
	char	 target[128], *out, *line, *save = NULL;
	FILE	*f;
	int	 found = 0;

	snprintf(target, sizeof target, "%s/fuzz_fake", build);
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n"
	    "for a in \"$@\"; do\n"
	    "\tcase $a in -artifact_prefix=*) p=${a#-artifact_prefix=};; esac\n"
	    "done\n"
	    "echo boom > \"${p}crash-0001\"\n"
	    "echo '==1== ERROR: libFuzzer: deadly signal'\n"
	    "exit 1\n", f);
	fclose(f);
	chmod(target, 0755);
	assert_int_equal(run_fuzz_script(build, &out), 1);
	assert_non_null(strstr(out, "fuzz: fake FAILED"));
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "crash-0001") == NULL)
			continue;
		found = 1;
		if (access(line, R_OK) != 0)
			print_error("%s is gone\n", line);
		assert_int_equal(access(line, R_OK), 0);
	}
	assert_true(found);
	free(out);
	unlink(target);
}

/* No targets at all (a build without -DGALLEY_FUZZ=ON) is a failure,
 * not a silent pass. */
static void
test_fuzz_without_targets_fails(void **state)
{
	char	 empty[128], *out;

	snprintf(empty, sizeof empty, "%s/empty", build);
	mkdir(empty, 0755);
	assert_int_not_equal(run_fuzz_script(empty, &out), 0);
	assert_non_null(strstr(out, "no fuzz_* targets"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_failure_keeps_its_reproducer),
		cmocka_unit_test(test_fuzz_without_targets_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
