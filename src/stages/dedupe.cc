#include "stages/dedupe.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/flat_hash_set.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

// One component of the identity.
struct KeyPart {
  enum class Kind { kDevice, kTime, kTag, kField } kind;
  Symbol name;  // tag or field name
};

struct DedupeConfig {
  std::vector<KeyPart> key;
  bool all_fields = false;  // also hash every field (name and value)
  TimeMicros within = kMicrosPerMinute;
  size_t max_entries = 1000000;
};

// splitmix64's finaliser: a cheap bijective mix with good avalanche.
uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t Combine(uint64_t h, uint64_t v) { return Mix64(h ^ Mix64(v + 0x9e3779b97f4a7c15ULL)); }

// FNV-1a over the bytes, then mixed (FNV alone mixes its high bits poorly).
uint64_t HashText(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

// Type tags keep e.g. a missing field, the text "1" and the number 1 apart.
enum : uint64_t { kTagMissing = 1, kTagNull, kTagBool, kTagNumber, kTagInt, kTagText };

// Equal numbers hash equally whether they arrived as int or double (1 and
// 1.0), as do 0 and -0, and every NaN.
uint64_t HashValue(const Event& e, const Value* v) {
  if (v == nullptr) return kTagMissing;
  switch (v->type) {
    case ValueType::kNull: return kTagNull;
    case ValueType::kBool: return Combine(kTagBool, v->b ? 1 : 0);
    case ValueType::kString: return Combine(kTagText, HashText(e.Text(*v)));
    case ValueType::kInt: {
      const auto d = static_cast<double>(v->i);
      // Beyond 2^53 an int may not survive the trip through double.
      if (d >= 0x1p63 || static_cast<int64_t>(d) != v->i) {
        return Combine(kTagInt, static_cast<uint64_t>(v->i));
      }
      return Combine(kTagNumber, std::bit_cast<uint64_t>(d == 0 ? 0.0 : d));
    }
    case ValueType::kDouble: {
      double d = v->d;
      if (d == 0) d = 0;  // -0 == 0
      if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
      return Combine(kTagNumber, std::bit_cast<uint64_t>(d));
    }
  }
  return kTagMissing;
}

class DedupeStage final : public Stage {
 public:
  DedupeStage(DedupeConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        duplicate_(ctx.counters.Dropped("duplicate")),
        evicted_(ctx.counters.registry->GetCounter(
            "state_evicted", ctx.counters.labels,
            "remembered state forgotten early to respect a memory bound")) {}

  void Process(Batch& batch, Emitter& out) override {
    batch.Retain([this](const Event& e) { return Admit(e); });
    if (!batch.empty()) out.Emit(batch);
  }

  void OnWatermark(TimeMicros watermark, Emitter&) override {
    if (watermark < std::numeric_limits<TimeMicros>::min() + c_.within) return;
    const TimeMicros horizon = watermark - c_.within;
    while (!by_time_.empty() && by_time_.front().time < horizon) PopOldest();
  }

 private:
  struct Entry {
    TimeMicros time;
    uint64_t hash;
  };
  // std::*_heap build a max-heap; ordering by "later" puts the oldest on top.
  static bool Later(const Entry& a, const Entry& b) { return a.time > b.time; }

  bool Admit(const Event& e) {
    const uint64_t h = Identity(e);
    if (seen_.contains(h)) {
      duplicate_->Add();
      return false;
    }
    if (seen_.size() >= c_.max_entries) {
      PopOldest();
      evicted_->Add();
    }
    seen_.insert(h);
    by_time_.push_back({e.time, h});
    std::push_heap(by_time_.begin(), by_time_.end(), Later);
    return true;
  }

  void PopOldest() {
    std::pop_heap(by_time_.begin(), by_time_.end(), Later);
    seen_.erase(by_time_.back().hash);
    by_time_.pop_back();
  }

  uint64_t Identity(const Event& e) const {
    uint64_t h = 0;
    for (const KeyPart& part : c_.key) {
      switch (part.kind) {
        case KeyPart::Kind::kDevice: h = Combine(h, e.device.id()); break;
        case KeyPart::Kind::kTime: h = Combine(h, static_cast<uint64_t>(e.time)); break;
        case KeyPart::Kind::kTag: {
          const std::optional<std::string_view> tag = e.Tag(part.name);
          h = Combine(h, tag ? Combine(kTagText, HashText(*tag)) : kTagMissing);
          break;
        }
        case KeyPart::Kind::kField: h = Combine(h, HashValue(e, e.Find(part.name))); break;
      }
    }
    if (c_.all_fields) {
      // Order-independent (a sum), so the same fields in another order match.
      uint64_t sum = e.fields().size();
      for (const Field& f : e.fields()) sum += Combine(f.name.id(), HashValue(e, &f.value));
      h = Combine(h, sum);
    }
    return h;
  }

  DedupeConfig c_;
  Counter* duplicate_;
  Counter* evicted_;
  // Each remembered identity is in both: the set answers "seen?", the heap
  // (ordered by event time, oldest on top) says what to forget first. A hash
  // is only inserted when absent, so each set entry has exactly one heap
  // entry. A heap rather than a deque because events arrive out of order.
  FlatHashSet64 seen_;
  std::vector<Entry> by_time_;
};

std::optional<DedupeConfig> ParseConfig(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  DedupeConfig c;
  const ConfigNode key = cfg["key"];
  const std::vector<std::string> names =
      key.defined() ? key.StringList() : std::vector<std::string>{"device", "time"};
  if (key.defined() && names.empty()) key.Error("list at least one key part", "e.g. [device, time]");
  for (const std::string& name : names) {
    if (name == "device") {
      c.key.push_back({KeyPart::Kind::kDevice, Symbol()});
    } else if (name == "time") {
      c.key.push_back({KeyPart::Kind::kTime, Symbol()});
    } else if (name.rfind("tags.", 0) == 0 && name.size() > 5) {
      c.key.push_back({KeyPart::Kind::kTag, Symbol::Intern(name.substr(5))});
    } else {
      CheckFieldKnown(ctx, key, name);
      c.key.push_back({KeyPart::Kind::kField, Symbol::Intern(name)});
    }
  }
  const ConfigNode fields = cfg["fields"];
  if (fields.is_scalar() && fields.yaml().Scalar() == "all") {
    c.all_fields = true;
  } else {
    for (const std::string& name : fields.StringList()) {
      CheckFieldKnown(ctx, fields, name);
      c.key.push_back({KeyPart::Kind::kField, Symbol::Intern(name)});
    }
  }
  c.within = cfg["within"].Duration(kMicrosPerMinute);
  if (c.within <= 0) cfg["within"].Error("must be > 0");
  const int64_t max_entries = cfg["max_entries"].Int(1000000);
  if (max_entries <= 0) cfg["max_entries"].Error("must be > 0");
  c.max_entries = static_cast<size_t>(std::max<int64_t>(max_entries, 1));
  ctx.output_schema = ctx.input_schema;
  return c;
}

}  // namespace

ComponentDef DedupeStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "dedupe";
  def.summary = "Drops duplicate events (same device and time, optionally same values).";
  def.description =
      "An event's identity is its `key` parts plus the values of `fields`. The stage remembers "
      "each identity it passed and drops later events with the same identity, counted as "
      "`dropped{reason=\"duplicate\"}`. Numbers compare by value (1 and 1.0 are equal), a "
      "missing field differs from every value. An identity is forgotten when the watermark "
      "passes its event time by more than `within`, so a duplicate arriving later than that "
      "passes; without watermarks only `max_entries` bounds the memory, and the oldest "
      "identities are forgotten first (counted as `state_evicted`). Identities are kept as "
      "64-bit hashes: a collision, which drops a distinct event, has a probability of about "
      "n^2 / 2^65 for n remembered identities (3e-8 for a million).";
  def.params = {
      {"key", "list of string", "[device, time]",
       "Identity parts: `device`, `time`, `tags.NAME` or field names.", false},
      {"fields", "list of string, or all", "",
       "Fields whose values must also be equal; `all`: every field (names and values, in any "
       "order).",
       false},
      {"within", "duration", "1m",
       "How far behind the watermark an identity is remembered (event time).", false},
      {"max_entries", "integer", "1000000",
       "Bound on remembered identities; the oldest are forgotten beyond it.", false},
  };
  def.example = "dedupe: { key: [device, time], fields: [seq], within: 5m }";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto config = ParseConfig(ctx);
    if (!config || !ctx.ok()) return nullptr;
    return std::make_unique<DedupeStage>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
