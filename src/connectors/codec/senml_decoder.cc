#include "connectors/codec/senml_decoder.h"

#include <simdjson.h>

#include <cmath>
#include <string>

#include "connectors/codec/symbol_cache.h"

namespace edgeflow {
namespace {

namespace dom = simdjson::dom;

static_assert(SenmlDecoder::kPadding >= simdjson::SIMDJSON_PADDING,
              "kPadding must cover simdjson's padding");

// RFC 8428 section 4.5.3: times below 2^28 seconds are relative to now.
constexpr double kRelativeTimeLimit = 268435456.0;

// Separators a base name conventionally ends with before the reading's name.
bool IsNameSeparator(char c) { return c == ':' || c == '/' || c == '.' || c == '-' || c == '_'; }

// One record after base values are applied.
struct Reading {
  std::string_view base_name;
  std::string_view name;
  double time_seconds = 0;  // resolved, absolute or relative
  enum class Kind { kNumber, kString, kBool } kind = Kind::kNumber;
  double number = 0;
  std::string_view text;
  bool flag = false;
};

// Base values in force while walking a pack.
struct Base {
  std::string_view name;
  double time = 0;
  double value = 0;
  double sum = 0;
};

}  // namespace

class SenmlDecoder::Impl {
 public:
  explicit Impl(DecodeOptions options) : options_(std::move(options)) {
    if (!options_.default_device.empty()) default_device_ = Symbol::Intern(options_.default_device);
  }

  void set_default_device(Symbol device) { default_device_ = device; }

  DecodeResult Decode(std::string_view payload, size_t readable, TimeMicros now, Batch& out,
                      const RejectFn& on_reject) {
    DecodeResult result;
    DecodeReason reason = DecodeReason::kAccepted;
    const size_t start = out.size();
    if (payload.size() > options_.max_bytes) {
      reason = DecodeReason::kTooLarge;
    } else {
      reason = DecodePack(payload, readable, now, out);
    }
    if (reason != DecodeReason::kAccepted) {
      while (out.size() > start) out.PopBack();
      result.reason = reason;
      result.excerpt = RecordExcerpt(payload);
      result.rejected = 1;
      if (on_reject) on_reject(reason, result.excerpt);
      return result;
    }
    result.accepted = static_cast<uint32_t>(out.size() - start);
    return result;
  }

 private:
  DecodeReason DecodePack(std::string_view payload, size_t readable, TimeMicros now, Batch& out) {
    dom::element root;
    simdjson::error_code error;
    if (readable >= payload.size() + simdjson::SIMDJSON_PADDING) {
      error = parser_.parse(payload.data(), payload.size(), false).get(root);
    } else {
      error = parser_.parse(payload.data(), payload.size(), true).get(root);
    }
    if (error) return DecodeReason::kMalformedJson;
    dom::array records;
    if (root.is_object()) {
      // A single record not wrapped in an array: accepted for convenience.
      return DecodeRecords(&root, nullptr, now, out);
    }
    if (root.get_array().get(records)) return DecodeReason::kMalformedSenml;
    return DecodeRecords(nullptr, &records, now, out);
  }

  DecodeReason DecodeRecords(const dom::element* single, const dom::array* records, TimeMicros now,
                             Batch& out) {
    Base base;
    Event* event = nullptr;
    std::string_view event_base;
    TimeMicros event_time = 0;
    const auto visit = [&](dom::element element) -> DecodeReason {
      Reading reading;
      if (DecodeReason r = ReadRecord(element, base, &reading); r != DecodeReason::kAccepted) {
        return r;
      }
      TimeMicros time = 0;
      if (DecodeReason r = ResolveTime(reading.time_seconds, now, &time);
          r != DecodeReason::kAccepted) {
        return r;
      }
      if (event == nullptr || time != event_time || reading.base_name != event_base) {
        Symbol device = default_device_;
        std::string_view b = reading.base_name;
        while (!b.empty() && IsNameSeparator(b.back())) b.remove_suffix(1);
        if (!b.empty()) {
          device = devices_.Get(b);
          if (device.empty()) return DecodeReason::kNameLimit;
        }
        if (device.empty()) return DecodeReason::kMissingDevice;
        if (DecodeReason r = CheckTimeRange(options_, time, now); r != DecodeReason::kAccepted) {
          return r;
        }
        event = &out.Append();
        event->time = time;
        event->device = device;
        event_time = time;
        event_base = reading.base_name;
      }
      const Symbol field = names_.Get(reading.name.empty() ? std::string_view("value") : reading.name);
      if (field.empty()) return DecodeReason::kNameLimit;
      switch (reading.kind) {
        case Reading::Kind::kNumber: event->SetDouble(field, reading.number); break;
        case Reading::Kind::kString: event->SetString(field, reading.text); break;
        case Reading::Kind::kBool: event->SetBool(field, reading.flag); break;
      }
      return DecodeReason::kAccepted;
    };
    if (single != nullptr) return visit(*single);
    for (dom::element element : *records) {
      if (DecodeReason r = visit(element); r != DecodeReason::kAccepted) return r;
    }
    return DecodeReason::kAccepted;
  }

