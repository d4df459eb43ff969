/*
 * test_cluview.c - the cluster view (tui/cluview.c): a cluster.status
 * answer read leniently, CPU % from two answers, and the screen tested as
 * pictures (STYLE example E).
 */
#include "tui_fixture.h"

#include "core/rpc.h"
#include "tui/cluview.h"

static void
kv_dbl(msgpack_packer *pk, const char *k, double v)
{
	rpc_pack_key(pk, k);
	msgpack_pack_double(pk, v);
}

/* A worker map as kernel/cluster.c sends it (tasks: results it sent,
 * cpu: seconds, idle_ms: 0 while busy). */
static void
pack_worker(msgpack_packer *pk, int id, const char *name, const char *host,
    const char *state, int done, double cpu_s, int idle_ms)
{
	msgpack_pack_map(pk, 10);
	rpc_pack_kv_int(pk, "id", id);
	rpc_pack_kv_str(pk, "name", name);
	rpc_pack_kv_str(pk, "host", host);
	rpc_pack_kv_int(pk, "pid", 4000 + id);
	rpc_pack_kv_str(pk, "state", state);
	rpc_pack_kv_int(pk, "tasks", done);
	rpc_pack_kv_int(pk, "held", strcmp(state, "busy") == 0 ? 4 : 0);
	kv_dbl(pk, "cpu", cpu_s);
	rpc_pack_kv_int(pk, "rss", 5 << 20);
	rpc_pack_kv_int(pk, "idle_ms", idle_ms);
}

/* Two workers (one busy), a job with failures, 37 tasks queued. */
static void
pack_status(struct mp *m, double cpu1, double cpu2)
{
	msgpack_packer	*pk = &m->pk;

	msgpack_pack_map(pk, 9);
	rpc_pack_kv_str(pk, "listen", "127.0.0.1:40111");
	rpc_pack_kv_str(pk, "launcher", "local");
	rpc_pack_kv_int(pk, "max_workers", 2);
	rpc_pack_kv_int(pk, "up", 2);
	rpc_pack_kv_int(pk, "starting", 0);
	rpc_pack_kv_int(pk, "queued", 37);
	rpc_pack_kv_int(pk, "held", 4);
	rpc_pack_key(pk, "workers");
	msgpack_pack_array(pk, 2);
	pack_worker(pk, 1, "local-1", "box", "busy", 120, cpu1, 0);
	pack_worker(pk, 2, "local-2", "box", "idle", 80, cpu2, 12500);
	rpc_pack_key(pk, "jobs");
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 8);
	rpc_pack_kv_int(pk, "job", 7);
	rpc_pack_kv_str(pk, "kind", "map");
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "sq");
	rpc_pack_kv_int(pk, "done", 63);
	rpc_pack_kv_int(pk, "failed", 2);
	rpc_pack_kv_int(pk, "total", 100);
	rpc_pack_kv_str(pk, "notebook", "/tmp/a.nb.lua");
}

static int
setup(void **state)
{
	return fx_setup_size(state, 10, 72, NULL);
}

static void
test_table_of_workers(void **state)
{
	struct fixture		*f = *state;
	struct mp		 m;
	struct view_cluster	 c;
	struct view_cluster_screen s = { 0 };

	mp_init(&m);
	pack_status(&m, 3.25, 2.5);
	assert_int_equal(view_cluster_parse(mp_obj(&m), NULL, 1000, &c, NULL),
	    0);
	assert_int_equal(c.nw, 2);
	assert_int_equal(view_cluster_busy(&c), 1);
	assert_int_equal(view_cluster_count(&c), 2);
	view_cluster_render(&c, &s, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: galley cluster  (updated every second)                                 }|\n"
	    "| workers 1 busy / 2 up (at most 2)   tasks queued 37   launcher local|\n"
	    "| map job 7 [sq]  {prog:█████████████}{dim:░░░░░░░} 63/100{err:  2 failed}|\n"
	    "||\n"
	    "| {th:NAME}     {th:HOST}  {th:STATE}    {th:TASKS}     {th:CPU s}   {th:CPU %}     {th:IDLE}|\n"
	    "| local-1  box   {run:busy}       120       3.2       -        -|\n"
	    "| local-2  box   idle        80       2.5       -      12s|\n"
	    "||\n"
	    "||\n"
	    "|{st: q close  + / - a worker more / fewer  :scale N  j k scroll             }|\n");
	view_cluster_fini(&c);
	mp_fini(&m);
}

