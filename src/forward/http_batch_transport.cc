// HTTP transport of the upstream sink (see batch_transport.h): one POST per
// batch on the delivery thread; the 200's body is the ack. https:// goes
// through cpp-httplib's SSLClient (OpenSSL), which verifies the receiver's
// chain against tls.ca_file and its name against the url's host.
#include <httplib.h>
#include <openssl/x509.h>

#include "forward/batch_transport.h"

namespace edgeflow {
namespace {

class HttpBatchTransport final : public BatchTransport {
 public:
  HttpBatchTransport(UpstreamUrl url, TlsOptions tls, TimeMicros timeout)
      : url_(std::move(url)), tls_(std::move(tls)), timeout_(timeout) {}

  void Start(AckHandler on_ack) override {
    on_ack_ = std::move(on_ack);
    if (tls_.enabled) {
      auto ssl = std::make_unique<httplib::SSLClient>(url_.host, url_.port, tls_.cert_file, tls_.key_file);
      if (!tls_.ca_file.empty()) ssl->set_ca_cert_path(tls_.ca_file.c_str());
      ssl->enable_server_certificate_verification(tls_.verify_peer);
      ssl_ = ssl.get();
      client_ = std::move(ssl);
    } else {
      client_ = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
    }
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
    if (ssl_ != nullptr && !ssl_->is_valid()) {
      return InvalidConfig("TLS: cannot load tls.cert_file " + tls_.cert_file + " / tls.key_file " +
                           tls_.key_file);
    }
    httplib::Result result = client_->Post(url_.path, frame, "application/vnd.edgeflow.batch");
    if (!result) return Unavailable("POST failed: " + Describe(result.error()));
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
  // TLS failures name what to fix; the records stay in the outbox meanwhile.
  std::string Describe(httplib::Error error) const {
    switch (error) {
      case httplib::Error::SSLServerVerification: {
        const long verify = ssl_ != nullptr ? ssl_->get_openssl_verify_result() : X509_V_OK;
        if (verify != X509_V_OK) {
          return std::string("TLS: the receiver's certificate is not trusted: ") +
                 X509_verify_cert_error_string(verify) + " (check tls.ca_file)";
        }
        return "TLS: the receiver's certificate does not name '" + url_.host + "'";
      }
      case httplib::Error::SSLLoadingCerts:
        return "TLS: cannot load tls.ca_file / tls.cert_file / tls.key_file";
      case httplib::Error::SSLConnection:
        return "TLS handshake failed (not a TLS server, or it refused our client certificate)";
      case httplib::Error::Read:
      case httplib::Error::Write:
        // TLS 1.3 finishes the client's side of the handshake before the
        // server checks the client certificate: a refusal shows up here.
        if (tls_.enabled) {
          return httplib::to_string(error) +
                 " error: the receiver closed the TLS connection (a refused client certificate shows this "
                 "way: check tls.cert_file)";
        }
        return httplib::to_string(error);
      default: return httplib::to_string(error);
    }
  }

  const UpstreamUrl url_;
  const TlsOptions tls_;
  const TimeMicros timeout_;
  AckHandler on_ack_;
  std::unique_ptr<httplib::ClientImpl> client_;
  httplib::SSLClient* ssl_ = nullptr;  // client_ when https
};

}  // namespace

std::unique_ptr<BatchTransport> MakeHttpBatchTransport(const UpstreamUrl& url, const TlsOptions& tls,
                                                       TimeMicros timeout) {
  return std::make_unique<HttpBatchTransport>(url, tls, timeout);
}

}  // namespace edgeflow
