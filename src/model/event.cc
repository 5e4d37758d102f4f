#include "model/event.h"

namespace edgeflow {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull: return "null";
    case ValueType::kDouble: return "double";
    case ValueType::kInt: return "int";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
  }
  return "unknown";
}

void Event::Set(Symbol name, Value value) {
  for (Field& f : fields_) {
    if (f.name == name) {
      f.value = value;
      return;
    }
  }
  fields_.push_back({name, value});
}

void Event::SetFrom(Symbol name, const Value& value, const Event& owner) {
  if (value.type == ValueType::kString) {
    // Copy through a view of the owner; when owner == *this StoreText may
    // reallocate text_, so copy the bytes out first in that case.
    if (&owner == this) {
      std::string copy(Text(value));
      Set(name, StoreText(copy));
    } else {
      Set(name, StoreText(owner.Text(value)));
    }
  } else {
    Set(name, value);
  }
}

bool Event::Remove(Symbol name) {
  for (auto it = fields_.begin(); it != fields_.end(); ++it) {
    if (it->name == name) {
      fields_.erase(it);
      return true;
    }
  }
  return false;
}

bool Event::Rename(Symbol from, Symbol to) {
  if (Find(from) == nullptr) return false;
  if (from != to) Remove(to);
  for (Field& f : fields_) {
    if (f.name == from) f.name = to;
  }
  return true;
}

void Event::SetTag(Symbol name, std::string_view v) {
  Value stored = StoreText(v);
  for (Field& f : tags_) {
    if (f.name == name) {
      f.value = stored;
      return;
    }
  }
  tags_.push_back({name, stored});
}

}  // namespace edgeflow
