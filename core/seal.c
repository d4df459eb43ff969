/*
 * seal.c - sealed records (core/seal.h).
 *
 * Keys. prk = BLAKE2b-256(key = secret, "galley-seal-v1" || purpose || 0
 * || kernel nonce || peer nonce); the kernel-to-peer key is crypto_kdf
 * subkey 1 of prk, the peer-to-kernel key subkey 2 (context "galleysl").
 * Both nonces are fresh per connection (32 random bytes from each side),
 * so every connection has keys of its own, and a record's nonce can
 * simply count: it is the record's number (little-endian, 8 bytes) then 4
 * zero bytes, kept on both sides and never sent.
 *
 * A record on the wire: a msgpack bin header (bin 8, 16 or 32) and
 * ChaCha20-Poly1305 (IETF) ciphertext with its 16-byte tag. The reader
 * opens each record in place in its buffer.
 */
#include "core/seal.h"

#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"

#define SEAL_KEY_LEN	crypto_aead_chacha20poly1305_ietf_KEYBYTES

_Static_assert(SEAL_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES,
    "a record's tag");
_Static_assert(crypto_kdf_KEYBYTES == 32 && SEAL_KEY_LEN == 32,
    "the derived keys");

static const char seal_label[] = "galley-seal-v1";
static const char seal_context[crypto_kdf_CONTEXTBYTES + 1] = "galleysl";

struct seal {
	unsigned char	 tx[SEAL_KEY_LEN];	/* the key we send with */
	unsigned char	 rx[SEAL_KEY_LEN];	/* ... and receive with */
	uint64_t	 txn, rxn;		/* records sent, opened */
	/* Received bytes not yet opened: in[start, len). */
	unsigned char	*in;			/* owned */
	size_t		 start, len, cap;
	uint64_t	 consumed;		/* stream offset of in[0] */
	bool		 broken;
};

static void	 seal_nonce(uint64_t n,
		     unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES]);

struct seal *
seal_new(const char *secret, const char *purpose,
    const unsigned char kernel_nonce[AUTH_NONCE_LEN],
    const unsigned char peer_nonce[AUTH_NONCE_LEN], enum seal_side side)
{
	struct seal			*s = xcalloc(1, sizeof *s);
	crypto_generichash_state	 h;
	unsigned char			 prk[crypto_kdf_KEYBYTES];
	unsigned char			*to_peer, *to_kernel;
	size_t				 klen = strlen(secret);

	if (sodium_init() < 0)
		gl_fatal("libsodium failed to initialise");
	if (klen > crypto_generichash_KEYBYTES_MAX)
		klen = crypto_generichash_KEYBYTES_MAX;
	crypto_generichash_init(&h, (const unsigned char *)secret, klen,
	    sizeof prk);
	crypto_generichash_update(&h, (const unsigned char *)seal_label,
	    sizeof seal_label - 1);
	crypto_generichash_update(&h, (const unsigned char *)purpose,
	    strlen(purpose) + 1);
	crypto_generichash_update(&h, kernel_nonce, AUTH_NONCE_LEN);
	crypto_generichash_update(&h, peer_nonce, AUTH_NONCE_LEN);
	crypto_generichash_final(&h, prk, sizeof prk);
	to_peer = side == SEAL_KERNEL ? s->tx : s->rx;
	to_kernel = side == SEAL_KERNEL ? s->rx : s->tx;
	crypto_kdf_derive_from_key(to_peer, SEAL_KEY_LEN, 1, seal_context,
	    prk);
	crypto_kdf_derive_from_key(to_kernel, SEAL_KEY_LEN, 2, seal_context,
	    prk);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(&h, sizeof h);
	return s;
}

void
seal_free(struct seal *s)
{
	if (s == NULL)
		return;
	if (s->in != NULL) {
		sodium_memzero(s->in, s->cap);
		free(s->in);
	}
	sodium_memzero(s, sizeof *s);
	free(s);
}

size_t
seal_wrapped_len(size_t n)
{
	size_t	 full = n / SEAL_RECORD_MAX, last = n % SEAL_RECORD_MAX;
	size_t	 len = full * (5 + SEAL_RECORD_MAX + SEAL_TAG_LEN);

	if (last > 0)
		len += (last + SEAL_TAG_LEN <= 0xff ? 2 : last + SEAL_TAG_LEN <=
		    0xffff ? 3 : 5) + last + SEAL_TAG_LEN;
	return len;
}

