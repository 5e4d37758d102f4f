// The receiving end of the upstream protocol, one per transport: takes batch
// frames off MQTT (subscription to <prefix>/+/batch) or HTTP (POSTs to a
// path), hands them to the upstream source through a MessageInbox, and
// settles each one when the source says how it ended: committed (the
// sender gets the ack body), rejected (malformed: no ack, HTTP 400) or failed
// (commit failed or no room: no ack, HTTP 503; the sender resends).
#pragma once

#include <memory>
#include <string>

#include "common/metrics.h"
#include "common/status.h"
#include "connectors/common/message_inbox.h"
#include "connectors/mqtt/mqtt_client.h"
#include "forward/upstream_url.h"

namespace edgeflow {

enum class BatchOutcome { kCommitted, kRejected, kFailed };

class BatchReceiver {
 public:
  virtual ~BatchReceiver() = default;
  virtual Status Start() = 0;
  virtual void Stop() = 0;
  // Executor thread. `tag` is the InboxMessage's tag; `node` the frame's
  // node id; `body` the ack (kCommitted) or the reason (otherwise).
  virtual void Settle(uint64_t tag, const std::string& node, BatchOutcome outcome,
                      const std::string& body) = 0;
};

// Subscribes to `<topic_prefix>/+/batch` (or `$share/<group>/...`), QoS 1;
// publishes acks to `<topic_prefix>/<node>/ack`. An incoming message is
// PUBACKed only when settled, so a receiver that dies before its commit gets
// the batch again from a persistent session.
std::unique_ptr<BatchReceiver> MakeMqttBatchReceiver(mqtt::ClientOptions client,
                                                     const std::string& topic_prefix,
                                                     const std::string& share_group, MessageInbox* inbox,
                                                     const Clock* clock, MetricsRegistry* metrics,
                                                     const std::string& labels);

// Listens on url.host:url.port and takes POSTs to url.path; each request
// waits (up to `settle_timeout`) until its batch is settled: 200 + ack body,
// 400 + reason, 503 + reason. https: serves TLS with tls.cert_file/key_file
// and, when tls.ca_file is set, requires client certificates signed by it.
std::unique_ptr<BatchReceiver> MakeHttpBatchReceiver(const UpstreamUrl& url, const TlsOptions& tls,
                                                     size_t max_frame_bytes,
                                                     TimeMicros settle_timeout, MessageInbox* inbox,
                                                     const Clock* clock, const std::string& log_name);

}  // namespace edgeflow
