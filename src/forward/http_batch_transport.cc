// HTTP transport of the upstream sink (see batch_transport.h): one POST per
// batch on the delivery thread; the 200's body is the ack.
#include <httplib.h>

#include "forward/batch_transport.h"

namespace edgeflow {
namespace {

class HttpBatchTransport final : public BatchTransport {
 public:
  HttpBatchTransport(UpstreamUrl url, TimeMicros timeout) : url_(std::move(url)), timeout_(timeout) {}

  void Start(AckHandler on_ack) override {
    on_ack_ = std::move(on_ack);
    client_ = std::make_unique<httplib::Client>(url_.host, url_.port);
    const auto seconds = static_cast<time_t>(timeout_ / kMicrosPerSecond);
    const auto micros = static_cast<time_t>(timeout_ % kMicrosPerSecond);
    client_->set_connection_timeout(seconds, micros);
    client_->set_read_timeout(seconds, micros);
    client_->set_write_timeout(seconds, micros);
    client_->set_keep_alive(true);
  }

  void Stop() override {
    if (client_) client_->stop();
  }

  // The link state is only learnt by sending.
  bool Ready() const override { return true; }

  Status Send(const std::string& frame) override {
    httplib::Result result = client_->Post(url_.path, frame, "application/vnd.edgeflow.batch");
    if (!result) return Unavailable("POST failed: " + httplib::to_string(result.error()));
    if (result->status == 200) {
      Result<AckMessage> ack = ParseAck(result->body);
      if (!ack.ok()) return Unavailable("malformed ack: " + ack.status().message());
      on_ack_(*ack);
      return Status::Ok();
    }
    if (result->status == 400) return InvalidData("receiver rejected the batch: " + result->body);
    return Unavailable("receiver answered " + std::to_string(result->status) + ": " + result->body);
  }

 private:
  const UpstreamUrl url_;
  const TimeMicros timeout_;
  AckHandler on_ack_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace

std::unique_ptr<BatchTransport> MakeHttpBatchTransport(const UpstreamUrl& url, TimeMicros timeout) {
  return std::make_unique<HttpBatchTransport>(url, timeout);
}

}  // namespace edgeflow
