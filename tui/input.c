/*
 * input.c - terminal bytes into key, mouse and paste events.
 *
 * The buffer holds bytes not yet turned into events. Each call looks at
 * its start: a whole sequence becomes an event and is consumed; a
 * sequence that may still be growing (ESC, "ESC [", a CSI without its
 * final byte, a partial UTF-8 character) waits for more bytes, unless
 * INPUT_ESC_MS have passed since the last byte arrived, in which case the
 * ESC is taken as the Esc key (or as Alt with what follows) and the rest
 * is decoded on its own. Inside a bracketed paste every byte is text
 * until ESC [ 201 ~, and no timeout applies.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "tui/input.h"
#include "tui/view.h"

#define PARAMS_MAX	8

struct input {
	struct gl_buf	 buf;
	size_t		 off;		/* consumed bytes at the start */
	int64_t		 last_ms;	/* when bytes last arrived */
	bool		 pasting;
	struct gl_buf	 paste;
};

/* A parsed CSI: ESC [ prefix params final. */
struct csi {
	char		 prefix;	/* '<', '?', '>' or 0 */
	int		 p[PARAMS_MAX];	/* -1: absent */
	int		 sub[PARAMS_MAX]; /* first ':' sub-parameter, -1 */
	int		 np;
	char		 final;
	size_t		 len;		/* bytes, ESC included */
};

static int	 parse_csi(const char *s, size_t n, struct csi *c);
static bool	 csi_event(const struct csi *c, struct input_ev *ev);
static unsigned	 mods_of(int param);
static void	 key_ev(struct input_ev *ev, uint32_t key, unsigned mods);
static void	 ctl_key(struct input_ev *ev, unsigned char c, unsigned mods);

struct input *
input_new(void)
{
	struct input	*in = xcalloc(1, sizeof *in);

	gl_buf_init(&in->buf);
	gl_buf_init(&in->paste);
	return in;
}

void
input_free(struct input *in)
{
	if (in == NULL)
		return;
	gl_buf_fini(&in->buf);
	gl_buf_fini(&in->paste);
	free(in);
}

void
input_feed(struct input *in, const char *p, size_t n, int64_t now_ms)
{
	if (in->off > 0 && in->off == in->buf.len) {
		gl_buf_reset(&in->buf);
		in->off = 0;
	}
	gl_buf_add(&in->buf, p, n);
	in->last_ms = now_ms;
}

int64_t
input_deadline(const struct input *in)
{
	if (in->off < in->buf.len && !in->pasting)
		return in->last_ms + INPUT_ESC_MS;
	return -1;
}

static void
consume(struct input *in, size_t n)
{
	in->off += n;
	if (in->off >= in->buf.len) {
		gl_buf_reset(&in->buf);
		in->off = 0;
	} else if (in->off > 4096) {
		memmove(in->buf.data, in->buf.data + in->off,
		    in->buf.len - in->off);
		in->buf.len -= in->off;
		in->buf.data[in->buf.len] = '\0';
		in->off = 0;
	}
}

/* Decodes the paste's bytes up to its end marker. 1: done (event), 0:
 * more needed. */
static int
take_paste(struct input *in, struct input_ev *ev)
{
	static const char end[] = "\x1b[201~";
	const char	*s = in->buf.data + in->off;
	size_t		 n = in->buf.len - in->off;
	const char	*e = NULL;

	for (size_t i = 0; i + sizeof end - 1 <= n; i++)
		if (s[i] == '\x1b' && memcmp(s + i, end, sizeof end - 1) == 0) {
			e = s + i;
			break;
		}
	if (e == NULL) {
		/* Keep a possible start of the marker for later. */
		size_t	 keep = 0;

		for (size_t k = 1; k < sizeof end - 1 && k <= n; k++)
			if (memcmp(s + n - k, end, k) == 0)
				keep = k;
		gl_buf_add(&in->paste, s, n - keep);
		consume(in, n - keep);
		return 0;
	}
	gl_buf_add(&in->paste, s, (size_t)(e - s));
	consume(in, (size_t)(e - s) + sizeof end - 1);
	in->pasting = false;
	memset(ev, 0, sizeof *ev);
	ev->type = INPUT_PASTE;
	ev->text = in->paste.data ? in->paste.data : "";
	ev->len = in->paste.len;
	return 1;
}

