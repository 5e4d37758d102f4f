// Physical unit conversions for the expression language: convert(x, "F", "C")
// and the named shortcuts (f_to_c, kpa_to_psi, ...).
//
// Every supported unit is a linear map to its dimension's base unit (kelvin,
// pascal, metre per second, metre), so a conversion between two units of one
// dimension is itself linear and is resolved once, at compile time, into a
// LinearTransform. Units are defined by exact ratios (F: K = (5 F + 2298.35)
// / 9; km/h: m/s = 5 km/h / 18) and transforms are derived in extended
// precision, so that round values convert to round values: c_to_f(100) is
// exactly 212, not 211.99999999999994. Unit names are matched case-insensitively ("kpa" is kPa). The tables are immutable static
// data; all functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgeflow {

enum class UnitDimension : uint8_t { kTemperature, kPressure, kSpeed, kLength };

std::string_view UnitDimensionName(UnitDimension dimension);

// base value = (value * numerator + offset) / denominator.
struct UnitInfo {
  std::string_view name;  // canonical spelling: "kPa", "km/h"
  UnitDimension dimension;
  long double numerator;
  long double offset;
  long double denominator;
};

// y = (x * scale + offset) / divisor. Keeping the divisor (rather than folding
// it into scale and offset) keeps conversions such as F -> C exact for round
// inputs: (212 * 5 - 160) / 9 = 100.
struct LinearTransform {
  double scale = 1;
  double offset = 0;
  double divisor = 1;
  double Apply(double x) const { return (x * scale + offset) / divisor; }
};

// The unit named `name` (an alias such as "kmh" or "knots" included), or null.
const UnitInfo* FindUnit(std::string_view name);
// Every accepted unit name and alias, for "did you mean" hints and docs.
std::vector<std::string> UnitNames();
// The transform from `from` to `to`; both must have the same dimension.
LinearTransform UnitTransform(const UnitInfo& from, const UnitInfo& to);

// A named conversion function such as c_to_f: convert(x, from, to).
struct UnitShortcut {
  std::string_view function;
  std::string_view from;
  std::string_view to;
};
// The shortcut named `function` (exact, lower case), or null.
const UnitShortcut* FindUnitShortcut(std::string_view function);
const std::vector<UnitShortcut>& UnitShortcuts();

}  // namespace edgeflow
