#include "connectors/mqtt/mqtt_topic.h"

#include <charconv>

namespace edgeflow::mqtt {

std::string ValidateTopicFilter(std::string_view filter) {
  if (filter.empty()) return "a topic filter must not be empty";
  if (filter.size() > 65535) return "a topic filter is at most 65535 bytes";
  size_t level_start = 0;
  for (size_t i = 0; i <= filter.size(); ++i) {
    if (i < filter.size() && filter[i] == '\0') return "a topic filter must not contain NUL";
    if (i == filter.size() || filter[i] == '/') {
      const std::string_view level = filter.substr(level_start, i - level_start);
      if (level.find('+') != std::string_view::npos && level != "+") {
        return "'+' must be a whole level (as in a/+/c)";
      }
      if (level.find('#') != std::string_view::npos) {
        if (level != "#") return "'#' must be a whole level";
        if (i != filter.size()) return "'#' must be the last level";
      }
      level_start = i + 1;
    }
  }
  return "";
}

std::string ValidateTopicName(std::string_view topic) {
  if (topic.empty()) return "a topic must not be empty";
  if (topic.size() > 65535) return "a topic is at most 65535 bytes";
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return "a topic to publish to must not contain the wildcards + or #";
  }
  if (topic.find('\0') != std::string_view::npos) return "a topic must not contain NUL";
  return "";
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && (filter.empty() || filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  size_t f = 0;
  size_t t = 0;
  while (true) {
    const size_t f_end = std::min(filter.find('/', f), filter.size());
    const std::string_view f_level = filter.substr(f, f_end - f);
    if (f_level == "#") return true;  // also matches the parent level ("a/#" matches "a")
    const size_t t_end = std::min(topic.find('/', t), topic.size());
    if (t > topic.size()) {
      return false;
    }
    const std::string_view t_level = topic.substr(t, t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    const bool f_last = f_end == filter.size();
    const bool t_last = t_end == topic.size();
    if (f_last || t_last) {
      if (f_last && t_last) return true;
      // "a/#" matches "a": the filter's next (and last) level is '#'.
      return t_last && !f_last && filter.substr(f_end + 1) == "#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

std::optional<std::string_view> TopicLevel(std::string_view topic, size_t index) {
  size_t start = 0;
  for (size_t i = 0; i < index; ++i) {
    const size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
  const size_t end = topic.find('/', start);
  return topic.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

std::optional<size_t> ParseTopicLevelRef(std::string_view text) {
  constexpr std::string_view kPrefix = "topic[";
  if (text.size() <= kPrefix.size() + 1 || text.substr(0, kPrefix.size()) != kPrefix ||
      text.back() != ']') {
    return std::nullopt;
  }
  const std::string_view digits = text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1);
  size_t index = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || index > 255) return std::nullopt;
  return index;
}

}  // namespace edgeflow::mqtt
