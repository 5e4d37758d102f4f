#include "connectors/net/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgeflow {
namespace {

std::string SslErrorText() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "unknown TLS error" : text;
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool WaitFd(int fd, short events, TimeMicros deadline) {
  while (true) {
    const TimeMicros left = deadline - SystemClock::Instance().Monotonic();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>((left + 999) / 1000));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

Result<int> ConnectTcp(const std::string& host, int port, TimeMicros deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    return Unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      if (!WaitFd(fd, POLLOUT, deadline)) {
        last_error = "connect timed out";
        ::close(fd);
        fd = -1;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc < 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(list);
  if (fd < 0) return Unavailable("cannot connect to " + host + ":" + service + ": " + last_error);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

IoResult FromErrno(const char* what) {
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return IoResult::WouldBlock();
  if (errno == ECONNRESET || errno == EPIPE) return IoResult::Closed();
  return IoResult::Error(std::string(what) + ": " + std::strerror(errno));
}

class PlainConnection final : public Connection {
 public:
  PlainConnection(int fd, bool quick_ack) : fd_(fd), quick_ack_(quick_ack) {}
  ~PlainConnection() override { ::close(fd_); }
  int fd() const override { return fd_; }

  IoResult Read(char* buffer, size_t size) override {
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n > 0) {
      if (quick_ack_) {
        // 2 (an even value) sends the pending ACK now and stays in delayed-
        // ACK mode: one ACK per read, not one per incoming segment (Linux).
        const int flush_ack = 2;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &flush_ack, sizeof flush_ack);
      }
      return IoResult::Ok(static_cast<size_t>(n));
    }
    if (n == 0) return IoResult::Closed();
    return FromErrno("read");
  }

  IoResult Write(const char* data, size_t size) override {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) return IoResult::Ok(static_cast<size_t>(n));
    return FromErrno("write");
  }

 private:
  int fd_;
  bool quick_ack_;
};

class TlsConnection final : public Connection {
 public:
  TlsConnection(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  ~TlsConnection() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  int fd() const override { return fd_; }
  bool HasBufferedData() const override { return SSL_pending(ssl_) > 0; }

  IoResult Read(char* buffer, size_t size) override {
    ERR_clear_error();
    size_t n = 0;
    if (SSL_read_ex(ssl_, buffer, size, &n) == 1) return IoResult::Ok(n);
    return Failure(0, "TLS read");
  }

  IoResult Write(const char* data, size_t size) override {
    ERR_clear_error();
    size_t n = 0;
    if (SSL_write_ex(ssl_, data, size, &n) == 1) return IoResult::Ok(n);
    return Failure(0, "TLS write");
  }

 private:
  IoResult Failure(int, const char* what) {
    const int e = SSL_get_error(ssl_, 0);
    switch (e) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE: return IoResult::WouldBlock();
      case SSL_ERROR_ZERO_RETURN: return IoResult::Closed();
      case SSL_ERROR_SYSCALL:
        if (errno == 0 || errno == ECONNRESET || errno == EPIPE) return IoResult::Closed();
        return FromErrno(what);
      default: return IoResult::Error(std::string(what) + ": " + SslErrorText());
    }
  }

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
};

Result<std::unique_ptr<Connection>> OpenTls(int fd, const std::string& host, const TlsOptions& o,
                                            TimeMicros deadline) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    ::close(fd);
    return Internal("cannot create a TLS context: " + SslErrorText());
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  const auto fail = [&](StatusCode code, const std::string& message, SSL* ssl) {
    if (ssl != nullptr) SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(fd);
    return Status(code, message);
  };
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1) {
      return fail(StatusCode::kInvalidConfig, "cannot load CA file " + o.ca_file + ": " + SslErrorText(),
                  nullptr);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail(StatusCode::kInvalidConfig, "cannot load the system CA store: " + SslErrorText(),
                nullptr);
  }
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
      return fail(StatusCode::kInvalidConfig,
                  "cannot load client certificate " + o.cert_file + ": " + SslErrorText(), nullptr);
    }
    const std::string& key = o.key_file.empty() ? o.cert_file : o.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return fail(StatusCode::kInvalidConfig,
                  "cannot load client key " + key + ": " + SslErrorText(), nullptr);
    }
  }
  SSL_CTX_set_verify(ctx, o.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return fail(StatusCode::kInternal, "cannot create a TLS session", nullptr);
  const std::string& name = o.server_name.empty() ? host : o.server_name;
  SSL_set_tlsext_host_name(ssl, name.c_str());
  if (o.verify_peer && o.verify_hostname) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, name.c_str()) != 1) {
      return fail(StatusCode::kInternal, "cannot set the host name to verify", ssl);
    }
  }
  SSL_set_fd(ssl, fd);
  while (true) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl);
    if (rc == 1) break;
    const int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!WaitFd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        return fail(StatusCode::kUnavailable, "TLS handshake with " + host + " timed out", ssl);
      }
      continue;
    }
    std::string why = SslErrorText();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      why = std::string("certificate verification failed: ") +
            X509_verify_cert_error_string(verify);
    } else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
      why = "the server closed the connection during the handshake (is it a TLS port? does it "
            "require a client certificate?)";
    }
    return fail(StatusCode::kUnavailable, "TLS handshake with " + host + " failed: " + why, ssl);
  }
  return std::unique_ptr<Connection>(std::make_unique<TlsConnection>(fd, ctx, ssl));
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& host, int port,
                                                     const TlsOptions& tls, TimeMicros timeout,
                                                     bool quick_ack) {
  const TimeMicros deadline = SystemClock::Instance().Monotonic() + timeout;
  EF_ASSIGN_OR_RETURN(int fd, ConnectTcp(host, port, deadline));
  if (!tls.enabled) {
    return std::unique_ptr<Connection>(std::make_unique<PlainConnection>(fd, quick_ack));
  }
  return OpenTls(fd, host, tls, deadline);
}

}  // namespace edgeflow
