#include "connectors/codec/json_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "connectors/codec/symbol_cache.h"

namespace edgeflow {
namespace {

namespace ondemand = simdjson::ondemand;

static_assert(JsonDecoder::kPadding >= simdjson::SIMDJSON_PADDING, "kPadding must cover simdjson's padding");

enum class KeyRole : uint8_t { kField, kTime, kDevice, kTags };

// What a (flattened) key means for the decoder, resolved once per name.
struct KeyInfo {
  std::string name;
  Symbol symbol;
  KeyRole role = KeyRole::kField;
  DeclaredType type = DeclaredType::kAny;
  bool valid = false;
  bool plain = false;  // the name holds no backslash or quote (see the key fast path)
};

// Keys are first looked up by their position in the object: records of one
// stream nearly always carry the same keys in the same order, so this is one
// short memcmp per key. Other keys go through a direct-mapped table.
constexpr size_t kMaxPositions = 64;
constexpr size_t kKeyTableSlots = 256;  // power of two

std::string_view TrimJsonSpace(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                        s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

class JsonDecoder::Impl {
 public:
  explicit Impl(JsonDecoderOptions options)
      : options_(std::move(options)),
        parser_(std::max<size_t>(options_.max_bytes, 4096)),
        positions_(kMaxPositions),
        key_table_(kKeyTableSlots),
        devices_(65536),
        tag_names_(1024) {
    path_.reserve(256);
#ifdef SIMDJSON_THREADS_ENABLED
    stream_parser_.threaded = false;  // no stage-1 thread: one core per decoder
#endif
    if (!options_.default_device.empty()) {
      default_device_ = Symbol::Intern(options_.default_device);
    }
  }

  const JsonDecoderOptions& options() const { return options_; }

  void set_default_device(Symbol device) { default_device_ = device; }

  DecodeResult Decode(std::string_view payload, size_t readable, TimeMicros now, Batch& out,
                      const RejectFn& on_reject) {
    DecodeResult result;
    if (payload.size() > options_.max_bytes) {
      Reject(result, DecodeReason::kTooLarge, payload, on_reject);
      return result;
    }
    const char* data = payload.data();
    if (readable < payload.size() + kPadding) data = CopyToScratch(payload);

    const size_t start = out.size();
    pending_rejects_.clear();
    const DecodeReason reason = DecodeDocument(data, payload.size(), now, out, result);
    if (reason != DecodeReason::kAccepted) {
      // The document as a whole is rejected: drop what it produced.
      while (out.size() > start) out.PopBack();
      result.accepted = 0;
      result.fields_dropped = 0;
      Reject(result, reason, payload, on_reject);
      return result;
    }
    for (DecodeReason r : pending_rejects_) Reject(result, r, payload, on_reject);
    return result;
  }

  // DecodeLines on a padded copy of `buffer` (excerpts then point into the
  // copy, which is valid until the next call).
  DecodeResult DecodeLinesCopy(std::string_view buffer, TimeMicros now, Batch& out,
                               const RejectFn& on_reject, size_t max_events, size_t* consumed) {
    const char* copy = CopyToScratch(buffer);
    return DecodeLines(std::string_view(copy, buffer.size()), buffer.size() + kPadding, now, out,
                       on_reject, max_events, consumed);
  }

  // Newline-delimited JSON: a stream of documents parsed with iterate_many
  // (one stage-1 pass over many lines), checked to be exactly one document
  // per line; anything unusual (a parse error, two documents on a line, a
  // document spanning lines, a line longer than a window) switches to
  // line-by-line decoding for the rest of the call, so results are the same
  // as decoding each line alone.
  DecodeResult DecodeLines(std::string_view buffer, size_t readable, TimeMicros now, Batch& out,
                           const RejectFn& on_reject, size_t max_events, size_t* consumed) {
    DecodeResult total;
    const char* const data = buffer.data();
    const size_t size = buffer.size();
    size_t pos = 0;
    // iterate_many parses in place: it needs the padding after the buffer.
    bool streaming = readable >= size + kPadding;
    while (pos < size && total.accepted < max_events) {
      if (streaming) {
        size_t used = 0;
        streaming = DecodeStream(data + pos, size - pos, readable - pos, now, out, on_reject,
                                 max_events, used, total);
        pos += used;
        continue;
      }
      const char* line_begin = data + pos;
      const char* newline = static_cast<const char*>(std::memchr(line_begin, '\n', size - pos));
      const size_t line_size = newline ? static_cast<size_t>(newline - line_begin) : size - pos;
      pos = newline ? pos + line_size + 1 : size;
      std::string_view line(line_begin, line_size);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (IsBlank(line)) continue;
      const size_t line_readable =
          readable >= static_cast<size_t>(line_begin - data) ? readable - (line_begin - data) : 0;
      Add(total, Decode(line, line_readable, now, out, on_reject));
    }
    if (consumed != nullptr) *consumed = pos;
    return total;
  }

 private:
  static void Add(DecodeResult& total, const DecodeResult& r) {
    total.accepted += r.accepted;
    total.rejected += r.rejected;
    total.fields_dropped += r.fields_dropped;
    if (!r.ok()) {
      total.reason = r.reason;
      total.excerpt = r.excerpt;
    }
  }

  // Whether the document starting at `start` is alone on its line, given
  // where the next one starts (`next`; `size` at the end): the first line
  // break after `start` must come before `next`, with only white space
  // between them. (A document spanning lines has its own bytes after its
  // first line break; a second document on the line starts before it.)
  static bool AloneOnLine(const char* data, size_t size, size_t start, size_t next,
                          size_t* line_end) {
    const char* newline = static_cast<const char*>(std::memchr(data + start, '\n', next - start));
    if (newline == nullptr) {
      *line_end = size;
      return next == size;  // the last line, without a line break
    }
    *line_end = static_cast<size_t>(newline - data);
    for (const char* c = newline + 1; c < data + next; ++c) {
      if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\n') return false;
    }
    return true;
  }

  // Decodes whole lines from the start of [data, data + size) with one
  // iterate_many pass over a window of them. Sets `used` to the bytes of the
  // lines fully handled. Returns false when the rest must be decoded line
  // by line (from `used` on).
  bool DecodeStream(const char* data, size_t size, size_t readable, TimeMicros now, Batch& out,
                    const RejectFn& on_reject, size_t max_events, size_t& used,
                    DecodeResult& total) {
    used = 0;
    // The window: about what max_events lines need (from the mean line
    // size so far), cut after a line break, at most kStreamWindow bytes.
    const size_t wanted = max_events - total.accepted;
    const double estimate = mean_line_bytes_ * static_cast<double>(wanted) * 1.1 + 256;
    size_t window = size;
    const size_t limit = std::min(size, kStreamWindow);
    const size_t cut = std::min(static_cast<size_t>(std::min(estimate, 1e15)), limit);
    if (cut < size) {
      // The first line break from `cut` on (within the limit), else the last
      // one before it.
      const char* newline = static_cast<const char*>(std::memchr(data + cut, '\n', limit - cut));
      if (newline == nullptr) newline = static_cast<const char*>(::memrchr(data, '\n', cut));
      if (newline == nullptr) return false;  // one line longer than a window
      window = static_cast<size_t>(newline - data) + 1;
    }
    input_end_ = data + readable;

    ondemand::document_stream stream;
    if (stream_parser_.iterate_many(data, window, kStreamWindow).get(stream)) return false;
    size_t docs = 0;
    // The document decoded but not yet known to be alone on its line.
    bool pending = false;
    size_t pending_start = 0;
    size_t pending_mark = 0;
    DecodeResult pending_result;
    auto settle = [&](size_t next) -> bool {
      size_t line_end = 0;
      if (!AloneOnLine(data, window, pending_start, next, &line_end)) {
        while (out.size() > pending_mark) out.PopBack();
        pending = false;
        return false;
      }
      // The whole line, as line-by-line decoding sees it: from after the
      // previous line break, without the "\r".
      size_t line_begin = pending_start;
      while (line_begin > used && data[line_begin - 1] != '\n') --line_begin;
      size_t line_size = line_end - line_begin;
      if (line_size > 0 && data[line_end - 1] == '\r') --line_size;
      const std::string_view line(data + line_begin, line_size);
      DecodeResult committed = pending_result;
      if (line.size() > options_.max_bytes) {
        while (out.size() > pending_mark) out.PopBack();
        committed = DecodeResult();
        pending_rejects_.assign(1, DecodeReason::kTooLarge);
      }
      for (DecodeReason r : pending_rejects_) Reject(committed, r, line, on_reject);
      Add(total, committed);
      pending = false;
      used = std::min(line_end + 1, window);
      ++docs;
      return true;
    };
    auto it = stream.begin();
    for (; it != stream.end(); ++it) {
      const size_t start = it.current_index();
      if (pending && !settle(start)) return false;
      if (total.accepted >= max_events) break;
      auto doc_result = *it;
      if (doc_result.error()) return false;
      ondemand::document_reference doc = std::move(doc_result).value_unsafe();
      pending = true;
      pending_start = start;
      pending_mark = out.size();
      pending_result = DecodeResult();
      pending_rejects_.clear();
      const DecodeReason reason = DecodeRoot(doc, now, out, pending_result);
      if (reason == DecodeReason::kMalformedJson) {
        while (out.size() > pending_mark) out.PopBack();
        return false;
      }
      if (reason != DecodeReason::kAccepted) {
        while (out.size() > pending_mark) out.PopBack();
        pending_result = DecodeResult();
        pending_rejects_.assign(1, reason);  // the document as a whole
      }
    }
    if (pending) {
      if (it != stream.end() || stream.truncated_bytes() != 0) {
        while (out.size() > pending_mark) out.PopBack();
        return false;
      }
      if (!settle(window)) return false;
    }
    if (docs > 0) mean_line_bytes_ = static_cast<double>(used) / static_cast<double>(docs);
    if (used == 0) return false;  // no progress: let line-by-line decoding take it
    return true;
  }

  // The largest window of lines parsed by one iterate_many pass; also the
  // stream parser's fixed capacity (simdjson reallocates when it changes).
  static constexpr size_t kStreamWindow = 128 * 1024;

  // Per-object decoding state.
  struct Record {
    Event* event = nullptr;
    bool has_time = false;
    TimeMicros time = 0;
    bool has_device = false;
    Symbol device;
    uint32_t fields_dropped = 0;
    uint64_t seen = 0;  // bit (symbol id % 64) of every field added
  };

  // Appends the field, or replaces an earlier one of that name (JSON allows
  // duplicate keys). The `seen` bits skip the search in the common case.
  static void AddField(Record& record, Symbol name, Value value) {
    const uint64_t bit = uint64_t{1} << (name.id() & 63);
    if (record.seen & bit) {
      record.event->Set(name, value);
    } else {
      record.seen |= bit;
      record.event->AppendUnchecked(name, value);
    }
  }

  // Returns kAccepted when the document parsed (its objects may still have
  // been rejected one by one: pending_rejects_), else the document's reason.
  DecodeReason DecodeDocument(const char* data, size_t size, TimeMicros now, Batch& out,
                              DecodeResult& result) {
    input_end_ = data + size + simdjson::SIMDJSON_PADDING;
    ondemand::document doc;
    if (parser_.iterate(data, size, size + simdjson::SIMDJSON_PADDING).get(doc)) {
      return DecodeReason::kMalformedJson;
    }
    const DecodeReason reason = DecodeRoot(doc, now, out, result);
    if (reason != DecodeReason::kAccepted) return reason;
    // Trailing content ({"a":1} {"b":2}): the iterator must be at the end.
    const char* location = nullptr;
    if (doc.current_location().get(location) != simdjson::OUT_OF_BOUNDS) {
      return DecodeReason::kMalformedJson;
    }
    return DecodeReason::kAccepted;
  }

  // The root value of a document (ondemand::document or, in a stream,
  // ondemand::document_reference): an object, or an array of them.
  template <typename Document>
  DecodeReason DecodeRoot(Document& doc, TimeMicros now, Batch& out, DecodeResult& result) {
    ondemand::object object;
    const simdjson::error_code object_error = doc.get_object().get(object);
    ondemand::json_type type = ondemand::json_type::object;
    if (object_error == simdjson::INCORRECT_TYPE) {
      if (doc.type().get(type)) return DecodeReason::kMalformedJson;
    } else if (object_error != simdjson::SUCCESS) {
      return DecodeReason::kMalformedJson;
    }
    if (type == ondemand::json_type::object) {
      const DecodeReason reason = DecodeRecord(object, now, out, result);
      if (reason != DecodeReason::kAccepted) return reason;
    } else if (type == ondemand::json_type::array && options_.allow_arrays) {
      ondemand::array array;
      if (doc.get_array().get(array)) return DecodeReason::kMalformedJson;
      for (auto element_result : array) {
        if (element_result.error()) return DecodeReason::kMalformedJson;
        ondemand::value&& element = std::move(element_result).value_unsafe();
        ondemand::json_type element_type;
        if (element.type().get(element_type)) return DecodeReason::kMalformedJson;
        if (element_type != ondemand::json_type::object) {
          pending_rejects_.push_back(DecodeReason::kNotAnObject);
          continue;  // the array iterator skips the unread element
        }
        ondemand::object object;
        if (element.get_object().get(object)) return DecodeReason::kMalformedJson;
        const DecodeReason reason = DecodeRecord(object, now, out, result);
        if (reason == DecodeReason::kMalformedJson) return reason;
        if (reason != DecodeReason::kAccepted) pending_rejects_.push_back(reason);
      }
    } else {
      return DecodeReason::kNotAnObject;
    }
    return DecodeReason::kAccepted;
  }

  DecodeReason DecodeRecord(ondemand::object& object, TimeMicros now, Batch& out,
                            DecodeResult& result) {
    Record record;
    record.event = &out.Append();
    ordinal_ = 0;
    path_.clear();
    DecodeReason reason = DecodeObject(object, 1, record);
    if (reason == DecodeReason::kAccepted) {
      if (!record.has_time && options_.missing_time == MissingTimePolicy::kReceiveTime) {
        record.has_time = true;
        record.time = now;
      }
      if (!record.has_time) {
        reason = DecodeReason::kMissingTime;
      } else if (!record.has_device) {
        if (default_device_.empty()) {
          reason = DecodeReason::kMissingDevice;
        } else {
          record.device = default_device_;
        }
      }
    }
    if (reason == DecodeReason::kAccepted) reason = CheckTimeRange(options_, record.time, now);
    if (reason != DecodeReason::kAccepted) {
      out.PopBack();
      return reason;
    }
    record.event->time = record.time;
    record.event->device = record.device;
    ++result.accepted;
    result.fields_dropped += record.fields_dropped;
    return DecodeReason::kAccepted;
  }

  // Decodes the members of `object` into `record`; `path_` holds the
  // flattened prefix ("a.b.") when depth > 1.
  DecodeReason DecodeObject(ondemand::object& object, int depth, Record& record) {
    for (auto field_result : object) {
      // Bind to the result's field instead of copying it out with get():
      // the copies cost store-forwarding stalls on the hot path.
      if (field_result.error()) return DecodeReason::kMalformedJson;
      ondemand::field&& field = std::move(field_result).value_unsafe();
      const size_t ordinal = ordinal_++;
      const size_t prefix_size = path_.size();
      const KeyInfo* info = nullptr;
      if (depth == 1 && ordinal < positions_.size()) {
        // Fast path: the key at this position is the one seen there last
        // time. Its raw bytes match and its closing quote follows; a cached
        // name without a backslash or quote cannot match an escaped key.
        const KeyInfo& slot = positions_[ordinal];
        const char* raw = reinterpret_cast<const char*>(field.key().raw());
        const size_t n = slot.name.size();
        if (slot.valid && slot.plain && raw + n < input_end_ && raw[n] == '"' &&
            SymbolCache::Equal(std::string_view(raw, n), slot.name)) {
          info = &slot;
        }
      }
      if (info == nullptr) {
        std::string_view key;
        if (!ReadKey(field, &key)) return DecodeReason::kMalformedJson;
        std::string_view name = key;
        if (depth > 1) {
          path_.append(key);
          name = path_;
        }
        info = &Key(ordinal, name);
        if (info->symbol.empty()) return DecodeReason::kNameLimit;
      }
      const DecodeReason reason = DecodeValue(field.value(), *info, depth, record);
      path_.resize(prefix_size);
      if (reason != DecodeReason::kAccepted) return reason;
    }
    return DecodeReason::kAccepted;
  }

  DecodeReason DecodeValue(ondemand::value& value, const KeyInfo& info, int depth,
                           Record& record) {
    if (info.role == KeyRole::kField && !options_.keep_integers &&
        (info.type == DeclaredType::kAny || info.type == DeclaredType::kNumber)) {
      // Fast path for the usual numeric field: no type() dispatch. On any
      // error (not a number, out of range) the value is still unread and the
      // general path below handles it.
      double d;
      if (value.get_double().get(d) == simdjson::SUCCESS) {
        if (!std::isfinite(d)) return DecodeReason::kNonFinite;
        AddField(record, info.symbol, Value::Double(d));
        return DecodeReason::kAccepted;
      }
    }
    ondemand::json_type type;
    if (value.type().get(type)) return DecodeReason::kMalformedJson;
    switch (type) {
      case ondemand::json_type::number: return DecodeNumber(value, info, record);
      case ondemand::json_type::string: return DecodeString(value, info, record);
      case ondemand::json_type::boolean: return DecodeBool(value, info, record);
      case ondemand::json_type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) || !is_null) return DecodeReason::kMalformedJson;
        return DecodeReason::kAccepted;  // absent
      }
      case ondemand::json_type::object: {
        if (info.role == KeyRole::kTime) return DecodeReason::kBadTime;
        if (info.role == KeyRole::kDevice) return DecodeReason::kMissingDevice;
        if (info.role == KeyRole::kTags && depth == 1) return DecodeTags(value, record);
        if (depth >= options_.max_depth) {
          return options_.strict ? DecodeReason::kUnsupportedValue : DecodeReason::kAccepted;
        }
        ondemand::object child;
        if (value.get_object().get(child)) return DecodeReason::kMalformedJson;
        if (depth == 1) path_.assign(info.name);
        path_.push_back('.');
        return DecodeObject(child, depth + 1, record);
      }
      case ondemand::json_type::array:
        if (info.role == KeyRole::kTime) return DecodeReason::kBadTime;
        if (info.role == KeyRole::kDevice) return DecodeReason::kMissingDevice;
        return options_.strict ? DecodeReason::kUnsupportedValue : DecodeReason::kAccepted;
    }
    return DecodeReason::kMalformedJson;
  }