/* CPU % is what a worker used between two answers. */
static void
test_cpu_percent_between_answers(void **state)
{
	struct fixture		*f = *state;
	struct mp		 m1, m2;
	struct view_cluster	 c1, c2;
	struct view_cluster_screen s = { 0 };

	mp_init(&m1);
	pack_status(&m1, 3.0, 2.5);
	mp_init(&m2);
	pack_status(&m2, 3.9, 2.5);
	assert_int_equal(view_cluster_parse(mp_obj(&m1), NULL, 1000, &c1,
	    NULL), 0);
	assert_true(c1.w[0].cpu_pct < 0);
	assert_int_equal(view_cluster_parse(mp_obj(&m2), &c1, 2000, &c2,
	    NULL), 0);
	assert_true(c2.w[0].cpu_pct > 89.9 && c2.w[0].cpu_pct < 90.1);
	assert_true(c2.w[1].cpu_pct == 0);
	view_cluster_render(&c2, &s, &f->grid);
	{
		char	*p = view_grid_picture(&f->grid);

		assert_non_null(strstr(p, "| local-1  box   {run:busy}       "
		    "120       3.9     90%        -|"));
		assert_non_null(strstr(p, "| local-2  box   idle        80  "
		    "     2.5      0%      12s|"));
		free(p);
	}
	view_cluster_fini(&c1);
	view_cluster_fini(&c2);
	mp_fini(&m1);
	mp_fini(&m2);
}

/* Other names the kernel may give the same figures, and counts in a
 * "counts" map. */
static void
test_other_field_names(void **state)
{
	struct mp		 m;
	struct view_cluster	 c;
	msgpack_packer		*pk = &m.pk;

	(void)state;
	mp_init(&m);
	msgpack_pack_map(pk, 2);
	rpc_pack_key(pk, "workers");
	msgpack_pack_array(pk, 3);
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "name", "w8");
	rpc_pack_kv_int(pk, "tasks_done", 7);
	kv_dbl(pk, "cpu_s", 0.25);
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "id", "w9");
	rpc_pack_kv_str(pk, "status", "idle");
	rpc_pack_kv_int(pk, "done", 5);
	rpc_pack_kv_int(pk, "cpu_ms", 1500);
	kv_dbl(pk, "idle_s", 61.5);
	kv_dbl(pk, "cpu_pct", 3.5);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_int(pk, "id", 10);
	rpc_pack_kv_int(pk, "held", 3);
	rpc_pack_key(pk, "counts");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_int(pk, "queued", 4);
	rpc_pack_kv_int(pk, "starting", 2);
	rpc_pack_kv_int(pk, "max_workers", 8);
	assert_int_equal(view_cluster_parse(mp_obj(&m), NULL, 0, &c, NULL), 0);
	assert_string_equal(c.w[0].name, "w8");
	assert_int_equal(c.w[0].tasks_done, 7);
	assert_true(c.w[0].cpu_s == 0.25);
	assert_null(c.w[0].state);
	assert_string_equal(c.w[1].name, "w9");
	assert_string_equal(c.w[1].state, "idle");
	assert_int_equal(c.w[1].tasks_done, 5);
	assert_true(c.w[1].cpu_s == 1.5);
	assert_int_equal(c.w[1].idle_ms, 61500);
	assert_true(c.w[1].cpu_pct == 3.5);
	assert_null(c.w[1].host);
	/* No state: told by the tasks it holds. */
	assert_string_equal(c.w[2].name, "10");
	assert_string_equal(c.w[2].state, "busy");
	assert_int_equal(c.w[2].tasks_done, -1);
	assert_int_equal(c.queued, 4);
	assert_int_equal(c.starting, 2);
	assert_int_equal(c.wanted, 8);
	assert_int_equal(view_cluster_busy(&c), 1);
	assert_int_equal(view_cluster_count(&c), 5);
	view_cluster_fini(&c);
	mp_fini(&m);
}

static void
test_answer_without_workers_is_refused(void **state)
{
	struct mp		 m;
	struct view_cluster	 c;
	struct gl_err		 err = { 0 };

	(void)state;
	mp_init(&m);
	msgpack_pack_map(&m.pk, 1);
	rpc_pack_kv_int(&m.pk, "workers", 3);
	assert_int_equal(view_cluster_parse(mp_obj(&m), NULL, 0, &c, &err),
	    GL_EPROTO);
	assert_non_null(strstr(err.msg, "workers"));
	view_cluster_fini(&c);
	mp_fini(&m);
}

/* A kernel without the cluster service: the view says so, wrapped, and
 * the command line still works over it. */
static void
test_no_cluster_service_is_said_plainly(void **state)
{
	struct fixture		*f = *state;
	struct view_cluster_screen s = { 0 };

	view_grid_resize(&f->grid, 8, 40);
	s.note = "This kernel has no cluster service (it answered \"no "
	    "method cluster.status\"), so there are no workers to show.";
	s.cmdline = "scale 2";
	s.cmdline_cur = 7;
	view_cluster_render(NULL, &s, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: galley cluster  (updated every second) }|\n"
	    "||\n"
	    "| This kernel has no cluster service (it|\n"
	    "| answered \"no method cluster.status\"),|\n"
	    "| so there are no workers to show.|\n"
	    "||\n"
	    "|:scale 2^|\n"
	    "|{st: q close  + / - a worker more / fewer  :}|\n");
}

