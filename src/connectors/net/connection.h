// Connection: a client TCP connection, plain or TLS (OpenSSL), for the
// connectors that speak their own protocol over a socket (MQTT).
//
// Open() resolves, connects and (for TLS) completes the handshake within a
// timeout, verifying the server's certificate chain against the CA file (or
// the system store) and its host name by default; a client certificate and
// key give mutual TLS. After Open the socket is non-blocking: Read and Write
// move what they can and say when they would block, so one I/O thread can
// poll() the fd together with its own wake-up fd.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace edgeflow {

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;       // PEM bundle; empty: the system's default store
  std::string cert_file;     // client certificate (mutual TLS)
  std::string key_file;      // its private key
  bool verify_peer = true;   // check the chain (never turn off in production)
  bool verify_hostname = true;
  std::string server_name;   // name to verify and send as SNI; empty: the host
};

// Outcome of a non-blocking Read or Write.
struct IoResult {
  enum Kind { kOk, kWouldBlock, kClosed, kError } kind = kOk;
  size_t bytes = 0;   // moved (kOk only)
  std::string error;  // kError: what failed

  static IoResult Ok(size_t n) { return {kOk, n, {}}; }
  static IoResult WouldBlock() { return {kWouldBlock, 0, {}}; }
  static IoResult Closed() { return {kClosed, 0, {}}; }
  static IoResult Error(std::string what) { return {kError, 0, std::move(what)}; }
};

class Connection {
 public:
  virtual ~Connection() = default;

  // `quick_ack` (plain TCP): acknowledge every read at once (TCP_QUICKACK).
  // A peer that sends small messages with Nagle's algorithm (a broker
  // without TCP_NODELAY) otherwise waits up to 40 ms for our delayed ACK
  // before its next one; the price is one ACK packet per read.
  static Result<std::unique_ptr<Connection>> Open(const std::string& host, int port,
                                                  const TlsOptions& tls, TimeMicros timeout,
                                                  bool quick_ack = false);

  virtual int fd() const = 0;
  virtual IoResult Read(char* buffer, size_t size) = 0;
  virtual IoResult Write(const char* data, size_t size) = 0;
  // Bytes already decrypted and waiting inside the TLS layer: read them
  // before blocking in poll(), which cannot see them.
  virtual bool HasBufferedData() const { return false; }
};

}  // namespace edgeflow
