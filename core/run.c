/*
 * run.c - run statuses and their wire names (core/run.h).
 */
#include "core/run.h"

#include <string.h>

#include "core/err.h"

static const char *const gl_run_names[] = {
#define GL_RUN_NAME(name, wire) [GL_RUN_##name] = wire,
	GL_RUN_STATUS_MAP(GL_RUN_NAME)
#undef GL_RUN_NAME
};

#define GL_RUN_N	(sizeof gl_run_names / sizeof gl_run_names[0])

const char *
gl_run_status_name(enum gl_run_status st)
{
	return (size_t)st < GL_RUN_N ? gl_run_names[st] : "?";
}

int
gl_run_status_parse(const char *s, size_t len, enum gl_run_status *st)
{
	for (size_t i = 0; i < GL_RUN_N; i++) {
		if (strlen(gl_run_names[i]) == len &&
		    memcmp(gl_run_names[i], s, len) == 0) {
			*st = (enum gl_run_status)i;
			return 0;
		}
	}
	return GL_EINVAL;
}
