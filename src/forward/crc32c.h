// CRC32C (Castagnoli): the checksum of outbox records and headers.
//
// Uses the SSE4.2 crc32 instruction when the build targets it (the default
// x86-64-v2 baseline does) and a byte table otherwise; both give the same
// values (RFC 3720 test vectors in crc32c_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeflow {

// Extends `crc` (0 to start) with `size` bytes at `data`.
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace edgeflow
