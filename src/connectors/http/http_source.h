// The `http` source: an HTTP server that ingests readings POSTed by devices
// and gateways (JSON object or array, NDJSON, SenML, CSV, key=value), on
// cpp-httplib.
//
// Threads: cpp-httplib's listener thread plus a pool of `threads` server
// threads answer requests; the executor thread decodes in Poll. A request
// is checked (path, bearer token, Content-Type, size, device) before its
// body is read, then its body is decoded once on the server thread into a
// scratch batch to tell the client exactly which records were accepted
// (200 / 207 / 400 with counts and reasons), then handed over raw through a
// MessageInbox and decoded again in Poll, where rejected records go to the
// dead letters (executor-thread only) and `dropped{reason=...}`.
//
// Why decode twice rather than wait for the executor's verdict: the client
// gets its answer without depending on how busy the pipeline is, there is no
// timeout after which the client cannot know whether its data was kept (and
// would resend duplicates), and a server thread is never parked on the
// executor. Both decodes see the same bytes, receive time and device, so
// they agree; the cost is a second parse (cheap next to the HTTP request).
// When the inbox (`queue` bytes) is full the request is refused with 503 and
// Retry-After, never queued without bound nor dropped silently.
// docs/sources/http.md is the user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef HttpSourceDef();

}  // namespace edgeflow