  DecodeReason DecodeNumber(ondemand::value& value, const KeyInfo& info, Record& record) {
    if (info.role == KeyRole::kDevice) {  // a numeric id: its JSON text
      record.device = devices_.Get(TrimJsonSpace(value.raw_json_token()));
      record.has_device = true;
      return record.device.empty() ? DecodeReason::kNameLimit : DecodeReason::kAccepted;
    }
    bool is_int = false;
    int64_t i = 0;
    double d = 0;
    simdjson::error_code error;
    if (info.role == KeyRole::kTime || options_.keep_integers) {
      ondemand::number number;
      error = value.get_number().get(number);
      if (error == simdjson::SUCCESS) {
        switch (number.get_number_type()) {
          case ondemand::number_type::signed_integer:
            is_int = true;
            i = number.get_int64();
            d = static_cast<double>(i);
            break;
          case ondemand::number_type::unsigned_integer:
            d = static_cast<double>(number.get_uint64());
            break;
          case ondemand::number_type::floating_point_number: d = number.get_double(); break;
        }
      }
    } else {
      error = value.get_double().get(d);  // the common case, and the cheapest
    }
    if (error != simdjson::SUCCESS) {
      // simdjson refuses numbers beyond double range (1e400) and some very
      // long integers: read the token again to tell those apart.
      const std::string_view raw = TrimJsonSpace(value.raw_json_token());
      auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), d);
      if (ec == std::errc::result_out_of_range) {
        return info.role == KeyRole::kTime ? DecodeReason::kBadTime : DecodeReason::kNonFinite;
      }
      if (ec != std::errc() || ptr != raw.data() + raw.size()) return DecodeReason::kMalformedJson;
    }
    switch (info.role) {
      case KeyRole::kTime: {
        const DecodeReason r = is_int ? TimeFromInt(i, options_.time_format, &record.time)
                                      : TimeFromDouble(d, options_.time_format, &record.time);
        record.has_time = r == DecodeReason::kAccepted;
        return r;
      }
      case KeyRole::kDevice:  // handled above
      case KeyRole::kField:
      case KeyRole::kTags: break;
    }
    if (info.type == DeclaredType::kString || info.type == DeclaredType::kBool) {
      return Mismatch(record);
    }
    if (!std::isfinite(d)) return DecodeReason::kNonFinite;
    if (is_int && options_.keep_integers) {
      AddField(record, info.symbol, Value::Int(i));
    } else {
      AddField(record, info.symbol, Value::Double(d));
    }
    return DecodeReason::kAccepted;
  }

  DecodeReason DecodeString(ondemand::value& value, const KeyInfo& info, Record& record) {
    std::string_view s;
    if (!ReadString(value, &s)) return DecodeReason::kMalformedJson;
    switch (info.role) {
      case KeyRole::kTime: {
        const DecodeReason r = TimeFromText(s, options_.time_format, &record.time);
        record.has_time = r == DecodeReason::kAccepted;
        return r;
      }
      case KeyRole::kDevice:
        if (!s.empty()) {  // "" counts as absent
          record.device = devices_.Get(s);
          record.has_device = true;
          if (record.device.empty()) return DecodeReason::kNameLimit;
        }
        return DecodeReason::kAccepted;
      case KeyRole::kField:
      case KeyRole::kTags: break;
    }
    if (info.type == DeclaredType::kNumber) {
      if (IsNonFiniteText(s)) return DecodeReason::kNonFinite;
      return Mismatch(record);
    }
    if (info.type == DeclaredType::kBool) return Mismatch(record);
    AddField(record, info.symbol, record.event->StoreText(s));
    return DecodeReason::kAccepted;
  }

  DecodeReason DecodeBool(ondemand::value& value, const KeyInfo& info, Record& record) {
    bool b = false;
    if (value.get_bool().get(b)) return DecodeReason::kMalformedJson;
    switch (info.role) {
      case KeyRole::kTime: return DecodeReason::kBadTime;
      case KeyRole::kDevice: return DecodeReason::kMissingDevice;
      case KeyRole::kField:
      case KeyRole::kTags: break;
    }
    if (info.type == DeclaredType::kNumber || info.type == DeclaredType::kString) {
      return Mismatch(record);
    }
    AddField(record, info.symbol, Value::Bool(b));
    return DecodeReason::kAccepted;
  }

  DecodeReason DecodeTags(ondemand::value& value, Record& record) {
    ondemand::object tags;
    if (value.get_object().get(tags)) return DecodeReason::kMalformedJson;
    for (auto field_result : tags) {
      if (field_result.error()) return DecodeReason::kMalformedJson;
      ondemand::field&& field = std::move(field_result).value_unsafe();
      std::string_view key;
      if (!ReadKey(field, &key)) return DecodeReason::kMalformedJson;
      ondemand::value& tag = field.value();
      ondemand::json_type type;
      if (tag.type().get(type)) return DecodeReason::kMalformedJson;
      std::string_view text;
      switch (type) {
        case ondemand::json_type::string:
          if (!ReadString(tag, &text)) return DecodeReason::kMalformedJson;
          break;
        case ondemand::json_type::number: {
          text = TrimJsonSpace(tag.raw_json_token());
          double unused;
          if (tag.get_double().get(unused)) return DecodeReason::kMalformedJson;
          break;
        }
        case ondemand::json_type::boolean: {
          bool b;
          if (tag.get_bool().get(b)) return DecodeReason::kMalformedJson;
          text = b ? "true" : "false";
          break;
        }
        case ondemand::json_type::null: {
          bool is_null = false;
          if (tag.is_null().get(is_null) || !is_null) return DecodeReason::kMalformedJson;
          continue;
        }
        case ondemand::json_type::object:
        case ondemand::json_type::array:
          if (options_.strict) return DecodeReason::kUnsupportedValue;
          continue;
      }
      record.event->SetTag(tag_names_.Get(key), text);
    }
    return DecodeReason::kAccepted;
  }

  DecodeReason Mismatch(Record& record) {
    if (options_.on_type_mismatch == TypeMismatchPolicy::kDropField) {
      ++record.fields_dropped;
      return DecodeReason::kAccepted;
    }
    return DecodeReason::kTypeMismatch;
  }

  // A string value's bytes, straight from the input when it holds no escape
  // (the usual case; stage 1 has validated the string and its UTF-8), else
  // unescaped by simdjson. The value is left unconsumed in the fast case:
  // the object iterator skips it.
  static bool ReadString(ondemand::value& value, std::string_view* out) {
    const char* raw = value.raw_json_token().data() + 1;  // after the quote
    size_t n = 0;
    while (raw[n] != '"' && raw[n] != '\\') ++n;
    if (raw[n] == '"') {
      *out = std::string_view(raw, n);
      return true;
    }
    return value.get_string().get(*out) == simdjson::SUCCESS;
  }

  // The key's bytes without unescaping when it holds no escape (the usual
  // case): stage 1 has validated the string, so its closing quote exists.
  static bool ReadKey(ondemand::field& field, std::string_view* key) {
    const char* raw = reinterpret_cast<const char*>(field.key().raw());
    size_t n = 0;
    while (raw[n] != '"' && raw[n] != '\\') ++n;
    if (raw[n] == '"') {
      *key = std::string_view(raw, n);
      return true;
    }
    return field.unescaped_key().get(*key) == simdjson::SUCCESS;
  }

  const KeyInfo& Key(size_t ordinal, std::string_view name) {
    if (ordinal < positions_.size()) {
      KeyInfo& slot = positions_[ordinal];
      if (slot.valid && SymbolCache::Equal(slot.name, name)) return slot;
      slot = Lookup(name);
      return slot;
    }
    return Lookup(name);
  }

  const KeyInfo& Lookup(std::string_view name) {
    KeyInfo& slot = key_table_[SymbolCache::Hash(name) & (kKeyTableSlots - 1)];
    if (slot.valid && SymbolCache::Equal(slot.name, name)) return slot;
    slot.name.assign(name);
    slot.symbol = Symbol::InternData(name);
    if (slot.symbol.empty()) {  // the name table is full: not cached, the record is refused
      slot.valid = false;
      return slot;
    }
    slot.role = KeyRole::kField;
    if (name == options_.time_field) {
      slot.role = KeyRole::kTime;
    } else if (!options_.device_field.empty() && name == options_.device_field) {
      slot.role = KeyRole::kDevice;
    } else if (!options_.tags_field.empty() && name == options_.tags_field) {
      slot.role = KeyRole::kTags;
    }
    auto it = options_.types.find(name);
    slot.type = it == options_.types.end() ? DeclaredType::kAny : it->second;
    slot.valid = true;
    slot.plain = name.find_first_of("\\\"") == std::string_view::npos;
    return slot;
  }

  const char* CopyToScratch(std::string_view payload) {
    const size_t needed = payload.size() + kPadding;
    if (needed > scratch_capacity_) {
      scratch_capacity_ = std::max(needed, scratch_capacity_ * 2);
      scratch_ = std::make_unique<char[]>(scratch_capacity_);
    }
    std::memcpy(scratch_.get(), payload.data(), payload.size());
    std::memset(scratch_.get() + payload.size(), ' ', kPadding);
    return scratch_.get();
  }

  static void Reject(DecodeResult& result, DecodeReason reason, std::string_view payload,
                     const RejectFn& on_reject) {
    result.reason = reason;
    result.excerpt = RecordExcerpt(payload);
    ++result.rejected;
    if (on_reject) on_reject(reason, result.excerpt);
  }

  JsonDecoderOptions options_;
  ondemand::parser parser_;         // one document at a time
  ondemand::parser stream_parser_;  // iterate_many windows
  double mean_line_bytes_ = 256;
  Symbol default_device_;
  std::vector<KeyInfo> positions_;
  std::vector<KeyInfo> key_table_;
  SymbolCache devices_;
  SymbolCache tag_names_;
  size_t ordinal_ = 0;
  const char* input_end_ = nullptr;  // end of the readable bytes of the document
  std::string path_;  // flattened prefix of the object being read
  std::vector<DecodeReason> pending_rejects_;
  std::unique_ptr<char[]> scratch_;
  size_t scratch_capacity_ = 0;
};

