// The sending end of the upstream protocol, one per transport: delivers
// batch frames to a receiver and hands the receiver's acks back.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/metrics.h"
#include "common/status.h"
#include "connectors/mqtt/mqtt_client.h"
#include "forward/ack_message.h"
#include "forward/upstream_url.h"

namespace edgeflow {

class BatchTransport {
 public:
  // Called (on any thread) with every ack the receiver sends.
  using AckHandler = std::function<void(const AckMessage& ack)>;
  virtual ~BatchTransport() = default;
  virtual void Start(AckHandler on_ack) = 0;
  virtual void Stop() = 0;
  // False while the link is known to be down (MQTT: not connected).
  virtual bool Ready() const = 0;
  // Sends one frame. MQTT queues it (QoS 1) and returns; its ack comes later
  // on the ack topic. HTTP POSTs it and waits: the ack of a 200 is handed to
  // the AckHandler before Send returns. Unavailable: link down, timeout,
  // 503; InvalidData: the receiver rejected the frame (400).
  virtual Status Send(const std::string& frame) = 0;
};

// Publishes to `<prefix>/<node>/batch`, subscribes to `<prefix>/<node>/ack`.
std::unique_ptr<BatchTransport> MakeMqttBatchTransport(mqtt::ClientOptions client, const std::string& prefix,
                                                       const std::string& node, MetricsRegistry* metrics,
                                                       const std::string& labels);

// POSTs to url (https: with `tls`: CA, client certificate); `timeout` bounds
// connect, handshake, send and the wait for the answer.
std::unique_ptr<BatchTransport> MakeHttpBatchTransport(const UpstreamUrl& url, const TlsOptions& tls,
                                                       TimeMicros timeout);

}  // namespace edgeflow
