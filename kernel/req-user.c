/*
 * req-user.c - whom the kernel attributes a request to (kernel/req.h):
 * today the user the kernel runs as, since a Unix-socket client must be
 * that uid and a TCP client proved it holds that user's token. A team
 * kernel's members (each with a token of their own) plug in here: every
 * record of who did what (plugin hooks, library loads) asks this one
 * function.
 */
#include "kernel/req.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *
req_client_user(const struct req_client *c)
{
	static char	 user[64];
	struct passwd	*pw;
	const char	*env;

	(void)c;
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