/* Before the first answer, and with no workers up. */
static void
test_waiting_and_no_workers(void **state)
{
	struct fixture		*f = *state;
	struct view_cluster_screen s = { 0 };
	struct view_cluster	 c;
	struct mp		 m;

	view_grid_resize(&f->grid, 8, 60);
	s.loading = true;
	s.msg = "asked the cluster for 0 workers";
	view_cluster_render(NULL, &s, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: galley cluster  (updated every second)                     }|\n"
	    "||\n"
	    "| {dim:asking the kernel...}|\n"
	    "||\n||\n||\n"
	    "|{msg:asked the cluster for 0 workers}|\n"
	    "|{st: q close  + / - a worker more / fewer  :scale N  j k scroll }|\n");
	mp_init(&m);
	msgpack_pack_map(&m.pk, 2);
	rpc_pack_key(&m.pk, "workers");
	msgpack_pack_array(&m.pk, 0);
	rpc_pack_kv_int(&m.pk, "queued", 0);
	assert_int_equal(view_cluster_parse(mp_obj(&m), NULL, 0, &c, NULL), 0);
	s.msg = NULL;
	view_cluster_render(&c, &s, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: galley cluster  (updated every second)                     }|\n"
	    "| workers 0 busy / 0 up   tasks queued 0|\n"
	    "| {dim:no job running}|\n"
	    "||\n"
	    "| {th:NAME}  {th:HOST}  {th:STATE}    {th:TASKS}     {th:CPU s}   {th:CPU %}     {th:IDLE}|\n"
	    "| {dim:no workers up: a cluster.map in a cell starts them}|\n"
	    "||\n"
	    "|{st: q close  + / - a worker more / fewer  :scale N  j k scroll }|\n");
	view_cluster_fini(&c);
	mp_fini(&m);
}

/* More workers than rows: the list scrolls, clamped, and the title says
 * which are shown. */
static void
test_many_workers_scroll(void **state)
{
	struct fixture		*f = *state;
	struct view_cluster_screen s = { 0 };
	struct view_cluster	 c;
	struct mp		 m;
	char			*p;

	view_grid_resize(&f->grid, 10, 72);
	mp_init(&m);
	msgpack_pack_map(&m.pk, 1);
	rpc_pack_key(&m.pk, "workers");
	msgpack_pack_array(&m.pk, 30);
	for (int i = 0; i < 30; i++) {
		char	 name[16];

		snprintf(name, sizeof name, "w%02d", i + 1);
		pack_worker(&m.pk, i + 1, name, "n1", "idle", i, 0, 1000);
	}
	assert_int_equal(view_cluster_parse(mp_obj(&m), NULL, 0, &c, NULL), 0);
	s.scroll = 1000;
	view_cluster_render(&c, &s, &f->grid);
	assert_int_equal(s.scroll, 27);
	p = view_grid_picture(&f->grid);
	assert_non_null(strstr(p, "workers 28-30 of 30"));
	assert_non_null(strstr(p, "| w28 "));
	assert_null(strstr(p, "| w27 "));
	free(p);
	s.scroll = -4;
	view_cluster_render(&c, &s, &f->grid);
	assert_int_equal(s.scroll, 0);
	p = view_grid_picture(&f->grid);
	assert_non_null(strstr(p, "workers 1-3 of 30"));
	assert_non_null(strstr(p, "| w01 "));
	free(p);
	view_cluster_fini(&c);
	mp_fini(&m);
}

/* A narrow screen gives the host column up first. */
static void
test_narrow_screen_cuts_the_host(void **state)
{
	struct fixture		*f = *state;
	struct view_cluster_screen s = { 0 };
	struct view_cluster	 c;
	struct mp		 m;

	view_grid_resize(&f->grid, 8, 66);
	mp_init(&m);
	msgpack_pack_map(&m.pk, 1);
	rpc_pack_key(&m.pk, "workers");
	msgpack_pack_array(&m.pk, 1);
	pack_worker(&m.pk, 1, "slurm-12", "node042.cluster.example.org",
	    "busy", 3, 1.5, 0);
	assert_int_equal(view_cluster_parse(mp_obj(&m), NULL, 0, &c, NULL), 0);
	view_cluster_render(&c, &s, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: galley cluster  (updated every second)                           }|\n"
	    "| workers 1 busy / 1 up|\n"
	    "| {dim:no job running}|\n"
	    "||\n"
	    "| {th:NAME}      {th:HOST}          {th:STATE}    {th:TASKS}     {th:CPU s}   {th:CPU %}     {th:IDLE}|\n"
	    "| slurm-12  node042.clu…  {run:busy}         3       1.5       -        -|\n"
	    "||\n"
	    "|{st: q close  + / - a worker more / fewer  :scale N  j k scroll       }|\n");
	view_cluster_fini(&c);
	mp_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_of_workers, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cpu_percent_between_answers, setup, fx_teardown),
		cmocka_unit_test(test_other_field_names),
		cmocka_unit_test(test_answer_without_workers_is_refused),
		cmocka_unit_test_setup_teardown(
		    test_no_cluster_service_is_said_plainly, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_waiting_and_no_workers,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_many_workers_scroll,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_narrow_screen_cuts_the_host, setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
