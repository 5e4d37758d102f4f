#include "model/symbol.h"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/check.h"

namespace edgeflow {
namespace {

// Names are stored in fixed-size chunks that never move, published through
// atomic pointers so Name() needs no lock.
constexpr size_t kChunkBits = 12;
constexpr size_t kChunkSize = size_t{1} << kChunkBits;
constexpr size_t kMaxChunks = 4096;  // 16M symbols

struct Chunk {
  std::array<std::string, kChunkSize> names;
};

struct Table {
  std::mutex mu;
  std::unordered_map<std::string_view, uint32_t> ids;  // keys point into chunks
  std::array<std::atomic<Chunk*>, kMaxChunks> chunks{};
  std::atomic<uint32_t> count{1};  // id 0 is the empty name

  Table() {
    chunks[0].store(new Chunk(), std::memory_order_release);  // NOLINT: owned until exit
  }
};

Table& GetTable() {
  static Table* table = new Table();  // never destroyed: symbols outlive static teardown
  return *table;
}

}  // namespace

Symbol Symbol::Intern(std::string_view name) {
  if (name.empty()) return Symbol();
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  auto it = t.ids.find(name);
  if (it != t.ids.end()) return FromId(it->second);
  const uint32_t id = t.count.load(std::memory_order_relaxed);
  const size_t chunk_index = id >> kChunkBits;
  CHECK(chunk_index < kMaxChunks) << "symbol table full";
  Chunk* chunk = t.chunks[chunk_index].load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new Chunk();  // NOLINT: owned until exit
    t.chunks[chunk_index].store(chunk, std::memory_order_release);
  }
  std::string& slot = chunk->names[id & (kChunkSize - 1)];
  slot.assign(name);
  t.ids.emplace(std::string_view(slot), id);
  t.count.store(id + 1, std::memory_order_release);
  return FromId(id);
}

Symbol Symbol::Find(std::string_view name) {
  if (name.empty()) return Symbol();
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  auto it = t.ids.find(name);
  return it == t.ids.end() ? Symbol() : FromId(it->second);
}

std::string_view Symbol::name() const {
  if (id_ == 0) return {};
  Table& t = GetTable();
  Chunk* chunk = t.chunks[id_ >> kChunkBits].load(std::memory_order_acquire);
  return chunk->names[id_ & (kChunkSize - 1)];
}

size_t Symbol::Count() { return GetTable().count.load(std::memory_order_acquire) - 1; }

}  // namespace edgeflow
