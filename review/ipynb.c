/*
 * ipynb.c - Jupyter notebooks into cells (see ipynb.h).
 *
 * The file is parsed with jansson, then copied into plain strings (a
 * pool the struct owns) and the JSON tree is dropped. Outputs become
 * summary lines chosen so that any change to an output changes its
 * summary (large or binary payloads carry a short content hash) while a
 * reviewer reads a line, not a megabyte of base64:
 *
 *   [stdout] first line            stream output, first lines
 *   [stdout] ... 40 more lines sha:1a2b3c4d
 *   [text/plain] 42                execute_result / display_data text
 *   [image/png] 12.3 KB sha:1a2b3c4d
 *   [text/html] 2.1 KB sha:...
 *   [error] ZeroDivisionError: division by zero
 *
 * execution_count is left out: it changes on every run and says nothing
 * about the notebook.
 */
#include "review/ipynb.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "review/ldiff.h"

struct ipynb_pool {
	char	**v;
	size_t	  n, cap;
};

static void *
pool_take(struct ipynb *nb, void *s)
{
	struct ipynb_pool	*p = nb->pool;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n++] = s;
	return s;
}

static char *
pool_dup(struct ipynb *nb, const char *s)
{
	return pool_take(nb, xstrdup(s));
}

/* A JSON string, or a list of strings joined (nbformat's "multiline
 * string"); false if neither. */
static bool
multiline(const json_t *v, struct gl_buf *out)
{
	size_t	 i;
	json_t	*s;

	if (json_is_string(v)) {
		gl_buf_add(out, json_string_value(v), json_string_length(v));
		return true;
	}
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, s) {
		if (!json_is_string(s))
			return false;
		gl_buf_add(out, json_string_value(s), json_string_length(s));
	}
	return true;
}

/* The keys of obj in order (NULL when it is no object or empty); *n gets
 * how many. Borrowed from obj; the array is the caller's to free. */
static const char **
sorted_keys(const json_t *obj, size_t *n)
{
	const char	*key, **keys;
	json_t		*v;

	*n = 0;
	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return NULL;
	keys = xmalloc(json_object_size(obj) * sizeof *keys);
	json_object_foreach((json_t *)obj, key, v)
		keys[(*n)++] = key;
	/* Insertion sort: metadata and mime bundles are small. */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0;
		    j--) {
			const char	*t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	return keys;
}

/* Metadata of an object as key -> compact JSON, in key order. */
static size_t
meta_of(struct ipynb *nb, const json_t *obj, struct ipynb_meta **out)
{
	size_t		 n;
	const char	**keys = sorted_keys(obj, &n);

	*out = NULL;
	if (keys == NULL)
		return 0;
	*out = pool_take(nb, xcalloc(n, sizeof **out));
	for (size_t i = 0; i < n; i++) {
		char	*js = json_dumps(json_object_get(obj, keys[i]),
		    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

		(*out)[i].key = pool_dup(nb, keys[i]);
		(*out)[i].json = pool_take(nb, js != NULL ? js :
		    xstrdup("null"));
	}
	free(keys);
	return n;
}

static void
add_hash(struct gl_buf *out, const char *p, size_t n)
{
	gl_buf_addf(out, " sha:%08llx",
	    (unsigned long long)(ldiff_hash(p, n) & 0xffffffffull));
}

static void
add_size(struct gl_buf *out, size_t n)
{
	if (n < 1024)
		gl_buf_addf(out, "%zu B", n);
	else if (n < 1024 * 1024)
		gl_buf_addf(out, "%.1f KB", (double)n / 1024);
	else
		gl_buf_addf(out, "%.1f MB", (double)n / (1024 * 1024));
}

/* Up to IPYNB_TEXT_LINES lines of text behind label, each cut to
 * IPYNB_LINE_MAX bytes, then how many more (with a hash of it all). */
static void
add_text_lines(struct gl_buf *out, const char *label, const char *t,
    size_t len)
{
	size_t	 shown = 0, total = 0;
	bool	 cut = false;

	for (size_t pos = 0; pos < len;) {
		const char	*nl = memchr(t + pos, '\n', len - pos);
		size_t		 end = nl != NULL ? (size_t)(nl - t) : len;
		size_t		 n = end - pos;

		total++;
		if (shown < IPYNB_TEXT_LINES) {
			if (n > IPYNB_LINE_MAX) {
				n = IPYNB_LINE_MAX;
				/* Back to a UTF-8 boundary. */
				while (n > 0 && ((unsigned char)t[pos + n] &
				    0xc0) == 0x80)
					n--;
				cut = true;
			}
			gl_buf_addf(out, "[%s] ", label);
			gl_buf_add(out, t + pos, n);
			if (n < end - pos)
				gl_buf_adds(out, "...");
			gl_buf_addc(out, '\n');
			shown++;
		}
		pos = nl != NULL ? end + 1 : len;
	}
	if (total > shown || cut) {
		gl_buf_addf(out, "[%s] ...", label);
		if (total > shown)
			gl_buf_addf(out, " %zu more line%s", total - shown,
			    total - shown == 1 ? "" : "s");
		add_hash(out, t, len);
		gl_buf_addc(out, '\n');
	}
	if (total == 0)
		gl_buf_addf(out, "[%s] (empty)\n", label);
}

static bool
mime_is_text(const char *mime)
{
	return strcmp(mime, "text/plain") == 0;
}

/* The bytes a base64 text decodes to (whitespace and padding aside). */
static size_t
base64_size(const char *s, size_t n)
{
	size_t	 chars = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=')
			pad++;
		else if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ')
			chars++;
	}
	return ((chars + pad) / 4) * 3 - (pad > 2 ? 2 : pad);
}

