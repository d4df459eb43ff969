/*
 * bench_notebook.c - how fast nb_parse() and nb_print() are and how much
 * memory a parsed notebook takes, against the targets for a 10,000-cell
 * notebook of about 5 MB: parse <= 30 ms, print <= 30 ms, peak heap <= 3x
 * the file size. The notebook is generated in memory from a fixed seed, so
 * runs compare. Times are the median of 20 runs (CLOCK_MONOTONIC). Heap is
 * counted by wrapping malloc and friends (glibc, no sanitizers; under a
 * sanitizer the heap figures are skipped). Prints figures; exits 0 unless
 * a parse fails. Build optimised (make bench) for figures that mean
 * something.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/util.h"

#define BENCH_CELLS	10000
#define BENCH_RUNS	20
#define TARGET_MS	30.0
#define TARGET_HEAP	3.0

#include "bench/bench_heap.h"

static const char *const words[] = {
	"trips", "fare", "day", "sum", "mean", "frame", "plot", "rows",
	"group", "count", "filter", "select", "by_day", "total", "ratio",
	"result", "cluster", "map", "files", "data",
};

static const char *
word(struct gl_rng *rng)
{
	return words[gl_rng_below(rng, sizeof words / sizeof words[0])];
}

/* One line of plausible Lua, about 40 bytes. */
static void
code_line(struct gl_buf *b, struct gl_rng *rng)
{
	switch (gl_rng_below(rng, 8)) {
	case 0:
		gl_buf_addf(b, "local %s = frame.read_csv(\"data/%s.csv\")\n",
		    word(rng), word(rng));
		break;
	case 1:
		gl_buf_addf(b, "local %s_%s = %s:groupby(\"%s\"):agg{ %s = "
		    "\"sum\" }\n", word(rng), word(rng), word(rng), word(rng),
		    word(rng));
		break;
	case 2:
		gl_buf_addf(b, "for i = 1, #%s do %s[i] = %s[i] * %u end\n",
		    word(rng), word(rng), word(rng),
		    (unsigned)gl_rng_below(rng, 1000));
		break;
	case 3:
		gl_buf_addf(b, "-- %s the %s by %s before the %s\n", word(rng),
		    word(rng), word(rng), word(rng));
		break;
	case 4:
		gl_buf_addf(b, "plot.bar(%s.%s, %s.%s)\n", word(rng), word(rng),
		    word(rng), word(rng));
		break;
	case 5:
		gl_buf_addf(b, "print(string.format(\"%%s: %%d\", \"%s\", "
		    "%s))\n", word(rng), word(rng));
		break;
	case 6:
		gl_buf_addf(b, "if %s > %u then %s = %s / 2 end\n", word(rng),
		    (unsigned)gl_rng_below(rng, 100), word(rng), word(rng));
		break;
	default:
		gl_buf_addf(b, "local q = [[select %s from %s]]\n", word(rng),
		    word(rng));
		break;
	}
}

/* A notebook of BENCH_CELLS cells, about 5 MB: a header, then code cells
 * (about 11 lines) with every fifth one markdown, ids on every marker,
 * some tags and titles. */
static char *
make_notebook(size_t *lenp)
{
	struct gl_buf	 b;
	struct gl_rng	 rng;
	char		 id[NB_ID_MAX + 1];
	struct nb_doc	*ids = nb_doc_new();

	gl_rng_seed(&rng, 20240611);
	gl_buf_init(&b);
	gl_buf_adds(&b, "-- galley: requires = { \"stats@1.2\" }\n"
	    "local stats = require(\"stats\")\n\n");
	for (int i = 1; i < BENCH_CELLS; i++) {
		unsigned	 n;

		/* Unique ids, as galley writes them. */
		nb_id_generate(ids, &rng, id);
		nb_doc_insert(ids, nb_doc_count(ids), NB_CODE, id, "", 0, NULL,
		    NULL);
		if (i % 5 == 0) {
			gl_buf_addf(&b, "-- %%%% [markdown] id=\"%s\"\n", id);
			n = 3 + (unsigned)gl_rng_below(&rng, 6);
			for (unsigned k = 0; k < n; k++) {
				if (k == 0)
					gl_buf_addf(&b, "-- # The %s of %s\n",
					    word(&rng), word(&rng));
				else if (k % 3 == 0)
					gl_buf_adds(&b, "--\n");
				else
					gl_buf_addf(&b, "-- Reads the %s table "
					    "and sums %s per %s, then %s.\n",
					    word(&rng), word(&rng), word(&rng),
					    word(&rng));
			}
		} else {
			gl_buf_adds(&b, "-- %%");
			if (gl_rng_below(&rng, 4) == 0)
				gl_buf_addf(&b, " Load %s", word(&rng));
			gl_buf_addf(&b, " id=\"%s\"", id);
			if (gl_rng_below(&rng, 6) == 0)
				gl_buf_adds(&b, " tags=[\"slow\"]");
			gl_buf_addc(&b, '\n');
			n = 8 + (unsigned)gl_rng_below(&rng, 8);
			for (unsigned k = 0; k < n; k++)
				code_line(&b, &rng);
		}
		if (i + 1 < BENCH_CELLS)
			gl_buf_addc(&b, '\n');
	}
	nb_doc_free(ids);
	return gl_buf_take(&b, lenp);
}

