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
  std::atomic<size_t> max_names{1000000};
  std::atomic<uint64_t> refused{0};

  Table() {
    chunks[0].store(new Chunk(), std::memory_order_release);  // NOLINT: owned until exit
  }
};

Table& GetTable() {
  static Table* table = new Table();  // never destroyed: symbols outlive static teardown
  return *table;
}

Symbol InternLocked(Table& t, std::string_view name, bool bounded) {
  auto it = t.ids.find(name);
  if (it != t.ids.end()) return Symbol::FromId(it->second);
  if (bounded && t.count.load(std::memory_order_relaxed) - 1 >= t.max_names.load(std::memory_order_relaxed)) {
    t.refused.fetch_add(1, std::memory_order_relaxed);
    return Symbol();
  }
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
  return Symbol::FromId(id);
}

}  // namespace

Symbol Symbol::Intern(std::string_view name) {
  if (name.empty()) return Symbol();
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  return InternLocked(t, name, /*bounded=*/false);
}

Symbol Symbol::InternData(std::string_view name) {
  if (name.empty()) return Symbol();
  Table& t = GetTable();
  std::lock_guard lock(t.mu);
  return InternLocked(t, name, /*bounded=*/true);
}

void Symbol::SetMaxNames(size_t max_names) { GetTable().max_names.store(max_names); }
size_t Symbol::MaxNames() { return GetTable().max_names.load(); }
uint64_t Symbol::Refused() { return GetTable().refused.load(); }

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