int
input_next(struct input *in, struct input_ev *ev, int64_t now_ms)
{
	const char	*s;
	size_t		 n;
	bool		 timed_out;

	for (;;) {
		if (in->pasting)
			return take_paste(in, ev);
		s = in->buf.data + in->off;
		n = in->buf.len - in->off;
		if (n == 0)
			return 0;
		timed_out = now_ms - in->last_ms >= INPUT_ESC_MS;
		memset(ev, 0, sizeof *ev);
		if (s[0] == '\x1b') {
			struct csi	 c;
			int		 rc;

			if (n == 1) {
				if (!timed_out)
					return 0;
				key_ev(ev, INPUT_K_ESC, 0);
				consume(in, 1);
				return 1;
			}
			if (s[1] == '[') {
				rc = parse_csi(s, n, &c);
				if (rc == 0 && !timed_out)
					return 0;
				if (rc > 0) {
					consume(in, c.len);
					if (c.final == '~' && c.p[0] == 200 &&
					    c.prefix == 0) {
						in->pasting = true;
						gl_buf_reset(&in->paste);
						continue;
					}
					if (c.final == 'M' && c.prefix == 0 &&
					    c.np == 0) {
						/* X10 mouse: 3 more bytes. */
						if (in->buf.len - in->off < 3)
							return 0;
						s = in->buf.data + in->off;
						ev->type = INPUT_MOUSE;
						ev->button = ((unsigned char)s[0] -
						    32) & 0xc3;
						ev->x = (unsigned char)s[1] - 33;
						ev->y = (unsigned char)s[2] - 33;
						ev->press = ev->button != 3;
						consume(in, 3);
						return 1;
					}
					if (csi_event(&c, ev))
						return 1;
					continue;	/* unknown: skipped */
				}
				/* Cut short or malformed: Alt-[. */
				key_ev(ev, '[', INPUT_MOD_ALT);
				consume(in, 2);
				return 1;
			}
			if (s[1] == 'O') {
				if (n < 3) {
					if (!timed_out)
						return 0;
					key_ev(ev, 'O', INPUT_MOD_ALT);
					consume(in, 2);
					return 1;
				}
				switch (s[2]) {
				case 'A': key_ev(ev, INPUT_K_UP, 0); break;
				case 'B': key_ev(ev, INPUT_K_DOWN, 0); break;
				case 'C': key_ev(ev, INPUT_K_RIGHT, 0); break;
				case 'D': key_ev(ev, INPUT_K_LEFT, 0); break;
				case 'H': key_ev(ev, INPUT_K_HOME, 0); break;
				case 'F': key_ev(ev, INPUT_K_END, 0); break;
				case 'M': key_ev(ev, INPUT_K_ENTER, 0); break;
				case 'P': case 'Q': case 'R': case 'S':
					key_ev(ev, INPUT_K_F1 + (uint32_t)(s[2] -
					    'P'), 0);
					break;
				default:
					key_ev(ev, 'O', INPUT_MOD_ALT);
					consume(in, 2);
					return 1;
				}
				consume(in, 3);
				return 1;
			}
			if (s[1] == '\x1b') {
				/* Esc Esc: the first is a key. */
				key_ev(ev, INPUT_K_ESC, 0);
				consume(in, 1);
				return 1;
			}
			/* Alt + a key. */
			{
				uint32_t cp;
				size_t	 k;

				if ((unsigned char)s[1] < 0x20 ||
				    s[1] == 0x7f) {
					ctl_key(ev, (unsigned char)s[1],
					    INPUT_MOD_ALT);
					consume(in, 2);
					return 1;
				}
				k = view_utf8_decode(s + 1, n - 1, &cp);
				if (cp == 0xfffd && k == 1 && n - 1 < 4 &&
				    (unsigned char)s[1] >= 0xc0 && !timed_out)
					return 0;
				key_ev(ev, cp, INPUT_MOD_ALT);
				consume(in, 1 + k);
				return 1;
			}
		}
		if ((unsigned char)s[0] < 0x20 || s[0] == 0x7f) {
			ctl_key(ev, (unsigned char)s[0], 0);
			consume(in, 1);
			return 1;
		}
		{
			uint32_t cp;
			size_t	 k = view_utf8_decode(s, n, &cp);

			/* A character whose bytes have not all come. */
			if (cp == 0xfffd && k == 1 && (unsigned char)s[0] >= 0xc0 &&
			    n < ((unsigned char)s[0] >= 0xf0 ? 4u :
			    (unsigned char)s[0] >= 0xe0 ? 3u : 2u) && !timed_out)
				return 0;
			key_ev(ev, cp, 0);
			consume(in, k);
			return 1;
		}
	}
}

