#include "pipeline/units_convert.h"

#include <array>

namespace edgeflow {
namespace {

// Factors are exact by definition except where noted (international foot,
// yard, mile and pound; standard gravity).
constexpr double kFahrenheitScale = 5.0 / 9.0;
constexpr double kPsiPa = 0.45359237 * 9.80665 / (0.0254 * 0.0254);  // 6894.757...
constexpr double kMmHgPa = 133.322387415;    // conventional millimetre of mercury
constexpr double kInHgPa = kMmHgPa * 25.4;   // conventional inch of mercury
constexpr double kKnotMps = 1852.0 / 3600.0;

struct UnitEntry {
  std::string_view alias;  // spelling accepted in expressions
  UnitInfo info;
};

constexpr UnitInfo kC{"C", UnitDimension::kTemperature, 1, 273.15};
constexpr UnitInfo kF{"F", UnitDimension::kTemperature, kFahrenheitScale,
                      273.15 - 32 * kFahrenheitScale};
constexpr UnitInfo kK{"K", UnitDimension::kTemperature, 1, 0};
constexpr UnitInfo kPa{"Pa", UnitDimension::kPressure, 1, 0};
constexpr UnitInfo kHPa{"hPa", UnitDimension::kPressure, 100, 0};
constexpr UnitInfo kKPa{"kPa", UnitDimension::kPressure, 1e3, 0};
constexpr UnitInfo kMPa{"MPa", UnitDimension::kPressure, 1e6, 0};
constexpr UnitInfo kBar{"bar", UnitDimension::kPressure, 1e5, 0};
constexpr UnitInfo kMbar{"mbar", UnitDimension::kPressure, 100, 0};
constexpr UnitInfo kPsi{"psi", UnitDimension::kPressure, kPsiPa, 0};
constexpr UnitInfo kAtm{"atm", UnitDimension::kPressure, 101325, 0};
constexpr UnitInfo kMmHg{"mmHg", UnitDimension::kPressure, kMmHgPa, 0};
constexpr UnitInfo kInHg{"inHg", UnitDimension::kPressure, kInHgPa, 0};
constexpr UnitInfo kMps{"m/s", UnitDimension::kSpeed, 1, 0};
constexpr UnitInfo kKmh{"km/h", UnitDimension::kSpeed, 1 / 3.6, 0};
constexpr UnitInfo kMph{"mph", UnitDimension::kSpeed, 0.44704, 0};
constexpr UnitInfo kKnot{"knot", UnitDimension::kSpeed, kKnotMps, 0};
constexpr UnitInfo kFps{"ft/s", UnitDimension::kSpeed, 0.3048, 0};
constexpr UnitInfo kM{"m", UnitDimension::kLength, 1, 0};
constexpr UnitInfo kCm{"cm", UnitDimension::kLength, 0.01, 0};
constexpr UnitInfo kMm{"mm", UnitDimension::kLength, 0.001, 0};
constexpr UnitInfo kKm{"km", UnitDimension::kLength, 1000, 0};
constexpr UnitInfo kIn{"in", UnitDimension::kLength, 0.0254, 0};
constexpr UnitInfo kFt{"ft", UnitDimension::kLength, 0.3048, 0};
constexpr UnitInfo kYd{"yd", UnitDimension::kLength, 0.9144, 0};
constexpr UnitInfo kMi{"mi", UnitDimension::kLength, 1609.344, 0};
constexpr UnitInfo kNmi{"nmi", UnitDimension::kLength, 1852, 0};

// Lookup is case-insensitive, so no two aliases may differ only in case.
constexpr std::array kUnits{
    UnitEntry{"C", kC},         UnitEntry{"degC", kC},        UnitEntry{"celsius", kC},
    UnitEntry{"F", kF},         UnitEntry{"degF", kF},        UnitEntry{"fahrenheit", kF},
    UnitEntry{"K", kK},         UnitEntry{"kelvin", kK},      UnitEntry{"Pa", kPa},
    UnitEntry{"hPa", kHPa},     UnitEntry{"kPa", kKPa},       UnitEntry{"MPa", kMPa},
    UnitEntry{"bar", kBar},     UnitEntry{"mbar", kMbar},     UnitEntry{"psi", kPsi},
    UnitEntry{"atm", kAtm},     UnitEntry{"mmHg", kMmHg},     UnitEntry{"torr", kMmHg},
    UnitEntry{"inHg", kInHg},   UnitEntry{"m/s", kMps},       UnitEntry{"mps", kMps},
    UnitEntry{"km/h", kKmh},    UnitEntry{"kmh", kKmh},       UnitEntry{"kph", kKmh},
    UnitEntry{"mph", kMph},     UnitEntry{"knot", kKnot},     UnitEntry{"knots", kKnot},
    UnitEntry{"kn", kKnot},     UnitEntry{"kt", kKnot},       UnitEntry{"ft/s", kFps},
    UnitEntry{"fps", kFps},     UnitEntry{"m", kM},           UnitEntry{"cm", kCm},
    UnitEntry{"mm", kMm},       UnitEntry{"km", kKm},         UnitEntry{"in", kIn},
    UnitEntry{"ft", kFt},       UnitEntry{"yd", kYd},         UnitEntry{"mi", kMi},
    UnitEntry{"nmi", kNmi},
};

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view UnitDimensionName(UnitDimension dimension) {
  switch (dimension) {
    case UnitDimension::kTemperature: return "temperature";
    case UnitDimension::kPressure: return "pressure";
    case UnitDimension::kSpeed: return "speed";
    case UnitDimension::kLength: return "length";
  }
  return "unknown";
}

const UnitInfo* FindUnit(std::string_view name) {
  for (const UnitEntry& e : kUnits) {
    if (EqualsIgnoreCase(e.alias, name)) return &e.info;
  }
  return nullptr;
}

std::vector<std::string> UnitNames() {
  std::vector<std::string> names;
  names.reserve(kUnits.size());
  for (const UnitEntry& e : kUnits) names.emplace_back(e.alias);
  return names;
}

LinearTransform UnitTransform(const UnitInfo& from, const UnitInfo& to) {
  // base = x * s1 + o1 and y = (base - o2) / s2.
  return LinearTransform{from.scale / to.scale, (from.offset - to.offset) / to.scale};
}

const std::vector<UnitShortcut>& UnitShortcuts() {
  static const std::vector<UnitShortcut> kShortcuts = {
      {"c_to_f", "C", "F"},          {"f_to_c", "F", "C"},         {"c_to_k", "C", "K"},
      {"k_to_c", "K", "C"},          {"f_to_k", "F", "K"},         {"k_to_f", "K", "F"},
      {"kpa_to_psi", "kPa", "psi"},  {"psi_to_kpa", "psi", "kPa"}, {"bar_to_psi", "bar", "psi"},
      {"psi_to_bar", "psi", "bar"},  {"hpa_to_kpa", "hPa", "kPa"}, {"kpa_to_hpa", "kPa", "hPa"},
      {"bar_to_kpa", "bar", "kPa"},  {"kpa_to_bar", "kPa", "bar"}, {"kmh_to_ms", "km/h", "m/s"},
      {"ms_to_kmh", "m/s", "km/h"},  {"mph_to_kmh", "mph", "km/h"}, {"kmh_to_mph", "km/h", "mph"},
      {"knots_to_kmh", "knot", "km/h"}, {"m_to_ft", "m", "ft"},    {"ft_to_m", "ft", "m"},
      {"in_to_cm", "in", "cm"},      {"cm_to_in", "cm", "in"},     {"km_to_mi", "km", "mi"},
      {"mi_to_km", "mi", "km"},
  };
  return kShortcuts;
}

const UnitShortcut* FindUnitShortcut(std::string_view function) {
  for (const UnitShortcut& s : UnitShortcuts()) {
    if (s.function == function) return &s;
  }
  return nullptr;
}

}  // namespace edgeflow
