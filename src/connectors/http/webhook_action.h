// The `webhook` action of a rule: POSTs the alert (as JSON, or a body
// template) to a URL when the rule fires, e.g.
// `then: [alert, { webhook: { url: "http://ops.local/hooks/press" } }]`.
// Calls run on the action's own thread with a timeout, and are retried with
// backoff on 5xx, 408, 429 and transport errors (`retries`); each outcome —
// the final HTTP status or error — becomes an `action` event of the rule.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ActionDef WebhookActionDef();

}  // namespace edgeflow
