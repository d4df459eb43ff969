/*
 * req-user.c - whom the kernel attributes a request to (kernel/req.h):
 * the member a client authenticated as. A Unix-socket client must be the
 * kernel's uid and a TCP client with the kernel's own token holds that
 * user's secret: both are the owner, named as the user the kernel runs
 * as. A team kernel's members (kernel/member.h) each have a token and a
 * name of their own. Every record of who did what (runs, cluster usage,
 * plugin hooks, library loads) asks this one place.
 */
#include "kernel/req.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"

static const char *const req_role_names[] = {
	[REQ_ROLE_NONE] = "none",
	[REQ_ROLE_VIEWER] = "viewer",
	[REQ_ROLE_EDITOR] = "editor",
	[REQ_ROLE_OWNER] = "owner",
};

const char *
req_kernel_user(void)
{
	static char	 user[64];
	struct passwd	*pw;
	const char	*env;

	if (user[0] != '\0')
		return user;
	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(user, sizeof user, "%s", pw->pw_name);
	else if ((env = getenv("USER")) != NULL && *env != '\0')
		snprintf(user, sizeof user, "%s", env);
	else
		snprintf(user, sizeof user, "%u", (unsigned)geteuid());
	return user;
}

const char *
req_client_user(const struct req_client *c)
{
	if (c != NULL && c->name != NULL)
		return c->name;
	return req_kernel_user();
}

const char *
req_role_name(enum req_role role)
{
	if ((unsigned)role >= sizeof req_role_names / sizeof *req_role_names)
		return "none";
	return req_role_names[role];
}

int
req_role_parse(const char *s, size_t len, enum req_role *out)
{
	for (int i = REQ_ROLE_VIEWER; i <= REQ_ROLE_OWNER; i++) {
		if (strlen(req_role_names[i]) == len &&
		    memcmp(req_role_names[i], s, len) == 0) {
			*out = (enum req_role)i;
			return 0;
		}
	}
	return GL_EINVAL;
}