void
seal_wrap(struct seal *s, const void *p, size_t n, struct gl_buf *out)
{
	const unsigned char	*q = p;
	unsigned char		 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	unsigned char		*dst;
	unsigned long long	 clen;

	while (n > 0) {
		size_t	 m = n < SEAL_RECORD_MAX ? n : SEAL_RECORD_MAX;
		size_t	 body = m + SEAL_TAG_LEN;

		gl_buf_reserve(out, 5 + body);
		dst = (unsigned char *)out->data + out->len;
		if (body <= 0xff) {
			*dst++ = 0xc4;
			*dst++ = (unsigned char)body;
			out->len += 2;
		} else if (body <= 0xffff) {
			*dst++ = 0xc5;
			*dst++ = (unsigned char)(body >> 8);
			*dst++ = (unsigned char)body;
			out->len += 3;
		} else {
			*dst++ = 0xc6;
			*dst++ = (unsigned char)(body >> 24);
			*dst++ = (unsigned char)(body >> 16);
			*dst++ = (unsigned char)(body >> 8);
			*dst++ = (unsigned char)body;
			out->len += 5;
		}
		/* A count this high takes centuries; never reuse a nonce. */
		if (s->txn == UINT64_MAX)
			gl_fatal("seal: record count exhausted");
		seal_nonce(s->txn++, nonce);
		crypto_aead_chacha20poly1305_ietf_encrypt(dst, &clen, q, m,
		    NULL, 0, NULL, nonce, s->tx);
		out->len += (size_t)clen;
		out->data[out->len] = '\0';
		q += m;
		n -= m;
	}
}

void
seal_feed(struct seal *s, const void *p, size_t n)
{
	if (n == 0 || s->broken)
		return;
	if (s->start > 0 && (s->start == s->len || s->start > s->cap / 2)) {
		memmove(s->in, s->in + s->start, s->len - s->start);
		s->len -= s->start;
		s->consumed += s->start;
		s->start = 0;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < s->len + n)
			cap *= 2;
		s->in = xrealloc(s->in, cap);
		s->cap = cap;
	}
	memcpy(s->in + s->len, p, n);
	s->len += n;
}

int
seal_open(struct seal *s, const void **p, size_t *n, struct gl_err *err)
{
	unsigned char		 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	unsigned char		*r = s->in + s->start;
	size_t			 avail = s->len - s->start, hdr;
	uint64_t		 body, at = s->consumed + s->start;
	unsigned long long	 mlen;

	if (s->broken)
		return gl_err_set(err, GL_EPROTO, "sealed stream already "
		    "refused");
	if (avail == 0)
		return 0;
	switch (r[0]) {
	case 0xc4:
		hdr = 2;
		break;
	case 0xc5:
		hdr = 3;
		break;
	case 0xc6:
		hdr = 5;
		break;
	default:
		s->broken = true;
		return gl_err_set(err, GL_EPROTO, "byte %llu: an unsealed "
		    "frame (0x%02x) where only sealed records may come",
		    (unsigned long long)at, r[0]);
	}
	if (avail < hdr)
		return 0;
	body = 0;
	for (size_t i = 1; i < hdr; i++)
		body = body << 8 | r[i];
	if (body < SEAL_TAG_LEN || body > SEAL_RECORD_MAX + SEAL_TAG_LEN) {
		s->broken = true;
		return gl_err_set(err, GL_EPROTO, "byte %llu: a sealed record "
		    "of %llu bytes (a record holds %u to %u)",
		    (unsigned long long)at, (unsigned long long)body,
		    SEAL_TAG_LEN, SEAL_RECORD_MAX + SEAL_TAG_LEN);
	}
	if (avail < hdr + body)
		return 0;
	seal_nonce(s->rxn, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(r + hdr, &mlen, NULL,
	    r + hdr, body, NULL, 0, nonce, s->rx) != 0) {
		s->broken = true;
		return gl_err_set(err, GL_EPROTO, "byte %llu: sealed record "
		    "%llu does not authenticate (changed, replayed, "
		    "reordered or not ours)", (unsigned long long)at,
		    (unsigned long long)s->rxn);
	}
	s->rxn++;
	s->start += hdr + (size_t)body;
	*p = r + hdr;
	*n = (size_t)mlen;
	return 1;
}

int
seal_open_into(struct seal *s, struct rpc_reader *rd, struct gl_err *err)
{
	const void	*p = NULL;
	size_t		 n = 0;
	int		 rc;

	while ((rc = seal_open(s, &p, &n, err)) == 1)
		rpc_reader_feed(rd, p, n);
	return rc;
}

int
seal_read(struct seal **sp, bool *answer, const void *p, size_t n,
    struct rpc_reader *rd, struct gl_err *err)
{
	if (*answer && n > 0) {
		*answer = false;
		if (!seal_is_record(*(const unsigned char *)p)) {
			seal_free(*sp);
			*sp = NULL;
		}
	}
	if (*sp == NULL) {
		rpc_reader_feed(rd, p, n);
		return 0;
	}
	seal_feed(*sp, p, n);
	return seal_open_into(*sp, rd, err);
}

size_t
seal_pending(const struct seal *s)
{
	return s->len - s->start;
}

uint64_t
seal_sent(const struct seal *s)
{
	return s->txn;
}

uint64_t
seal_opened(const struct seal *s)
{
	return s->rxn;
}

bool
seal_is_record(unsigned char b)
{
	return b == 0xc4 || b == 0xc5 || b == 0xc6;
}

static void
seal_nonce(uint64_t n,
    unsigned char nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES])
{
	memset(nonce, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
	for (int i = 0; i < 8; i++)
		nonce[i] = (unsigned char)(n >> (8 * i));
}
