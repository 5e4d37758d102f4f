#include "stages/series_key.h"

#include <cstdio>

#include "stages/stage_util.h"

namespace edgeflow {

SeriesKey SeriesKey::Parse(const BuildContext& ctx, const ConfigNode& cfg, const std::string& option) {
  SeriesKey key;
  const std::vector<std::string> names =
      cfg.Has(option) ? cfg[option].StringList() : std::vector<std::string>{"device"};
  if (names.empty()) cfg[option].Error("list at least one key");
  key.device_only_ = names.size() == 1 && names[0] == "device";
  for (const std::string& name : names) {
    if (name == "device") {
      key.parts_.push_back({SeriesKeyPart::Kind::kDevice, Symbol()});
    } else if (name.rfind("tags.", 0) == 0) {
      key.parts_.push_back({SeriesKeyPart::Kind::kTag, Symbol::Intern(name.substr(5))});
    } else {
      CheckFieldKnown(ctx, cfg[option], name);
      key.parts_.push_back({SeriesKeyPart::Kind::kField, Symbol::Intern(name)});
    }
  }
  return key;
}

void SeriesKey::Encode(const Event& e, std::string& out) const {
  out.clear();
  char buf[32];
  for (const SeriesKeyPart& part : parts_) {
    switch (part.kind) {
      case SeriesKeyPart::Kind::kDevice: out.append(e.device.name()); break;
      case SeriesKeyPart::Kind::kTag: out.append(e.Tag(part.name).value_or("")); break;
      case SeriesKeyPart::Kind::kField: {
        const Value* v = e.Find(part.name);
        if (v == nullptr) break;
        if (v->type == ValueType::kString) {
          out.append(e.Text(*v));
        } else if (const auto n = v->AsNumber()) {
          const int len = std::snprintf(buf, sizeof buf, "%.17g", *n);
          out.append(buf, static_cast<size_t>(len));
        }
        break;
      }
    }
    out.push_back('\x1f');
  }
}

}  // namespace edgeflow
