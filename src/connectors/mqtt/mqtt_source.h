// The `mqtt` source: subscribes to topic filters on a broker and turns each
// message into events with the shared payload decoders (json, senml, csv,
// number, raw, kv). Topic levels can name the device (`device: topic[1]`),
// extra fields (`topic_fields: { line: topic[2] }`) or the value's field
// (`value_field: topic[3]` for bare-number payloads).
//
// The connection runs on its own thread (mqtt::Client); messages cross to
// the executor thread through a MessageInbox and are decoded in Poll, where
// QoS 1/2 messages are acknowledged once decoded, never before. When the
// inbox is full the client stops reading and the broker holds the backlog.
// Bad payloads are counted as dropped{reason=...} and sent to the dead
// letters; messages on topics outside the subscriptions (a persistent
// session's leftovers) or without the levels the mapping needs are
// `unknown_topic`. docs/sources/mqtt.md is the user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef MqttSourceDef();

}  // namespace edgeflow
