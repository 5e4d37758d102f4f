// HTTP transport of the upstream source (see batch_receiver.h): each POST
// waits on its server thread until the executor settled its batch, so the
// 200 (with the ack body) is sent only after the pipeline committed it.
// https:// is cpp-httplib's SSLServer.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "forward/batch_receiver.h"

#include "common/thread_name.h"
namespace edgeflow {
namespace {

class HttpBatchReceiver final : public BatchReceiver {
 public:
  HttpBatchReceiver(UpstreamUrl url, TlsOptions tls, size_t max_frame_bytes, TimeMicros settle_timeout, MessageInbox* inbox,
                    const Clock* clock, std::string log_name)
      : url_(std::move(url)),
        tls_(std::move(tls)),
        max_frame_bytes_(max_frame_bytes),
        settle_timeout_(settle_timeout),
        inbox_(inbox),
        clock_(clock),
        log_name_(std::move(log_name)) {}

  ~HttpBatchReceiver() override { Stop(); }

  Status Start() override {
    if (tls_.enabled) {
      server_ = std::make_unique<httplib::SSLServer>(tls_.cert_file.c_str(), tls_.key_file.c_str(),
                                                     tls_.ca_file.empty() ? nullptr : tls_.ca_file.c_str());
      if (!server_->is_valid()) {
        server_.reset();
        return InvalidConfig("https: cannot load tls.cert_file " + tls_.cert_file + " / tls.key_file " +
                             tls_.key_file + (tls_.ca_file.empty() ? "" : " / tls.ca_file " + tls_.ca_file));
      }
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    httplib::Server& s = *server_;
    s.new_task_queue = [] { return new httplib::ThreadPool(4); };
    s.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const char*>(&yes), sizeof(yes));
    });
    s.set_payload_max_length(max_frame_bytes_);
    s.set_read_timeout(10, 0);
    s.set_write_timeout(10, 0);
    s.set_keep_alive_timeout(2);
    s.Post(url_.path, [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    if (!s.bind_to_port(url_.host, url_.port)) {
      return Unavailable("cannot listen on " + url_.host + ":" + std::to_string(url_.port) +
                         " (in use, or not a local address)");
    }
    thread_ = std::thread([this] {
      NameThisThread("ef-upstream-rx");
      server_->listen_after_bind();
    });
    for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    spdlog::info("{}: listening on {}://{}:{}{}", log_name_, tls_.enabled ? "https" : "http", url_.host,
                 url_.port, url_.path);
    return Status::Ok();
  }

  void Stop() override {
    if (!server_) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    settled_.notify_all();
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  void Settle(uint64_t tag, const std::string&, BatchOutcome outcome, const std::string& body) override {
    std::lock_guard lock(mutex_);
    auto it = waiting_.find(tag);
    if (it == waiting_.end()) return;  // the request timed out meanwhile
    it->second.done = true;
    it->second.outcome = outcome;
    it->second.body = body;
    settled_.notify_all();
  }

 private:
  struct Waiter {
    bool done = false;
    BatchOutcome outcome = BatchOutcome::kFailed;
    std::string body;
  };

  void Handle(const httplib::Request& req, httplib::Response& res) {
    uint64_t id = 0;
    {
      std::lock_guard lock(mutex_);
      id = ++next_id_;
      waiting_.emplace(id, Waiter{});
    }
    if (!inbox_->TryPush(url_.path, req.body, clock_->Now(), id)) {
      Forget(id);
      res.status = 503;
      res.set_content("receiver busy: try again", "text/plain");
      return;
    }
    std::unique_lock lock(mutex_);
    const bool done = settled_.wait_for(lock, std::chrono::microseconds(settle_timeout_), [&] {
      return stopping_ || waiting_[id].done;
    });
    Waiter w = std::move(waiting_[id]);
    waiting_.erase(id);
    lock.unlock();
    if (!done || !w.done) {
      res.status = 503;
      res.set_content("batch not committed in time: try again", "text/plain");
      return;
    }
    switch (w.outcome) {
      case BatchOutcome::kCommitted:
        res.status = 200;
        res.set_content(w.body, "application/json");
        break;
      case BatchOutcome::kRejected:
        res.status = 400;
        res.set_content(w.body, "text/plain");
        break;
      case BatchOutcome::kFailed:
        res.status = 503;
        res.set_content(w.body, "text/plain");
        break;
    }
  }

  void Forget(uint64_t id) {
    std::lock_guard lock(mutex_);
    waiting_.erase(id);
  }

  const UpstreamUrl url_;
  const TlsOptions tls_;
  const size_t max_frame_bytes_;
  const TimeMicros settle_timeout_;
  MessageInbox* inbox_;
  const Clock* clock_;
  const std::string log_name_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable settled_;
  std::map<uint64_t, Waiter> waiting_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<BatchReceiver> MakeHttpBatchReceiver(const UpstreamUrl& url, const TlsOptions& tls,
                                                     size_t max_frame_bytes, TimeMicros settle_timeout,
                                                     MessageInbox* inbox, const Clock* clock,
                                                     const std::string& log_name) {
  return std::make_unique<HttpBatchReceiver>(url, tls, max_frame_bytes, settle_timeout, inbox, clock, log_name);
}

}  // namespace edgeflow