static void
summarise_data(struct gl_buf *out, const json_t *data)
{
	size_t		 n;
	const char	**keys = sorted_keys(data, &n);

	for (size_t i = 0; i < n; i++) {
		struct gl_buf	 b;
		json_t		*val = json_object_get(data, keys[i]);

		gl_buf_init(&b);
		if (!multiline(val, &b)) {
			char	*js = json_dumps(val, JSON_COMPACT |
			    JSON_SORT_KEYS | JSON_ENCODE_ANY);

			gl_buf_reset(&b);
			if (js != NULL)
				gl_buf_adds(&b, js);
			free(js);
		}
		if (mime_is_text(keys[i]))
			add_text_lines(out, keys[i], b.data != NULL ? b.data :
			    "", b.len);
		else {
			bool	 img = strncmp(keys[i], "image/", 6) == 0 &&
			    strcmp(keys[i], "image/svg+xml") != 0;

			gl_buf_addf(out, "[%s] ", keys[i]);
			add_size(out, img ? base64_size(b.data != NULL ?
			    b.data : "", b.len) : b.len);
			add_hash(out, b.data != NULL ? b.data : "", b.len);
			gl_buf_addc(out, '\n');
		}
		gl_buf_fini(&b);
	}
	free(keys);
}

static void
summarise_output(struct gl_buf *out, const json_t *o)
{
	const char	*type = json_string_value(json_object_get(o,
	    "output_type"));
	struct gl_buf	 b;

	if (type == NULL) {
		gl_buf_adds(out, "[output] (no output_type)\n");
		return;
	}
	gl_buf_init(&b);
	if (strcmp(type, "stream") == 0) {
		const char	*name = json_string_value(json_object_get(o,
		    "name"));

		multiline(json_object_get(o, "text"), &b);
		add_text_lines(out, name != NULL ? name : "stream",
		    b.data != NULL ? b.data : "", b.len);
	} else if (strcmp(type, "execute_result") == 0 ||
	    strcmp(type, "display_data") == 0 ||
	    strcmp(type, "update_display_data") == 0)
		summarise_data(out, json_object_get(o, "data"));
	else if (strcmp(type, "error") == 0) {
		const char	*en = json_string_value(json_object_get(o,
		    "ename"));
		const char	*ev = json_string_value(json_object_get(o,
		    "evalue"));

		gl_buf_addf(&b, "%s: %s", en != NULL ? en : "error",
		    ev != NULL ? ev : "");
		add_text_lines(out, "error", b.data, b.len);
	} else
		gl_buf_addf(out, "[%s]\n", type);
	gl_buf_fini(&b);
}

static int
cell_load(struct ipynb *nb, const json_t *c, size_t index, const char *path,
    struct gl_err *err)
{
	struct ipynb_cell	*x = &nb->cells[index];
	const char		*type, *id;
	json_t			*outs, *o;
	struct gl_buf		 b;
	size_t			 i;

