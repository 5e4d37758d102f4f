// The `webhook` sink's delivery policy as pure functions: which answers are
// worth retrying, how long to wait before each retry, and how the `url`
// option splits into what cpp-httplib's client needs.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"

namespace edgeflow {

enum class Delivery {
  kDelivered,  // 2xx
  kRetry,      // 5xx, 408, 429, or a transport failure (refused, timeout, reset)
  kPermanent,  // any other status (3xx, 4xx): resending the same body cannot help
};

// What an HTTP status means for delivery.
Delivery ClassifyStatus(int status);

// The wait before retry number `retry` (0 = the first retry): with
// d = min(backoff_max, backoff_min * 2^retry), a value drawn uniformly (by
// `unit_random` in [0, 1]) from [max(backoff_min, d / 2), d]. So the first
// retry waits backoff_min, the bound doubles per retry up to backoff_max,
// and the jitter (up to half the bound) spreads clients that failed
// together. Always within [backoff_min, backoff_max].
TimeMicros BackoffDelay(int retry, TimeMicros backoff_min, TimeMicros backoff_max,
                        double unit_random);

struct WebhookUrl {
  std::string scheme_host_port;  // "http://127.0.0.1:9000"
  std::string path;              // "/hook?x=1" ("/" when the URL has none)
  bool tls = false;
};

// Splits an http:// or https:// URL; false with `error` set otherwise.
bool ParseWebhookUrl(std::string_view url, WebhookUrl* out, std::string* error);

}  // namespace edgeflow
