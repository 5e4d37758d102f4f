// MQTT topic names and filters: validation, wildcard matching (`+` one
// level, `#` the rest) and access to a topic's levels (`topic[1]`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgeflow::mqtt {

// Empty when `filter` is a valid subscription filter, else why not.
std::string ValidateTopicFilter(std::string_view filter);
// Empty when `topic` is a valid topic name to publish to, else why not.
std::string ValidateTopicName(std::string_view topic);

// Whether `topic` matches `filter`. Topics starting with `$` match only
// filters that name that first level explicitly (MQTT 4.7.2).
bool TopicMatches(std::string_view filter, std::string_view topic);

// The level of `topic` at `index` (0-based), or nullopt when it has fewer.
std::optional<std::string_view> TopicLevel(std::string_view topic, size_t index);

// `topic[2]` -> 2; nullopt for anything else (a literal value).
std::optional<size_t> ParseTopicLevelRef(std::string_view text);

}  // namespace edgeflow::mqtt
