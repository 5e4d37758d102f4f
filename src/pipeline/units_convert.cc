#include "pipeline/units_convert.h"

#include <array>

namespace edgeflow {
namespace {

// Factors are exact by definition (international foot, yard, mile and
// pound; standard gravity; conventional millimetre of mercury).
constexpr long double kPsiNewtons = 0.45359237L * 9.80665L;  // pound-force
constexpr long double kSquareInch = 0.0254L * 0.0254L;

struct UnitEntry {
  std::string_view alias;  // spelling accepted in expressions
  UnitInfo info;
};

constexpr UnitInfo kC{"C", UnitDimension::kTemperature, 1, 273.15L, 1};
constexpr UnitInfo kF{"F", UnitDimension::kTemperature, 5, 459.67L * 5, 9};
constexpr UnitInfo kK{"K", UnitDimension::kTemperature, 1, 0, 1};
constexpr UnitInfo kPa{"Pa", UnitDimension::kPressure, 1, 0, 1};
constexpr UnitInfo kHPa{"hPa", UnitDimension::kPressure, 100, 0, 1};
constexpr UnitInfo kKPa{"kPa", UnitDimension::kPressure, 1000, 0, 1};
constexpr UnitInfo kMPa{"MPa", UnitDimension::kPressure, 1e6L, 0, 1};
constexpr UnitInfo kBar{"bar", UnitDimension::kPressure, 1e5L, 0, 1};
constexpr UnitInfo kMbar{"mbar", UnitDimension::kPressure, 100, 0, 1};
constexpr UnitInfo kPsi{"psi", UnitDimension::kPressure, kPsiNewtons, 0, kSquareInch};
constexpr UnitInfo kAtm{"atm", UnitDimension::kPressure, 101325, 0, 1};
constexpr UnitInfo kMmHg{"mmHg", UnitDimension::kPressure, 133.322387415L, 0, 1};
constexpr UnitInfo kInHg{"inHg", UnitDimension::kPressure, 133.322387415L * 25.4L, 0, 1};
constexpr UnitInfo kMps{"m/s", UnitDimension::kSpeed, 1, 0, 1};
constexpr UnitInfo kKmh{"km/h", UnitDimension::kSpeed, 5, 0, 18};
constexpr UnitInfo kMph{"mph", UnitDimension::kSpeed, 0.44704L, 0, 1};
constexpr UnitInfo kKnot{"knot", UnitDimension::kSpeed, 1852, 0, 3600};
constexpr UnitInfo kFps{"ft/s", UnitDimension::kSpeed, 0.3048L, 0, 1};
constexpr UnitInfo kM{"m", UnitDimension::kLength, 1, 0, 1};
constexpr UnitInfo kCm{"cm", UnitDimension::kLength, 1, 0, 100};
constexpr UnitInfo kMm{"mm", UnitDimension::kLength, 1, 0, 1000};
constexpr UnitInfo kKm{"km", UnitDimension::kLength, 1000, 0, 1};
constexpr UnitInfo kIn{"in", UnitDimension::kLength, 0.0254L, 0, 1};
constexpr UnitInfo kFt{"ft", UnitDimension::kLength, 0.3048L, 0, 1};
constexpr UnitInfo kYd{"yd", UnitDimension::kLength, 0.9144L, 0, 1};
constexpr UnitInfo kMi{"mi", UnitDimension::kLength, 1609.344L, 0, 1};
constexpr UnitInfo kNmi{"nmi", UnitDimension::kLength, 1852, 0, 1};

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
  // base = (x * n1 + o1) / d1 and base = (y * n2 + o2) / d2, so
  // y = (x * n1 * d2 + o1 * d2 - o2 * d1) / (d1 * n2).
  const long double scale = from.numerator * to.denominator;
  const long double offset = from.offset * to.denominator - to.offset * from.denominator;
  const long double divisor = from.denominator * to.numerator;
  return LinearTransform{static_cast<double>(scale), static_cast<double>(offset),
                         static_cast<double>(divisor)};
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
