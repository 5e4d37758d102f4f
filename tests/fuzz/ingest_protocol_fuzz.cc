// Fuzzes the parts of the HTTP and serial sources that see request and line
// bytes before any payload decoder does (src/connectors/http/
// ingest_protocol.h, src/connectors/serial/line_framer.h), each against an
// independent statement of what it must do:
//   * InvalidUtf8Offset agrees with simdjson's UTF-8 validator, and the
//     prefix before the offset it reports is valid;
//   * the JSON body answering a request (VerdictBody, ErrorBody) is valid
//     JSON whatever bytes the rejected records' excerpts hold;
//   * BearerTokenMatches accepts exactly "Bearer <token>" (scheme in any
//     case);
//   * FormatForContentType never throws and ignores case and parameters;
//   * LineFramer gives the same lines whether the bytes come in one piece or
//     byte by byte, never a line longer than max_line, and never keeps more
//     than max_line + 1 bytes.
#include <simdjson.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/http/ingest_protocol.h"
#include "connectors/serial/line_framer.h"
#include "fuzz_check.h"

using namespace edgeflow;

namespace {

using edgeflow::fuzz::Fail;

bool ValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

void CheckJson(const std::string& body) {
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) Fail("response body is not valid JSON");
}

void CheckUtf8(std::string_view text) {
  const size_t bad = InvalidUtf8Offset(text);
  if ((bad == std::string_view::npos) != ValidUtf8(text)) Fail("InvalidUtf8Offset disagrees with simdjson");
  if (bad != std::string_view::npos) {
    if (bad >= text.size()) Fail("invalid offset past the end");
    if (!ValidUtf8(text.substr(0, bad))) Fail("the prefix before the invalid offset is not valid");
  }
}

void CheckResponses(std::string_view text) {
  IngestVerdict verdict;
  verdict.accepted = text.size() % 3;
  // Rejections whose excerpts are pieces of the hostile input.
  for (size_t at = 0, k = 0; at < text.size() && k < 14; at += 1 + text.size() / 7, ++k) {
    const auto reason = static_cast<DecodeReason>(1 + k % (kDecodeReasonCount - 1));
    verdict.Reject(reason, text.substr(at, 40), text);
  }
  CheckJson(VerdictBody(verdict));
  CheckJson(ErrorBody("bad_request", text));
  const int status = VerdictStatus(verdict);
  if (status != 200 && status != 207 && status != 400) Fail("unexpected verdict status");
}

// The rule, restated: around the header and after the scheme, spaces and
// tabs do not count; the scheme is "bearer " in any case; the token must be
// non-empty and equal byte for byte.
std::string_view Trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

void CheckBearer(std::string_view text) {
  // The token is the input's second half; the header its first half.
  const std::string_view header = text.substr(0, text.size() / 2);
  const std::string_view token = text.substr(text.size() / 2);
  const std::string_view h = Trim(header);
  std::string scheme(h.substr(0, 7));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool expected = !token.empty() && h.size() >= 7 && scheme == "bearer " && Trim(h.substr(7)) == token;
  if (BearerTokenMatches(header, token) != expected) Fail("BearerTokenMatches");
  if (!token.empty() && Trim(token) == token && !BearerTokenMatches("bEaReR " + std::string(token), token)) {
    Fail("BearerTokenMatches refused a good header");
  }
}

void CheckContentType(std::string_view text) {
  const auto plain = FormatForContentType(text, PayloadFormat::kJson);
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (FormatForContentType(upper, PayloadFormat::kJson) != plain) Fail("content type case matters");
  if (plain && text.find(';') == std::string_view::npos) {
    if (FormatForContentType(std::string(text) + "; charset=utf-8", PayloadFormat::kJson) != plain) {
      Fail("content type parameters matter");
    }
  }
}

void CheckLineFramer(uint8_t selector, std::string_view bytes) {
  static constexpr LineEnding kEndings[] = {LineEnding::kLf, LineEnding::kCrlf, LineEnding::kCr, LineEnding::kAny};
  const LineEnding ending = kEndings[selector & 3];
  const size_t max_line = 1 + (selector >> 2) % 48;
  using Seen = std::vector<std::pair<LineFramer::Kind, std::string>>;
  const auto run = [&](size_t piece) {
    LineFramer framer(ending, max_line);
    Seen seen;
    for (size_t at = 0; at < bytes.size(); at += piece) {
      framer.Feed(bytes.substr(at, piece), [&](LineFramer::Kind kind, std::string_view text) {
        if (kind == LineFramer::Kind::kLine && (text.empty() || text.size() > max_line)) Fail("bad line length");
        seen.emplace_back(kind, std::string(text));
      });
      if (framer.pending() > max_line + 1) Fail("framer holds more than max_line + 1 bytes");
    }
    return seen;
  };
  if (run(bytes.size() + 1) != run(1)) Fail("lines depend on how the bytes were split");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 5;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  switch (mode) {
    case 0: CheckUtf8(text); break;
    case 1: CheckResponses(text); break;
    case 2: CheckBearer(text); break;
    case 3: CheckContentType(text); break;
    case 4: CheckLineFramer(data[1], text); break;
  }
  return 0;
}
