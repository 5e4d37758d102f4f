// The `webhook` sink: POSTs events as JSON to an HTTP(S) endpoint.
//
// Write() runs on the executor thread and only encodes events (the shared
// JSON encoder) into a bounded EncodedEventQueue (`queue` events, overflow
// policy `on_full`); a sender thread owned by the sink takes up to `batch`
// events at a time and POSTs them (a JSON array, or one object with
// `batch: 1`), so network I/O never blocks the pipeline. Failures: 5xx, 408,
// 429, timeouts and refused or reset connections are retried with
// exponential backoff and jitter (`retries`, `backoff_min`, `backoff_max`;
// a Retry-After is honoured within those bounds); other statuses are
// permanent. A batch that fails for good is logged with the status and an
// excerpt of the answer, and its events are dead-lettered (reason
// `rejected` or `retries_exhausted`) on the executor thread's next Write or
// Flush. Flush() waits briefly for the queue to empty while the peer
// answers; Close() keeps sending for up to `drain_timeout`, then drops and
// counts (`shutdown`) what is left. docs/sinks/webhook.md is the user
// reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef WebhookSinkDef();

}  // namespace edgeflow
