/*
 * req.c - replies and messages to a requesting client (kernel/req.h).
 */
#include "kernel/req.h"

#include <stdlib.h>

#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/conn.h"

msgpack_packer *
req_reply_begin(struct req *r)
{
	struct rpc_writer *w = conn_writer(r->client->conn);

	r->replied = true;
	rpc_begin_response(w, r->id);
	return &w->pk;
}

void
req_reply_end(struct req *r)
{
	conn_flush(r->client->conn);
}

void
req_client_send(struct req_client *c, const void *p, size_t n)
{
	conn_send(c->conn, p, n);
}

void
req_client_cork(struct req_client *c, bool corked)
{
	conn_cork(c->conn, corked);
}

void
req_client_send2(struct req_client *c, const void *p, size_t n,
    const void *q, size_t m)
{
	conn_send2(c->conn, p, n, q, m);
}

bool
req_client_held(const struct req_client *c)
{
	return conn_held(c->conn);
}

void
req_client_set_name(struct req_client *c, const char *name, size_t len)
{
	free(c->name);
	c->name = xstrndup(name, len);
}