JsonDecoder::JsonDecoder(JsonDecoderOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
JsonDecoder::~JsonDecoder() = default;
JsonDecoder::JsonDecoder(JsonDecoder&&) noexcept = default;
JsonDecoder& JsonDecoder::operator=(JsonDecoder&&) noexcept = default;

const JsonDecoderOptions& JsonDecoder::options() const { return impl_->options(); }

void JsonDecoder::SetDefaultDevice(Symbol device) { impl_->set_default_device(device); }

DecodeResult JsonDecoder::Decode(std::string_view payload, TimeMicros now, Batch& out,
                                 const RejectFn& on_reject) {
  return impl_->Decode(payload, payload.size(), now, out, on_reject);
}

DecodeResult JsonDecoder::DecodeInPlace(std::string_view payload, size_t readable, TimeMicros now,
                                        Batch& out, const RejectFn& on_reject) {
  return impl_->Decode(payload, readable, now, out, on_reject);
}

DecodeResult JsonDecoder::DecodeLines(std::string_view buffer, TimeMicros now, Batch& out,
                                      const RejectFn& on_reject, size_t max_events,
                                      size_t* consumed) {
  return impl_->DecodeLinesCopy(buffer, now, out, on_reject, max_events, consumed);
}

DecodeResult JsonDecoder::DecodeLinesInPlace(std::string_view buffer, size_t readable,
                                             TimeMicros now, Batch& out,
                                             const RejectFn& on_reject, size_t max_events,
                                             size_t* consumed) {
  return impl_->DecodeLines(buffer, readable, now, out, on_reject, max_events, consumed);
}

std::vector<ParamDef> JsonDecoderParamDefs() {
  return {
      {"tags_field", "string", "tags",
       "JSON: top-level key whose object becomes the event's tags (\"\" for none).", false},
      {"arrays", "bool", "false",
       "JSON: a document may be an array of objects, one event each.", false},
      {"strict", "bool", "false",
       "JSON: reject records holding arrays or objects nested deeper than max_depth "
       "(`unsupported_value`) instead of skipping those values.",
       false},
      {"max_depth", "int", "4",
       "JSON: nesting levels flattened into dotted field names ({\"a\":{\"b\":1}} gives `a.b`).",
       false},
  };
}

void ParseJsonDecoderOptions(const ConfigNode& config, JsonDecoderOptions* options) {
  options->tags_field = config["tags_field"].String(options->tags_field);
  options->allow_arrays = config["arrays"].Bool(options->allow_arrays);
  options->strict = config["strict"].Bool(options->strict);
  const ConfigNode max_depth = config["max_depth"];
  const int64_t depth = max_depth.Int(options->max_depth);
  if (depth < 1 || depth > 16) {
    max_depth.Error("must be between 1 and 16");
  } else {
    options->max_depth = static_cast<int>(depth);
  }
}

}  // namespace edgeflow