	if (!json_is_object(c))
		return gl_err_set(err, GL_ESYNTAX, "%s: cell %zu is not an "
		    "object", path, index + 1);
	if ((type = json_string_value(json_object_get(c, "cell_type"))) ==
	    NULL)
		return gl_err_set(err, GL_ESYNTAX, "%s: cell %zu has no "
		    "cell_type", path, index + 1);
	gl_buf_init(&b);
	if (!multiline(json_object_get(c, "source"), &b)) {
		gl_buf_fini(&b);
		return gl_err_set(err, GL_ESYNTAX, "%s: cell %zu: source is "
		    "not a string or a list of strings", path, index + 1);
	}
	x->srclen = b.len;
	x->src = pool_take(nb, gl_buf_take(&b, NULL));
	x->kind = pool_dup(nb, type);
	id = json_string_value(json_object_get(c, "id"));
	if (id != NULL && *id != '\0') {
		x->id = pool_dup(nb, id);
		x->id_given = true;
	} else
		x->id = pool_take(nb, xasprintf("#%zu", index + 1));
	x->nmeta = meta_of(nb, json_object_get(c, "metadata"), &x->meta);
	if ((outs = json_object_get(c, "outputs")) != NULL &&
	    json_is_array(outs) && json_array_size(outs) > 0) {
		gl_buf_init(&b);
		json_array_foreach(outs, i, o)
			summarise_output(&b, o);
		x->outlen = b.len;
		x->outputs = pool_take(nb, gl_buf_take(&b, NULL));
	}
	return 0;
}

/* A cell whose id an earlier cell already has gets none. */
static void
untrust_repeated_ids(struct ipynb *nb)
{
	size_t		 cap = 16, mask;
	uint32_t	*tab;

	while (cap < nb->ncells * 2)
		cap <<= 1;
	mask = cap - 1;
	tab = xcalloc(cap, sizeof *tab);
	for (size_t i = 0; i < nb->ncells; i++) {
		struct ipynb_cell	*x = &nb->cells[i];
		size_t			 h;

		if (!x->id_given)
			continue;
		for (h = (size_t)ldiff_hash(x->id, strlen(x->id));; h++) {
			uint32_t	 k = tab[h & mask];

			if (k == 0) {
				tab[h & mask] = (uint32_t)i + 1;
				break;
			}
			if (strcmp(nb->cells[k - 1].id, x->id) == 0) {
				x->id_given = false;
				x->id = pool_take(nb, xasprintf("#%zu", i + 1));
				break;
			}
		}
	}
	free(tab);
}

int
ipynb_parse(const char *buf, size_t len, const char *path,
    struct ipynb **out, struct gl_err *err)
{
	struct ipynb	*nb;
	json_error_t	 je;
	json_t		*root, *cells, *c;
	size_t		 i;
	int		 rc = 0;

	*out = NULL;
	if ((root = json_loadb(buf, len, JSON_ALLOW_NUL, &je)) == NULL)
		return gl_err_set(err, GL_ESYNTAX, "%s:%d:%d: %s", path,
		    je.line, je.column, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return gl_err_set(err, GL_ESYNTAX, "%s: not a notebook (the "
		    "top level is not an object)", path);
	}
	nb = xcalloc(1, sizeof *nb);
	nb->pool = xcalloc(1, sizeof *nb->pool);
	nb->major = (int)json_integer_value(json_object_get(root,
	    "nbformat"));
	nb->minor = (int)json_integer_value(json_object_get(root,
	    "nbformat_minor"));
	if (nb->major < 4) {
		rc = gl_err_set(err, GL_EUNSUPPORTED, "%s: nbformat %d; galley "
		    "reads nbformat 4", path, nb->major);
		goto fail;
	}
	if (!json_is_array(cells = json_object_get(root, "cells"))) {
		rc = gl_err_set(err, GL_ESYNTAX, "%s: not a notebook (no "
		    "\"cells\" list)", path);
		goto fail;
	}
	nb->ncells = json_array_size(cells);
	nb->cells = xcalloc(nb->ncells > 0 ? nb->ncells : 1,
	    sizeof *nb->cells);
	json_array_foreach(cells, i, c)
		if ((rc = cell_load(nb, c, i, path, err)) != 0)
			goto fail;
	/* Ids are unique in a valid file; a repeated one is not trusted. */
	untrust_repeated_ids(nb);
	nb->nmeta = meta_of(nb, json_object_get(root, "metadata"), &nb->meta);
	json_decref(root);
	*out = nb;
	return 0;
fail:
	json_decref(root);
	ipynb_free(nb);
	return rc;
}

void
ipynb_free(struct ipynb *nb)
{
	if (nb == NULL)
		return;
	if (nb->pool != NULL) {
		for (size_t i = 0; i < nb->pool->n; i++)
			free(nb->pool->v[i]);
		free(nb->pool->v);
		free(nb->pool);
	}
	free(nb->cells);
	free(nb);
}
