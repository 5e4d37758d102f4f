#include "connectors/http/webhook_policy.h"

#include <algorithm>
#include <charconv>

namespace edgeflow {

Delivery ClassifyStatus(int status) {
  if (status >= 200 && status <= 299) return Delivery::kDelivered;
  if (status >= 500 || status == 408 || status == 429) return Delivery::kRetry;
  return Delivery::kPermanent;
}

TimeMicros BackoffDelay(int retry, TimeMicros backoff_min, TimeMicros backoff_max,
                        double unit_random) {
  backoff_min = std::max<TimeMicros>(backoff_min, 0);
  backoff_max = std::max(backoff_max, backoff_min);
  TimeMicros bound = backoff_min;
  for (int i = 0; i < retry && bound < backoff_max; ++i) {
    bound = bound > backoff_max / 2 ? backoff_max : bound * 2;
  }
  bound = std::min(std::max<TimeMicros>(bound, 1), backoff_max);
  const TimeMicros low = std::max(backoff_min, bound / 2);
  const double u = std::clamp(unit_random, 0.0, 1.0);
  const auto delay = low + static_cast<TimeMicros>(u * static_cast<double>(bound - low));
  return std::clamp(delay, backoff_min, backoff_max);
}

bool ParseWebhookUrl(std::string_view url, WebhookUrl* out, std::string* error) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    out->tls = false;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out->tls = true;
  } else {
    *error = "must start with http:// or https://";
    return false;
  }
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    *error = "credentials in the URL are not supported; use headers: {Authorization: ...}";
    return false;
  }
  // The port, if any, follows the last ':' outside an IPv6 [...] literal.
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  std::string_view host = authority;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    const std::string_view port = authority.substr(colon + 1);
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value < 1 ||
        value > 65535) {
      *error = "the port must be a number from 1 to 65535, got '" + std::string(port) + "'";
      return false;
    }
  }
  if (host.empty() || host == "[]") {
    *error = "the host is missing";
    return false;
  }
  out->scheme_host_port = std::string(url.substr(0, url.size() - rest.size())) +
                          std::string(authority);
  out->path = path.empty() ? "/" : path.starts_with("?") ? "/" + std::string(path)
                                                          : std::string(path);
  return true;
}

}  // namespace edgeflow