int
main(void)
{
	double		 t_parse[BENCH_RUNS], t_print[BENCH_RUNS];
	double		 t_canon[BENCH_RUNS];
	struct gl_err	 err;
	struct nb_doc	*doc;
	struct gl_buf	 out;
	size_t		 len;
	char		*text = make_notebook(&len);
	double		 mp, mq, mc;
	bool		 ok = true;

	printf("notebook: %zu bytes (%.2f MB), %d cells\n", len,
	    (double)len / 1e6, BENCH_CELLS);

	for (int r = 0; r < BENCH_RUNS; r++) {
		double	 t0 = now_ms();

		if (nb_parse(text, len, "bench.nb.lua", &doc, &err) != 0) {
			fprintf(stderr, "bench_notebook: %s\n", err.msg);
			return 1;
		}
		t_parse[r] = now_ms() - t0;
		if (r == 0 && nb_doc_count(doc) != BENCH_CELLS) {
			fprintf(stderr, "bench_notebook: %zu cells, wanted "
			    "%d\n", nb_doc_count(doc), BENCH_CELLS);
			return 1;
		}
		gl_buf_init(&out);
		t0 = now_ms();
		nb_print(doc, &out);
		t_print[r] = now_ms() - t0;
		if (out.len != len || memcmp(out.data, text, len) != 0) {
			fprintf(stderr, "bench_notebook: print(parse(x)) "
			    "!= x\n");
			return 1;
		}
		gl_buf_fini(&out);
		/* Every cell changed: the canonical printer's speed. */
		nb_doc_normalize(doc);
		gl_buf_init(&out);
		t0 = now_ms();
		nb_print(doc, &out);
		t_canon[r] = now_ms() - t0;
		gl_buf_fini(&out);
		nb_doc_free(doc);
	}
	mp = median(t_parse, BENCH_RUNS);
	mq = median(t_print, BENCH_RUNS);
	mc = median(t_canon, BENCH_RUNS);
	printf("nb_parse:            %7.2f ms median of %d  (target <= %.0f ms)"
	    "  %s\n", mp, BENCH_RUNS, TARGET_MS, mp <= TARGET_MS ? "ok" :
	    "MISSED");
	printf("nb_print:            %7.2f ms median of %d  (target <= %.0f ms)"
	    "  %s\n", mq, BENCH_RUNS, TARGET_MS, mq <= TARGET_MS ? "ok" :
	    "MISSED");
	printf("nb_print canonical:  %7.2f ms median of %d  (every cell "
	    "changed; no target)\n", mc, BENCH_RUNS);
	printf("parse throughput:    %7.1f MB/s\n", (double)len / 1e3 / mp);
	ok = mp <= TARGET_MS && mq <= TARGET_MS;

#ifndef BENCH_NO_HEAP
	{
		long long	 base, p_parse, p_both, kept, p_print;

		base = heap_mark();
		if (nb_parse(text, len, "bench.nb.lua", &doc, &err) != 0)
			return 1;
		p_parse = heap_peak - base;
		kept = heap_cur - base;
		gl_buf_init(&out);
		nb_print(doc, &out);
		p_both = heap_peak - base;
		gl_buf_fini(&out);
		base = heap_mark();
		gl_buf_init(&out);
		nb_print(doc, &out);
		p_print = heap_peak - base;
		gl_buf_fini(&out);
		nb_doc_free(doc);
		printf("peak heap, parse:    %7.2f MB = %.2fx the file  "
		    "(target <= %.0fx)  %s\n", (double)p_parse / 1e6,
		    (double)p_parse / (double)len, TARGET_HEAP,
		    (double)p_parse <= TARGET_HEAP * (double)len ? "ok" :
		    "MISSED");
		printf("parsed doc keeps:    %7.2f MB = %.2fx the file\n",
		    (double)kept / 1e6, (double)kept / (double)len);
		printf("peak heap, print:    %7.2f MB = %.2fx the file (the "
		    "output)\n", (double)p_print / 1e6,
		    (double)p_print / (double)len);
		printf("peak heap, parse and print: %.2f MB = %.2fx the file  "
		    "(target <= %.0fx)  %s\n", (double)p_both / 1e6,
		    (double)p_both / (double)len, TARGET_HEAP,
		    (double)p_both <= TARGET_HEAP * (double)len ? "ok" :
		    "MISSED");
		ok = ok && (double)p_both <= TARGET_HEAP * (double)len;
	}
#else
	printf("peak heap:           not measured (sanitizer build)\n");
#endif
	printf("bench_notebook: %s\n", ok ? "all targets met" :
	    "a target was missed");
	free(text);
	return 0;
}
