#include "connectors/http/ingest_protocol.h"

#include <algorithm>
#include <charconv>

#include "common/json_text.h"
#include "common/text.h"

namespace edgeflow {
namespace {

constexpr std::pair<std::string_view, PayloadFormat> kContentTypes[] = {
    {"application/json", PayloadFormat::kJson},
    {"application/x-ndjson", PayloadFormat::kNdjson},
    {"application/jsonl", PayloadFormat::kNdjson},
    {"application/x-jsonlines", PayloadFormat::kNdjson},
    {"application/senml+json", PayloadFormat::kSenml},
    {"text/csv", PayloadFormat::kCsv},
};

// Types that say nothing about the body's format: the configured one applies.
constexpr std::string_view kUnspecifiedTypes[] = {
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
};

// Appends `s` as a JSON string, each byte that is not valid UTF-8 replaced by
// U+FFFD, so a response about a binary body is still valid JSON.
void AppendSanitizedJsonString(std::string_view s, std::string& out) {
  std::string clean;
  while (!s.empty()) {
    const size_t bad = InvalidUtf8Offset(s);
    if (bad == std::string_view::npos) {
      clean.append(s);
      break;
    }
    clean.append(s.substr(0, bad));
    clean.append("\xEF\xBF\xBD");
    s.remove_prefix(bad + 1);
  }
  AppendJsonString(clean, out);
}

void AppendUint(uint64_t v, std::string& out) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ptr);
}

}  // namespace

std::optional<PayloadFormat> FormatForContentType(std::string_view content_type,
                                                  PayloadFormat configured) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  type = TrimSpaces(type);
  if (type.empty()) return configured;
  for (const auto& [name, format] : kContentTypes) {
    if (EqualsIgnoreCase(type, name)) return format;
  }
  for (std::string_view name : kUnspecifiedTypes) {
    if (EqualsIgnoreCase(type, name)) return configured;
  }
  return std::nullopt;
}

std::string AcceptedContentTypes(PayloadFormat configured) {
  std::string text = "accepted Content-Types: ";
  for (size_t i = 0; i < std::size(kContentTypes); ++i) {
    if (i > 0) text += ", ";
    text += kContentTypes[i].first;
  }
  text += "; without one (or with text/plain) the body is read as ";
  text += PayloadFormatName(configured);
  return text;
}

std::optional<DeviceSpec> ParseDeviceSpec(std::string_view text, std::string* error) {
  DeviceSpec spec;
  if (text.empty()) {
    *error = "must not be empty";
    return std::nullopt;
  }
  if (text.starts_with("path[")) {
    const std::string_view digits = text.substr(5, text.size() - 6);
    size_t index = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (!text.ends_with("]") || digits.empty() || ec != std::errc() ||
        ptr != digits.data() + digits.size() || index > 64) {
      *error = "expected path[N] with N a segment index from 0 to 64, such as path[1]";
      return std::nullopt;
    }
    spec.kind = DeviceSpec::Kind::kPathSegment;
    spec.segment = index;
    return spec;
  }
  if (text.starts_with("query.")) {
    spec.kind = DeviceSpec::Kind::kQuery;
    spec.name = std::string(text.substr(6));
    if (spec.name.empty()) {
      *error = "expected query.NAME, such as query.device";
      return std::nullopt;
    }
    return spec;
  }
  spec.kind = DeviceSpec::Kind::kFixed;
  spec.name = std::string(text);
  return spec;
}

std::string DeviceFromRequest(const DeviceSpec& spec, std::string_view path,
                              const std::multimap<std::string, std::string>& query) {
  switch (spec.kind) {
    case DeviceSpec::Kind::kPayload: return "";
    case DeviceSpec::Kind::kFixed: return spec.name;
    case DeviceSpec::Kind::kQuery: {
      auto it = query.find(spec.name);
      return it == query.end() ? "" : it->second;
    }
    case DeviceSpec::Kind::kPathSegment: {
      size_t index = 0;
      size_t pos = 0;
      while (pos < path.size()) {
        const size_t end = std::min(path.find('/', pos), path.size());
        if (end > pos) {  // empty segments (`//`) do not count
          if (index == spec.segment) return std::string(path.substr(pos, end - pos));
          ++index;
        }
        pos = end + 1;
      }
      return "";
    }
  }
  return "";
}

bool IsIngestPath(const std::vector<std::string>& paths, std::string_view path) {
  for (const std::string& p : paths) {
    std::string_view base = p;
    if (base.size() > 1 && base.back() == '/') base.remove_suffix(1);
    if (path == base) return true;
    if (base == "/") return true;
    if (path.size() > base.size() && path.starts_with(base) && path[base.size()] == '/') {
      return true;
    }
  }
  return false;
}