static void
key_ev(struct input_ev *ev, uint32_t key, unsigned mods)
{
	memset(ev, 0, sizeof *ev);
	ev->type = INPUT_KEY;
	ev->key = key;
	ev->mods = mods;
}

/* A C0 control byte as a key. */
static void
ctl_key(struct input_ev *ev, unsigned char c, unsigned mods)
{
	switch (c) {
	case '\r':
		key_ev(ev, INPUT_K_ENTER, mods);
		return;
	case '\t':
		key_ev(ev, INPUT_K_TAB, mods);
		return;
	case 0x7f:
	case 0x08:
		key_ev(ev, INPUT_K_BS, mods);
		return;
	case 0x1b:
		key_ev(ev, INPUT_K_ESC, mods);
		return;
	case 0:
		key_ev(ev, ' ', mods | INPUT_MOD_CTRL);
		return;
	}
	if (c >= 1 && c <= 26)
		key_ev(ev, (uint32_t)('a' + c - 1), mods | INPUT_MOD_CTRL);
	else
		key_ev(ev, (uint32_t)(c + 64), mods | INPUT_MOD_CTRL);
}

/* Parses ESC [ ... at s: 1 (complete, *c filled), 0 (incomplete), -1
 * (not a CSI we can read). */
static int
parse_csi(const char *s, size_t n, struct csi *c)
{
	size_t	 i = 2;
	int	*cur = NULL;
	bool	 in_sub = false;

	memset(c, 0, sizeof *c);
	for (int k = 0; k < PARAMS_MAX; k++)
		c->p[k] = c->sub[k] = -1;
	if (i < n && (s[i] == '<' || s[i] == '?' || s[i] == '>' || s[i] == '='))
		c->prefix = s[i++];
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= '0' && ch <= '9') {
			if (c->np == 0) {
				c->np = 1;
				cur = &c->p[0];
			}
			if (cur == NULL)
				continue;
			if (*cur < 0)
				*cur = 0;
			if (*cur < 100000)
				*cur = *cur * 10 + (ch - '0');
		} else if (ch == ';') {
			if (c->np == 0)
				c->np = 1;
			in_sub = false;
			cur = c->np < PARAMS_MAX ? &c->p[c->np++] : NULL;
		} else if (ch == ':') {
			if (c->np == 0)
				c->np = 1;
			cur = !in_sub && c->np <= PARAMS_MAX ?
			    &c->sub[c->np - 1] : NULL;
			in_sub = true;
		} else if (ch >= 0x20 && ch <= 0x2f) {
			continue;	/* intermediate bytes */
		} else if (ch >= 0x40 && ch <= 0x7e) {
			c->final = (char)ch;
			c->len = i + 1;
			return 1;
		} else
			return -1;
		if (i > 64)
			return -1;
	}
	return 0;
}

static unsigned
mods_of(int param)
{
	unsigned m;

	if (param < 2)
		return 0;
	m = (unsigned)(param - 1);
	/* xterm: 1 shift, 2 alt, 4 ctrl, 8 meta (as alt). */
	return (m & 7) | ((m & 8) ? INPUT_MOD_ALT : 0);
}

/* A key given by codepoint with modifiers (CSI-u, modifyOtherKeys). */
static void
code_key(struct input_ev *ev, int code, unsigned mods)
{
	switch (code) {
	case 13:
		key_ev(ev, INPUT_K_ENTER, mods);
		return;
	case 9:
		key_ev(ev, INPUT_K_TAB, mods);
		return;
	case 27:
		key_ev(ev, INPUT_K_ESC, mods);
		return;
	case 127:
	case 8:
		key_ev(ev, INPUT_K_BS, mods);
		return;
	}
	if (code < 32) {
		ctl_key(ev, (unsigned char)code, mods);
		return;
	}
	if ((mods & INPUT_MOD_CTRL) && code >= 'A' && code <= 'Z')
		code += 32;
	/* A shifted character arrives as itself ("A", "?"): Shift only
	 * matters for keys that are not characters. */
	if ((mods & INPUT_MOD_SHIFT) && !(mods & INPUT_MOD_CTRL) &&
	    code >= 'a' && code <= 'z') {
		code -= 32;
		mods &= ~INPUT_MOD_SHIFT;
	} else if (code > 32 && !(mods & INPUT_MOD_CTRL))
		mods &= ~INPUT_MOD_SHIFT;
	key_ev(ev, (uint32_t)code, mods);
}

