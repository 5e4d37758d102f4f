#include "model/event_template.h"

#include "common/time_format.h"
#include "common/json_text.h"

namespace edgeflow {

EventTemplate EventTemplate::Parse(const std::string& text) {
  EventTemplate t;
  t.text_ = text;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("${", pos);
    const size_t close = open == std::string::npos ? std::string::npos : text.find('}', open);
    if (open == std::string::npos || close == std::string::npos) {
      t.pieces_.push_back({Kind::kLiteral, text.substr(pos), Symbol()});
      break;
    }
    if (open > pos) t.pieces_.push_back({Kind::kLiteral, text.substr(pos, open - pos), Symbol()});
    const std::string name = text.substr(open + 2, close - open - 2);
    if (name == "device") {
      t.pieces_.push_back({Kind::kDevice, "", Symbol()});
    } else if (name == "time") {
      t.pieces_.push_back({Kind::kTime, "", Symbol()});
    } else {
      t.pieces_.push_back({Kind::kField, "", Symbol::Intern(name)});
    }
    pos = close + 1;
  }
  return t;
}

bool EventTemplate::has_placeholders() const {
  for (const Piece& p : pieces_) {
    if (p.kind != Kind::kLiteral) return true;
  }
  return false;
}

bool EventTemplate::Render(const Event& e, std::string& out, std::string_view missing) const {
  bool complete = true;
  for (const Piece& p : pieces_) {
    switch (p.kind) {
      case Kind::kLiteral: out += p.literal; break;
      case Kind::kDevice: out += e.device.name(); break;
      case Kind::kTime: out += FormatIsoTime(e.time); break;
      case Kind::kField: {
        const Value* v = e.Find(p.field);
        if (v == nullptr) {
          out += missing;
          complete = false;
        } else if (v->type == ValueType::kString) {
          out += e.Text(*v);
        } else if (v->type == ValueType::kBool) {
          out += v->b ? "true" : "false";
        } else if (auto n = v->AsNumber()) {
          AppendJsonNumber(*n, out);
        }
        break;
      }
    }
  }
  return complete;
}

}  // namespace edgeflow