  // Reads one record, updating `base` with its base fields.
  static DecodeReason ReadRecord(dom::element element, Base& base, Reading* reading) {
    dom::object record;
    if (element.get_object().get(record)) return DecodeReason::kMalformedSenml;
    std::string_view name;
    double time = 0;
    int values = 0;
    bool has_sum = false;
    double sum = 0;
    for (dom::key_value_pair field : record) {
      const std::string_view key = field.key;
      const dom::element v = field.value;
      bool ok = true;
      if (key == "bn") {
        ok = !v.get_string().get(base.name);
      } else if (key == "bt") {
        ok = !v.get_double().get(base.time);
      } else if (key == "bv") {
        ok = !v.get_double().get(base.value);
      } else if (key == "bs") {
        ok = !v.get_double().get(base.sum);
      } else if (key == "bu" || key == "u") {
        ok = v.is_string();
      } else if (key == "bver" || key == "ut") {
        ok = v.is_number();
      } else if (key == "n") {
        ok = !v.get_string().get(name);
      } else if (key == "t") {
        ok = !v.get_double().get(time);
      } else if (key == "v") {
        ++values;
        reading->kind = Reading::Kind::kNumber;
        ok = !v.get_double().get(reading->number);
      } else if (key == "vs" || key == "vd") {
        ++values;
        reading->kind = Reading::Kind::kString;
        ok = !v.get_string().get(reading->text);
      } else if (key == "vb") {
        ++values;
        reading->kind = Reading::Kind::kBool;
        ok = !v.get_bool().get(reading->flag);
      } else if (key == "s") {
        has_sum = true;
        ok = !v.get_double().get(sum);
      } else if (!key.empty() && key.back() == '_') {
        ok = false;  // a mandatory extension this decoder does not know
      }
      if (!ok) return DecodeReason::kMalformedSenml;
    }
    if (values > 1 || (values == 0 && !has_sum)) return DecodeReason::kMalformedSenml;
    if (values == 0) {
      reading->kind = Reading::Kind::kNumber;
      reading->number = base.sum + sum;
    } else if (reading->kind == Reading::Kind::kNumber) {
      reading->number += base.value;
    }
    if (base.name.empty() && name.empty()) return DecodeReason::kMalformedSenml;
    if (!std::isfinite(reading->number)) return DecodeReason::kNonFinite;
    reading->base_name = base.name;
    reading->name = name;
    reading->time_seconds = base.time + time;
    return DecodeReason::kAccepted;
  }

  static DecodeReason ResolveTime(double seconds, TimeMicros now, TimeMicros* out) {
    if (!std::isfinite(seconds)) return DecodeReason::kBadTime;
    const double micros = seconds * 1e6;
    if (!(std::fabs(micros) < 9e18)) return DecodeReason::kBadTime;
    if (seconds < kRelativeTimeLimit) {
      *out = now + static_cast<TimeMicros>(std::llround(micros));
    } else {
      *out = static_cast<TimeMicros>(std::llround(micros));
    }
    return DecodeReason::kAccepted;
  }

  DecodeOptions options_;
  Symbol default_device_;
  dom::parser parser_;
  SymbolCache devices_;
  SymbolCache names_;
};

SenmlDecoder::SenmlDecoder(DecodeOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
SenmlDecoder::~SenmlDecoder() = default;
SenmlDecoder::SenmlDecoder(SenmlDecoder&&) noexcept = default;
SenmlDecoder& SenmlDecoder::operator=(SenmlDecoder&&) noexcept = default;

void SenmlDecoder::SetDefaultDevice(Symbol device) { impl_->set_default_device(device); }

DecodeResult SenmlDecoder::Decode(std::string_view payload, TimeMicros now, Batch& out,
                                  const RejectFn& on_reject) {
  return impl_->Decode(payload, payload.size(), now, out, on_reject);
}

DecodeResult SenmlDecoder::DecodeInPlace(std::string_view payload, size_t readable, TimeMicros now,
                                         Batch& out, const RejectFn& on_reject) {
  return impl_->Decode(payload, readable, now, out, on_reject);
}

}  // namespace edgeflow
