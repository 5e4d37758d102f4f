// CoapServer: the libcoap side of the `coap` source. Owns the libcoap
// context and the I/O thread that runs it; answers every request on that
// thread and hands accepted payloads to the executor through a MessageInbox.
//
// Per request, on the I/O thread:
//   * duplicates (same peer and message id within EXCHANGE_LIFETIME; libcoap
//     4.3 hands retransmitted CON requests to the handler again) get the
//     first answer again and are not handed over twice;
//   * path, method, Content-Format and size are checked (4.04, 4.05, 4.15,
//     4.13); Block1 transfers are assembled here, bounded by max_body and
//     max_block_transfers;
//   * the body is decoded into a scratch batch by a validating decoder of
//     its own, only to choose 2.04 or 4.00 (with the reason and an excerpt
//     as diagnostic payload); the raw body is then handed over and decoded
//     again in Poll on the executor thread, where rejects reach the dead
//     letters. Decoding twice costs CPU, but lets a device learn at once
//     that its payload is bad, while the pipeline's state is only touched on
//     the executor thread;
//   * rejected bodies (4.04 on POST/PUT, 4.13, 4.15) are handed over as
//     excerpts tagged with the reason, so they too reach the dead letters.
// When the inbox is full the answer is 5.03 with Max-Age.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"
#include "connectors/coap/coap_codes.h"
#include "connectors/coap/coap_config.h"
#include "connectors/common/message_inbox.h"

namespace edgeflow {

// What InboxMessage::tag carries from the I/O thread to Poll.
enum class CoapMessageKind : uint8_t { kJson, kSenml, kRejected };
uint64_t PackCoapTag(CoapMessageKind kind, CoapOutcome outcome = CoapOutcome::kChanged);
CoapMessageKind CoapTagKind(uint64_t tag);
CoapOutcome CoapTagOutcome(uint64_t tag);

struct CoapServerMetrics {
  Counter* bytes_in = nullptr;                         // payload bytes received
  Counter* duplicates = nullptr;                       // retransmissions answered again
  Counter* dtls_failures = nullptr;                    // DTLS: unknown identities, DTLS errors
  std::array<Counter*, kCoapOutcomeCount> requests{};  // by response code
  // dropped{reason} of the transport rejections (null where none).
  std::array<Counter*, kCoapOutcomeCount> dropped{};
  // dropped{reason} of a decode reason, for a bad body that could not be
  // handed over (the inbox was full); may create the counter.
  std::function<Counter*(DecodeReason)> decode_dropped;
};

class CoapServer {
 public:
  CoapServer(const CoapConfig& config, MessageInbox* inbox, CoapServerMetrics metrics,
             std::string id, const Clock* clock);
  ~CoapServer();
  CoapServer(const CoapServer&) = delete;
  CoapServer& operator=(const CoapServer&) = delete;

  // Binds the endpoint and starts the I/O thread.
  Status Start();
  // Stops and joins the I/O thread and frees the libcoap context.
  void Stop();

 private:
  struct State;  // libcoap objects and everything only the I/O thread touches
  void Run();

  const CoapConfig& config_;
  const std::string id_;
  std::unique_ptr<State> state_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
};

}  // namespace edgeflow
