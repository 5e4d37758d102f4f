// The `coap` source: a CoAP server (RFC 7252, libcoap) that takes readings
// POSTed or PUT by devices to configured resource paths, as JSON or SenML
// JSON chosen by the Content-Format option, optionally over DTLS with a
// pre-shared key. The libcoap I/O loop runs on its own thread (CoapServer,
// which answers every request); accepted payloads reach the executor
// through a MessageInbox and are decoded in Poll, where rejected records go
// to the dead letters. docs/sources/coap.md is the user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef CoapSourceDef();

}  // namespace edgeflow