bool BearerTokenMatches(std::string_view authorization, std::string_view token) {
  authorization = TrimSpaces(authorization);
  if (authorization.size() < 7 || !EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    return false;
  }
  const std::string_view given = TrimSpaces(authorization.substr(7));
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  }
  return diff == 0 && !token.empty();
}

size_t InvalidUtf8Offset(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;  // a continuation byte, C0/C1 or F5..FF
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return std::string_view::npos;
}

void IngestVerdict::Reject(DecodeReason reason, std::string_view excerpt, std::string_view body) {
  ++rejected;
  ++by_reason[static_cast<size_t>(reason)];
  if (errors.size() >= kMaxReported) return;
  RejectedRecord r;
  r.reason = reason;
  r.excerpt = std::string(excerpt);
  // Excerpts of records decoded in place point into the body.
  const auto begin = reinterpret_cast<uintptr_t>(body.data());
  const auto at = reinterpret_cast<uintptr_t>(excerpt.data());
  if (!excerpt.empty() && at >= begin && at < begin + body.size()) {
    r.has_position = true;
    r.offset = at - begin;
    r.line = 1 + static_cast<size_t>(std::count(body.begin(), body.begin() + r.offset, '\n'));
  }
  errors.push_back(std::move(r));
}

int VerdictStatus(const IngestVerdict& verdict) {
  if (verdict.rejected == 0) return 200;
  if (verdict.accepted == 0) return 400;
  return 207;
}

std::string VerdictBody(const IngestVerdict& verdict) {
  std::string out = "{\"accepted\":";
  AppendUint(verdict.accepted, out);
  out += ",\"rejected\":";
  AppendUint(verdict.rejected, out);
  if (verdict.rejected > 0) {
    out += ",\"errors\":[";
    for (size_t i = 0; i < verdict.errors.size(); ++i) {
      const RejectedRecord& r = verdict.errors[i];
      if (i > 0) out.push_back(',');
      out += "{\"reason\":";
      AppendJsonString(DecodeReasonName(r.reason), out);
      out += ",\"message\":";
      AppendJsonString(DecodeReasonMessage(r.reason), out);
      if (r.has_position) {
        out += ",\"line\":";
        AppendUint(r.line, out);
        out += ",\"offset\":";
        AppendUint(r.offset, out);
      }
      out += ",\"excerpt\":";
      AppendSanitizedJsonString(r.excerpt, out);
      out.push_back('}');
    }
    out.push_back(']');
    if (verdict.rejected > verdict.errors.size()) {
      out += ",\"errors_not_shown\":";
      AppendUint(verdict.rejected - verdict.errors.size(), out);
    }
  }
  out += "}\n";
  return out;
}

std::string ErrorBody(std::string_view error, std::string_view message) {
  std::string out = "{\"error\":";
  AppendJsonString(error, out);
  out += ",\"message\":";
  AppendSanitizedJsonString(message, out);
  out += "}\n";
  return out;
}

std::string_view DecodeReasonMessage(DecodeReason reason) {
  switch (reason) {
    case DecodeReason::kAccepted: return "accepted";
    case DecodeReason::kMalformedJson: return "not valid JSON";
    case DecodeReason::kMalformedCsv:
      return "malformed CSV: wrong number of cells, an unterminated quote or a bad header";
    case DecodeReason::kNotAnObject: return "a record is not a JSON object";
    case DecodeReason::kMissingTime: return "no time value";
    case DecodeReason::kBadTime: return "the time value cannot be read";
    case DecodeReason::kTimeOutOfRange: return "the time is too far from the server's clock";
    case DecodeReason::kMissingDevice: return "no device value and no default device";
    case DecodeReason::kNonFinite: return "NaN or infinity where a number is expected";
    case DecodeReason::kTypeMismatch: return "a value does not have its declared type";
    case DecodeReason::kUnsupportedValue: return "an array or too deeply nested object";
    case DecodeReason::kTooLarge: return "the record is larger than max_body";
    case DecodeReason::kMalformedSenml: return "valid JSON but not a SenML pack (RFC 8428)";
    case DecodeReason::kMalformedNumber: return "not a number";
    case DecodeReason::kMalformedKv: return "not key=value pairs";
    case DecodeReason::kInvalidUtf8: return "the body is not valid UTF-8";
    case DecodeReason::kNameLimit:
      return "a new field name or device id, and this node already holds its maximum of names (max_names)";
  }
  return "rejected";
}

}  // namespace edgeflow