static bool
csi_event(const struct csi *c, struct input_ev *ev)
{
	int	 p0 = c->p[0];

	if (c->prefix == '<' && (c->final == 'M' || c->final == 'm')) {
		int b = p0 < 0 ? 0 : p0;

		memset(ev, 0, sizeof *ev);
		ev->type = INPUT_MOUSE;
		ev->mods = ((b & 4) ? INPUT_MOD_SHIFT : 0) |
		    ((b & 8) ? INPUT_MOD_ALT : 0) |
		    ((b & 16) ? INPUT_MOD_CTRL : 0);
		ev->drag = (b & 32) != 0;
		ev->button = b & 0xc3;
		ev->x = (c->p[1] > 0 ? c->p[1] : 1) - 1;
		ev->y = (c->p[2] > 0 ? c->p[2] : 1) - 1;
		ev->press = c->final == 'M';
		return true;
	}
	if (c->prefix != 0)
		return false;
	switch (c->final) {
	case 'A': key_ev(ev, INPUT_K_UP, mods_of(c->p[1])); return true;
	case 'B': key_ev(ev, INPUT_K_DOWN, mods_of(c->p[1])); return true;
	case 'C': key_ev(ev, INPUT_K_RIGHT, mods_of(c->p[1])); return true;
	case 'D': key_ev(ev, INPUT_K_LEFT, mods_of(c->p[1])); return true;
	case 'H': key_ev(ev, INPUT_K_HOME, mods_of(c->p[1])); return true;
	case 'F': key_ev(ev, INPUT_K_END, mods_of(c->p[1])); return true;
	case 'P': case 'Q': case 'R': case 'S':
		key_ev(ev, INPUT_K_F1 + (uint32_t)(c->final - 'P'),
		    mods_of(c->p[1]));
		return true;
	case 'Z':
		key_ev(ev, INPUT_K_TAB, INPUT_MOD_SHIFT);
		return true;
	case 'u':
		if (p0 < 0)
			return false;
		code_key(ev, p0, mods_of(c->p[1]));
		return true;
	case '~':
		switch (p0) {
		case 1: case 7:
			key_ev(ev, INPUT_K_HOME, mods_of(c->p[1]));
			return true;
		case 2:
			key_ev(ev, INPUT_K_INS, mods_of(c->p[1]));
			return true;
		case 3:
			key_ev(ev, INPUT_K_DEL, mods_of(c->p[1]));
			return true;
		case 4: case 8:
			key_ev(ev, INPUT_K_END, mods_of(c->p[1]));
			return true;
		case 5:
			key_ev(ev, INPUT_K_PGUP, mods_of(c->p[1]));
			return true;
		case 6:
			key_ev(ev, INPUT_K_PGDN, mods_of(c->p[1]));
			return true;
		case 11: case 12: case 13: case 14: case 15:
			key_ev(ev, INPUT_K_F1 + (uint32_t)(p0 - 11),
			    mods_of(c->p[1]));
			return true;
		case 17: case 18: case 19: case 20: case 21:
			key_ev(ev, INPUT_K_F1 + 5 + (uint32_t)(p0 - 17),
			    mods_of(c->p[1]));
			return true;
		case 23: case 24:
			key_ev(ev, INPUT_K_F1 + 10 + (uint32_t)(p0 - 23),
			    mods_of(c->p[1]));
			return true;
		case 27:
			/* modifyOtherKeys: CSI 27 ; mods ; code ~ */
			if (c->p[2] < 0)
				return false;
			code_key(ev, c->p[2], mods_of(c->p[1]));
			return true;
		}
		return false;
	}
	return false;
}
