// The `serial` source: reads lines from a serial device (RS-232/RS-485
// adapters, USB CDC devices, pseudo-terminals) and decodes each line as
// csv, json or kv into events.
//
// The device is opened non-blocking (termios raw mode) and read in Poll on
// the executor thread: no thread of its own. A partial line is kept until its
// end arrives; lines longer than `max_line` are rejected as `too_large` and
// the source resynchronises at the next line end. When the device
// disappears (read error, hang-up, missing path) the source logs once,
// closes it and retries opening it with backoff, counting `reopens`; a
// device absent at start-up is not an error. docs/sources/serial.md is the
// user reference.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef SerialSourceDef();

}  // namespace edgeflow
