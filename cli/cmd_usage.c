/*
 * cmd_usage.c - `galley usage`: who used how much cluster time, from the
 * kernel's usage database (the usage.report method).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"

struct usage_args {
	const char	*by;
	long long	 since_ms;
};

static void
usage_pack(msgpack_packer *pk, void *ctx)
{
	struct usage_args *a = ctx;

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "by", a->by);
	rpc_pack_kv_int(pk, "since", a->since_ms);
}

/* "2026-11-01" (local midnight), "today", or "Nd" (N days ago); -1 if
 * malformed. */
static long long
usage_since(const char *s)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		*end;
	long		 days;

	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if (strcmp(s, "today") == 0)
		return (long long)mktime(&tm) * 1000;
	days = strtol(s, &end, 10);
	if (end != s && strcmp(end, "d") == 0 && days >= 0) {
		tm.tm_mday -= (int)days;
		return (long long)mktime(&tm) * 1000;
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm) * 1000;
}

static double
usage_num(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL)
		return 0;
	if (o->type == MSGPACK_OBJECT_FLOAT64 ||
	    o->type == MSGPACK_OBJECT_FLOAT32)
		return o->via.f64;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (double)o->via.u64;
	return 0;
}

static int
usage_json(const msgpack_object *res, const char *by, const char *since)
{
	const msgpack_object	*rows = rpc_map_get(res, "rows");
	const msgpack_object	*total = rpc_map_get(res, "total");
	json_t			*out = json_object(), *arr = json_array();
	char			*text;

	for (uint32_t i = 0; rows != NULL &&
	    rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size;
	    i++) {
		const msgpack_object	*r = &rows->via.array.ptr[i];
		char			*key = rpc_map_strdup(r, "key");

		json_array_append_new(arr, json_pack("{s:s, s:I, s:f, s:f}",
		    by, key != NULL ? key : "",
		    "tasks", (json_int_t)rpc_map_int(r, "tasks", 0),
		    "cpu_hours", usage_num(r, "cpu_hours"),
		    "wall_hours", usage_num(r, "wall_hours")));
		free(key);
	}
	json_object_set_new(out, "by", json_string(by));
	json_object_set_new(out, "since", since != NULL ? json_string(since) :
	    json_null());
	json_object_set_new(out, "rows", arr);
	json_object_set_new(out, "total", json_pack("{s:I, s:f, s:f}",
	    "tasks", (json_int_t)rpc_map_int(total, "tasks", 0),
	    "cpu_hours", usage_num(total, "cpu_hours"),
	    "wall_hours", usage_num(total, "wall_hours")));
	text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(out);
	return CLI_OK;
}

/* Hours as people read them: "12.3 s", "4.5 min", "2.25 h". */
static const char *
usage_dur(char *buf, size_t len, double hours)
{
	double s = hours * 3600;

	if (s < 60)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.2f h", hours);
	return buf;
}

static int
usage_table(const msgpack_object *res, const char *by, const char *since)
{
	const msgpack_object	*rows = rpc_map_get(res, "rows");
	const msgpack_object	*total = rpc_map_get(res, "total");
	size_t			 w = strlen(by), n = 0;
	char			 head[32], cpu[32], wall[32];

	if (rows != NULL && rows->type == MSGPACK_OBJECT_ARRAY)
		n = rows->via.array.size;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;

		(void)rpc_map_str(&rows->via.array.ptr[i], "key", &len);
		if (len > w)
			w = len;
	}
	if (w < 5)
		w = 5;
	if (w > 60)
		w = 60;
	if (n == 0) {
		printf("no cluster work recorded%s%s\n", since != NULL ?
		    " since " : "", since != NULL ? since : "");
		return CLI_OK;
	}
	snprintf(head, sizeof head, "%s", by);
	for (char *p = head; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	printf("%-*s %10s %12s %12s\n", (int)w, head, "TASKS", "CPU",
	    "WALL");
	for (size_t i = 0; i < n; i++) {
		const msgpack_object	*r = &rows->via.array.ptr[i];
		size_t			 len = 0;
		const char		*key = rpc_map_str(r, "key", &len);

		printf("%-*.*s %10lld %12s %12s\n", (int)w,
		    (int)(len > w ? w : len), key != NULL ? key : "",
		    (long long)rpc_map_int(r, "tasks", 0),
		    usage_dur(cpu, sizeof cpu, usage_num(r, "cpu_hours")),
		    usage_dur(wall, sizeof wall, usage_num(r, "wall_hours")));
	}
	printf("%-*s %10lld %12s %12s\n", (int)w, "total",
	    (long long)rpc_map_int(total, "tasks", 0),
	    usage_dur(cpu, sizeof cpu, usage_num(total, "cpu_hours")),
	    usage_dur(wall, sizeof wall, usage_num(total, "wall_hours")));
	return CLI_OK;
}

int
cli_usage_cmd(int argc, char **argv)
{
	static const char *const bys[] = { "user", "group", "notebook",
	    "cell", "host", "day" };
	struct usage_args	 a = { .by = "user", .since_ms = 0 };
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	const char		*v, *since = NULL;
	bool			 json = false, ok;
	int			 rc;

	cl_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("usage", argc, argv, &i, "--by")) != NULL) {
			ok = false;
			for (size_t k = 0; k < sizeof bys / sizeof bys[0]; k++)
				ok |= strcmp(v, bys[k]) == 0;
			if (!ok)
				return cli_usage("usage", "--by %s: expected "
				    "user, group, notebook, cell, host or day",
				    v);
			a.by = v;
		} else if ((v = cli_optval("usage", argc, argv, &i,
		    "--since")) != NULL) {
			if ((a.since_ms = usage_since(v)) < 0)
				return cli_usage("usage", "--since %s: "
				    "expected YYYY-MM-DD, today or Nd (days "
				    "ago)", v);
			since = v;
		} else if ((v = cli_optval("usage", argc, argv, &i,
		    "--kernel")) != NULL)
			o.kernel = v;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage("usage", "unknown option %s", argv[i]);
	}
	if ((rc = cli_check_kernel("usage", o.kernel)) != CLI_OK)
		return rc;
	if (cl_connect(&o, &c, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_KERNEL;
	}
	rc = cl_call(c, "usage.report", usage_pack, &a, &m, 30000, &err);
	if (rc != 0) {
		cli_errorf("usage: %s", err.msg);
		cl_close(c);
		return rc == GL_EINVAL ? CLI_USAGE : CLI_FAILED;
	}
	rc = json ? usage_json(m.result, a.by, since) :
	    usage_table(m.result, a.by, since);
	rpc_msg_fini(&m);
	cl_close(c);
	return rc;
}
