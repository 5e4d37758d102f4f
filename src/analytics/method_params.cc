#include "analytics/method_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/text.h"

namespace edgeflow::analytics {
namespace {

std::string Range(double min, double max) {
  auto text = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  return "must be between " + text(min) + " and " + text(max);
}

}  // namespace

bool MethodParams::AddAssignment(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  Set(std::string(TrimSpaces(text.substr(0, eq))), std::string(TrimSpaces(text.substr(eq + 1))));
  return true;
}

const std::string* MethodParams::Find(std::string_view key) {
  const auto it = values_.find(std::string(key));
  if (it == values_.end()) return nullptr;
  read_.insert(it->first);
  return &it->second;
}

double MethodParams::Double(std::string_view key, double fallback, double min, double max) {
  const std::string* text = Find(key);
  if (text == nullptr) return fallback;
  double v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(v)) {
    Error(std::string(key), "'" + *text + "' is not a number");
    return fallback;
  }
  if (v < min || v > max) {
    Error(std::string(key), Range(min, max));
    return fallback;
  }
  return v;
}

int64_t MethodParams::Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const std::string* text = Find(key);
  if (text == nullptr) return fallback;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) {
    Error(std::string(key), "'" + *text + "' is not an integer");
    return fallback;
  }
  if (v < min || v > max) {
    Error(std::string(key), Range(static_cast<double>(min), static_cast<double>(max)));
    return fallback;
  }
  return v;
}

std::string MethodParams::String(std::string_view key, std::string_view fallback) {
  const std::string* text = Find(key);
  return text == nullptr ? std::string(fallback) : *text;
}

std::string MethodParams::Enum(std::string_view key, std::string_view fallback,
                               const std::vector<std::string>& choices) {
  const std::string value = String(key, fallback);
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return value;
  std::string allowed;
  for (const std::string& c : choices) allowed += (allowed.empty() ? "" : ", ") + c;
  Error(std::string(key), "'" + value + "' is not one of: " + allowed);
  return std::string(fallback);
}

std::vector<std::string> MethodParams::List(std::string_view key) {
  std::vector<std::string> items;
  const std::string* text = Find(key);
  if (text == nullptr) return items;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = TrimSpaces(rest.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

MethodParams MethodParams::Scoped(std::string_view prefix) {
  MethodParams scoped;
  const std::string head = std::string(prefix) + ".";
  for (const auto& [key, value] : values_) {
    if (key.size() > head.size() && key.compare(0, head.size(), head) == 0) {
      scoped.Set(key.substr(head.size()), value);
      read_.insert(key);
    }
  }
  return scoped;
}

void MethodParams::CheckAllRead() {
  for (const auto& [key, value] : values_) {
    if (read_.count(key) == 0) Error(key, "unknown parameter for this method");
  }
}

Status MethodParams::status() const {
  if (errors_.empty()) return Status::Ok();
  std::string text;
  for (const ParamError& e : errors_) {
    if (!text.empty()) text += "; ";
    text += e.key.empty() ? e.message : e.key + ": " + e.message;
  }
  return InvalidConfig(text);
}

}  // namespace edgeflow::analytics
