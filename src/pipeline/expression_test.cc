#include "pipeline/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <new>
#include <string>

#include "pipeline/units_convert.h"

// Counts heap allocations made on this thread while g_count_allocations is
// set, to prove that Evaluate() does not allocate. The replacement forwards
// every form of new/delete to malloc/free so that allocation and release
// always pair up, which AddressSanitizer checks; it affects the whole test
// binary but only counts inside NoAllocationScope.
namespace {
thread_local bool g_count_allocations = false;
thread_local size_t g_allocations = 0;

// Out of line, so that once a replaced operator delete is inlined the compiler
// does not see free() on memory from operator new (-Wmismatched-new-delete).
[[gnu::noinline]] void* CountedAlloc(std::size_t size) noexcept {
  if (g_count_allocations) ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] void Release(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t size) {
  void* p = CountedAlloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t size) {
  void* p = CountedAlloc(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return CountedAlloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, std::size_t) noexcept { Release(p); }
void operator delete[](void* p, std::size_t) noexcept { Release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Release(p); }

namespace edgeflow {
namespace {

class NoAllocationScope {
 public:
  NoAllocationScope() {
    g_allocations = 0;
    g_count_allocations = true;
  }
  ~NoAllocationScope() { g_count_allocations = false; }
  size_t allocations() const { return g_allocations; }
};

Symbol Sym(std::string_view name) { return Symbol::Intern(name); }

constexpr TimeMicros kEventTime = 1'700'000'000'500'000;  // 2023-11-14T22:13:20.5Z

Event MakeEvent() {
  Event e;
  e.time = kEventTime;
  e.device = Sym("press-7");
  e.SetDouble(Sym("temperature_f"), 72.5);
  e.SetDouble(Sym("a"), 1);
  e.SetDouble(Sym("b"), 2);
  e.SetDouble(Sym("c"), 3);
  e.SetDouble(Sym("zero"), 0);
  e.SetInt(Sym("count"), 3);
  e.SetBool(Sym("running"), true);
  e.SetBool(Sym("stopped"), false);
  e.SetString(Sym("status"), "OK");
  e.SetString(Sym("empty"), "");
  e.SetDouble(Sym("anomaly.score"), 0.25);
  e.SetDouble(Sym("nan_field"), std::nan(""));
  e.SetDouble(Sym("my field"), 5);
  e.SetDouble(Sym("neg"), -2.5);
  e.SetTag(Sym("site"), "plant-1");
  return e;
}

Expression MustCompile(std::string_view text) {
  auto compiled = Expression::Compile(text);
  EXPECT_TRUE(compiled.ok()) << text << ": " << compiled.status().ToString();
  if (!compiled.ok()) return std::move(Expression::Compile("0").value());
  return std::move(compiled).value();
}

// Evaluates `text` on the standard event; strings are copied out.
struct Evaluated {
  ExprType type = ExprType::kMissing;
  double number = 0;
  bool boolean = false;
  std::string text;
};

Evaluated Eval(std::string_view text, const Event& event = MakeEvent()) {
  const Expression e = MustCompile(text);
  const ExprValue v = e.Evaluate(event);
  return {v.type, v.number, v.boolean, std::string(v.text)};
}

double Num(std::string_view text, const Event& event = MakeEvent()) {
  const Evaluated v = Eval(text, event);
  EXPECT_EQ(v.type, ExprType::kNumber) << text;
  return v.number;
}

// True/false results must be booleans.
bool Bool(std::string_view text, const Event& event = MakeEvent()) {
  const Evaluated v = Eval(text, event);
  EXPECT_EQ(v.type, ExprType::kBool) << text;
  return v.boolean;
}

bool IsMissing(std::string_view text, const Event& event = MakeEvent()) {
  return Eval(text, event).type == ExprType::kMissing;
}

CompileError CompileFails(std::string_view text) {
  CompileError error;
  auto compiled = Expression::CompileDetailed(text, &error);
  EXPECT_FALSE(compiled.ok()) << text;
  if (!compiled.ok()) {
    EXPECT_EQ(compiled.status().code(), StatusCode::kInvalidConfig);
    const std::string prefix = std::string("at column ") + std::to_string(error.column) + ": ";
    EXPECT_TRUE(compiled.status().message().starts_with(prefix)) << compiled.status().message();
  }
  return error;
}

TEST(ExpressionTest, Literals) {
  EXPECT_EQ(Num("42"), 42);
  EXPECT_EQ(Num("2.5"), 2.5);
  EXPECT_EQ(Num("1e-3"), 0.001);
  EXPECT_EQ(Num(".5"), 0.5);
  EXPECT_EQ(Num("1E3"), 1000);
  EXPECT_TRUE(Bool("true"));
  EXPECT_FALSE(Bool("FALSE"));
  EXPECT_EQ(Eval("\"text\"").text, "text");
  EXPECT_EQ(Eval("'single'").text, "single");
  EXPECT_EQ(Eval(R"("say \"hi\"\n")").text, "say \"hi\"\n");
  EXPECT_EQ(Eval(R"('it\'s')").text, "it's");
}

TEST(ExpressionTest, Precedence) {
  // a = 1, b = 2, c = 3, fields so that the evaluator (not the folder) runs.
  EXPECT_EQ(Num("a + b * c"), 7);
  EXPECT_EQ(Num("(a + b) * c"), 9);
  EXPECT_EQ(Num("c - b - a"), 0);  // left-associative
  EXPECT_EQ(Num("c / b / b"), 0.75);
  EXPECT_EQ(Num("b ^ c ^ b"), 512);  // right-associative: 2^(3^2)
  EXPECT_EQ(Num("-b ^ b"), -4);      // ^ binds tighter than unary minus
  EXPECT_EQ(Num("b ^ -a"), 0.5);
  EXPECT_EQ(Num("-b * c"), -6);
  EXPECT_EQ(Num("a + c % b"), 2);
  EXPECT_EQ(Num("--b"), 2);
  EXPECT_EQ(Num("+b"), 2);
  EXPECT_TRUE(Bool("a + b > c - a"));
  EXPECT_TRUE(Bool("not a > b"));            // not (a > b)
  EXPECT_FALSE(Bool("not a < b and a < b"));  // (not a < b) and ...
  EXPECT_TRUE(Bool("a > b and a > b or c > b"));   // and before or
  EXPECT_TRUE(Bool("c > b or a > b and a > b"));
  EXPECT_FALSE(Bool("(c > b or a > b) and a > b"));
  // The same with constants, which the compiler folds.
  EXPECT_EQ(Num("1 + 2 * 3"), 7);
  EXPECT_EQ(Num("2 ^ 3 ^ 2"), 512);
  EXPECT_EQ(Num("-2 ^ 2"), -4);
  EXPECT_TRUE(Bool("true or false and false"));
  EXPECT_FALSE(Bool("not false and false"));
}

TEST(ExpressionTest, ArithmeticOperators) {
  EXPECT_EQ(Num("temperature_f + 0.5"), 73);
  EXPECT_EQ(Num("temperature_f - a"), 71.5);
  EXPECT_EQ(Num("temperature_f * b"), 145);
  EXPECT_EQ(Num("temperature_f / b"), 36.25);
  EXPECT_EQ(Num("count % b"), 1);
  EXPECT_EQ(Num("neg % b"), -0.5);  // the sign follows the dividend
  EXPECT_EQ(Num("b ^ 10"), 1024);
  EXPECT_EQ(Num("-neg"), 2.5);
  EXPECT_EQ(Num("count * 2"), 6);       // int field
  EXPECT_EQ(Num("running + 1"), 2);     // bool field counts as 1
  EXPECT_EQ(Num("1 - temperature_f"), -71.5);
}

TEST(ExpressionTest, ComparisonOperators) {
  EXPECT_TRUE(Bool("temperature_f > 72"));
  EXPECT_FALSE(Bool("temperature_f > 72.5"));
  EXPECT_TRUE(Bool("temperature_f >= 72.5"));
  EXPECT_TRUE(Bool("temperature_f < 73"));
  EXPECT_TRUE(Bool("temperature_f <= 72.5"));
  EXPECT_TRUE(Bool("temperature_f == 72.5"));
  EXPECT_TRUE(Bool("temperature_f != 72"));
  EXPECT_TRUE(Bool("count == 3"));
  // Constant on the left (compiled mirrored).
  EXPECT_TRUE(Bool("72 < temperature_f"));
  EXPECT_FALSE(Bool("72 > temperature_f"));
  EXPECT_TRUE(Bool("72.5 <= temperature_f"));
  EXPECT_TRUE(Bool("73 >= temperature_f"));
  EXPECT_TRUE(Bool("3 == count"));
  // Booleans compare numerically with numbers and booleans.
  EXPECT_TRUE(Bool("running == 1"));
  EXPECT_TRUE(Bool("running == true"));
  EXPECT_TRUE(Bool("stopped == 0"));
  EXPECT_TRUE(Bool("running > stopped"));
  EXPECT_TRUE(Bool("temperature_f > -40 and temperature_f < 400"));
}

TEST(ExpressionTest, LogicalOperators) {
  EXPECT_TRUE(Bool("a > 0 and b > 0"));
  EXPECT_TRUE(Bool("a > 0 AND b > 0"));
  EXPECT_TRUE(Bool("a > 0 && b > 0"));
  EXPECT_FALSE(Bool("a > 5 and b > 0"));
  EXPECT_TRUE(Bool("a > 5 or b > 0"));
  EXPECT_TRUE(Bool("a > 5 Or b > 0"));
  EXPECT_TRUE(Bool("a > 5 || b > 0"));
  EXPECT_FALSE(Bool("a > 5 or b > 5"));
  EXPECT_TRUE(Bool("not a > 5"));
  EXPECT_TRUE(Bool("NOT a > 5"));
  EXPECT_TRUE(Bool("!stopped"));
  EXPECT_TRUE(Bool("! ! running"));
  // Operands become booleans: non-zero numbers are true.
  EXPECT_TRUE(Bool("a and b"));
  EXPECT_FALSE(Bool("a and zero"));
  EXPECT_TRUE(Bool("zero or a"));
  EXPECT_TRUE(Bool("not zero"));
  // Strings are not true.
  EXPECT_FALSE(Bool("status and true"));
}

TEST(ExpressionTest, ShortCircuit) {
  // The untaken branch reads a missing field; its value must not leak out.
  EXPECT_EQ(Num("if(exists(x), x, 0)"), 0);
  EXPECT_EQ(Num("if(exists(a), a, x)"), 1);
  EXPECT_EQ(Num("if(a > 0, b, x + 1)"), 2);
  EXPECT_EQ(Num("if(a < 0, x + 1, c)"), 3);
  EXPECT_EQ(Num("if(x > 0, 1, 2)"), 2);  // a Missing condition is false
  EXPECT_EQ(Eval("if(running, status, 'idle')").text, "OK");
  EXPECT_EQ(Eval("if(stopped, status, 'idle')").text, "idle");
  EXPECT_TRUE(Bool("a > 0 or x > 1"));
  EXPECT_FALSE(Bool("a < 0 and x > 1"));
  EXPECT_TRUE(Bool("exists(a) and a > 0"));
  EXPECT_FALSE(Bool("exists(x) and x > 0"));
  // Nested conditionals keep the stack balanced.
  EXPECT_EQ(Num("if(a > 0, if(b > 5, 10, 20), 30) + 1"), 21);
  EXPECT_EQ(Num("1 + if(a > 5, 10, if(b > 1, 20, 30))"), 21);
  EXPECT_EQ(Num("coalesce(x, y, b) * 10"), 20);
  EXPECT_EQ(Num("coalesce(a, x)"), 1);
  EXPECT_EQ(Num("coalesce(x, nan_field, 7)"), 7);
  EXPECT_TRUE(IsMissing("coalesce(x, y)"));
  // Constant conditions are resolved at compile time.
  EXPECT_EQ(Num("if(true, a, x)"), 1);
  EXPECT_EQ(Num("if(1 > 2, x, b)"), 2);
}

TEST(ExpressionTest, MissingFields) {
  // Arithmetic and unary minus.
  EXPECT_TRUE(IsMissing("x"));
  EXPECT_TRUE(IsMissing("x + 1"));
  EXPECT_TRUE(IsMissing("1 - x"));
  EXPECT_TRUE(IsMissing("x * a"));
  EXPECT_TRUE(IsMissing("a / x"));
  EXPECT_TRUE(IsMissing("x % 2"));
  EXPECT_TRUE(IsMissing("x ^ 2"));
  EXPECT_TRUE(IsMissing("-x"));
  // Comparisons are false, even != .
  EXPECT_FALSE(Bool("x > 1"));
  EXPECT_FALSE(Bool("x < 1"));
  EXPECT_FALSE(Bool("x == 1"));
  EXPECT_FALSE(Bool("x != 1"));
  EXPECT_FALSE(Bool("x == x"));
  EXPECT_FALSE(Bool("x != 'a'"));
  // Logic treats Missing as false.
  EXPECT_FALSE(Bool("x and true"));
  EXPECT_TRUE(Bool("x or true"));
  EXPECT_FALSE(Bool("x or false"));
  EXPECT_TRUE(Bool("not x"));
  // Functions.
  EXPECT_TRUE(IsMissing("abs(x)"));
  EXPECT_TRUE(IsMissing("min(a, x, b)"));
  EXPECT_TRUE(IsMissing("max(x)"));
  EXPECT_TRUE(IsMissing("clamp(x, 0, 1)"));
  EXPECT_TRUE(IsMissing("c_to_f(x)"));
  EXPECT_TRUE(IsMissing("convert(x, 'bar', 'psi')"));
  EXPECT_TRUE(IsMissing("startswith(x, 'a')"));
  EXPECT_TRUE(IsMissing("len(x)"));
  EXPECT_FALSE(Bool("exists(x)"));
  EXPECT_TRUE(Bool("exists(a)"));
  EXPECT_TRUE(Bool("exists(status)"));
  EXPECT_TRUE(Bool("exists(device)"));
  EXPECT_TRUE(Bool("exists(tags.site)"));
  EXPECT_FALSE(Bool("exists(tags.line)"));
  // NaN field values are Missing.
  EXPECT_TRUE(IsMissing("nan_field"));
  EXPECT_TRUE(IsMissing("nan_field + 1"));
  EXPECT_FALSE(Bool("exists(nan_field)"));
  EXPECT_FALSE(Bool("nan_field != 1"));
  // Test() is false for Missing.
  const Expression e = MustCompile("x");
  EXPECT_FALSE(e.Test(MakeEvent()));
}

TEST(ExpressionTest, InvalidArithmeticIsMissing) {
  EXPECT_TRUE(IsMissing("a / zero"));
  EXPECT_TRUE(IsMissing("a % zero"));
  EXPECT_TRUE(IsMissing("1 / 0"));  // folded at compile time, same result
  EXPECT_TRUE(IsMissing("status + 1"));
  EXPECT_TRUE(IsMissing("-status"));
  EXPECT_TRUE(IsMissing("abs(status)"));
  EXPECT_TRUE(IsMissing("sqrt(neg)"));  // NaN
  EXPECT_TRUE(IsMissing("ln(neg)"));
  EXPECT_TRUE(IsMissing("len(a)"));    // a string function of a number
  EXPECT_TRUE(IsMissing("startswith(a, 'x')"));
}

TEST(ExpressionTest, StringsDeviceAndTags) {
  EXPECT_TRUE(Bool("status == 'OK'"));
  EXPECT_TRUE(Bool("status != 'ok'"));
  EXPECT_TRUE(Bool("'OK' == status"));
  EXPECT_TRUE(Bool("empty == ''"));
  EXPECT_TRUE(Bool("iequals(status, 'ok')"));
  EXPECT_FALSE(Bool("iequals(status, 'oka')"));
  // A string and a number are never equal.
  EXPECT_FALSE(Bool("status == 5"));
  EXPECT_TRUE(Bool("status != 5"));
  EXPECT_FALSE(Bool("status > 5"));
  EXPECT_FALSE(Bool("status == running"));
  // Strings order bytewise.
  EXPECT_TRUE(Bool("status < 'Ok'"));
  EXPECT_TRUE(Bool("'apple' < 'banana'"));
  EXPECT_TRUE(Bool("device == 'press-7'"));
  EXPECT_EQ(Eval("device").text, "press-7");
  EXPECT_TRUE(Bool("startswith(device, 'press')"));
  EXPECT_FALSE(Bool("startswith(device, 'PRESS')"));
  EXPECT_TRUE(Bool("istartswith(device, 'PRESS')"));
  EXPECT_FALSE(Bool("istartswith(device, 'press-77')"));
  EXPECT_TRUE(Bool("endswith(device, '-7')"));
  EXPECT_TRUE(Bool("contains(device, 'ss-')"));
  EXPECT_FALSE(Bool("contains(device, 'xyz')"));
  EXPECT_EQ(Num("len(device)"), 7);
  EXPECT_EQ(Num("len(empty)"), 0);
  EXPECT_TRUE(Bool("tags.site == 'plant-1'"));
  EXPECT_EQ(Eval("tags.site").text, "plant-1");
  EXPECT_TRUE(IsMissing("tags.line"));
  EXPECT_FALSE(Bool("tags.line == 'a'"));
  EXPECT_EQ(Eval("coalesce(tags.line, tags.site)").text, "plant-1");
  Event no_device = MakeEvent();
  no_device.device = Symbol();
  EXPECT_TRUE(IsMissing("device", no_device));
}

TEST(ExpressionTest, FieldNames) {
  EXPECT_EQ(Num("anomaly.score * 4"), 1);
  EXPECT_EQ(Num("`my field` + 1"), 6);
  EXPECT_EQ(Num("`anomaly.score`"), 0.25);
  // Backquotes always name a field, even `device`.
  Event e = MakeEvent();
  e.SetDouble(Sym("device"), 9);
  EXPECT_EQ(Num("`device`", e), 9);
  EXPECT_EQ(Eval("device", e).text, "press-7");
  // A function name without parentheses is a field.
  e.SetDouble(Sym("max"), 4);
  EXPECT_EQ(Num("max + max(1, 2)", e), 6);
}

TEST(ExpressionTest, Time) {
  EXPECT_DOUBLE_EQ(Num("time"), 1'700'000'000.5);
  EXPECT_TRUE(Bool("time > 1.6e9"));
  EXPECT_DOUBLE_EQ(Num("time % 60"), 20.5);
}

TEST(ExpressionTest, MathFunctions) {
  EXPECT_EQ(Num("abs(neg)"), 2.5);
  EXPECT_EQ(Num("sqrt(c * c + 16)"), 5);
  EXPECT_DOUBLE_EQ(Num("exp(a)"), std::exp(1.0));
  EXPECT_DOUBLE_EQ(Num("ln(exp(c))"), 3);
  EXPECT_DOUBLE_EQ(Num("log(exp(b))"), 2);
  EXPECT_DOUBLE_EQ(Num("log10(1000 * a)"), 3);
  EXPECT_DOUBLE_EQ(Num("log2(8 * a)"), 3);
  EXPECT_EQ(Num("pow(b, c)"), 8);
  EXPECT_EQ(Num("min(c, a, b)"), 1);
  EXPECT_EQ(Num("max(c, a, b)"), 3);
  EXPECT_EQ(Num("max(a)"), 1);
  EXPECT_EQ(Num("floor(neg)"), -3);
  EXPECT_EQ(Num("ceil(neg)"), -2);
  EXPECT_EQ(Num("round(neg)"), -3);  // half away from zero
  EXPECT_EQ(Num("round(temperature_f / 7, 2)"), 10.36);
  EXPECT_EQ(Num("trunc(neg)"), -2);
  EXPECT_EQ(Num("clamp(temperature_f, 0, 50)"), 50);
  EXPECT_EQ(Num("clamp(neg, 0, 50)"), 0);
  EXPECT_EQ(Num("clamp(a, 0, 50)"), 1);
  EXPECT_EQ(Num("sign(neg)"), -1);
  EXPECT_EQ(Num("sign(zero)"), 0);
  EXPECT_EQ(Num("sign(a)"), 1);
  EXPECT_EQ(Num("hypot(c, 4)"), 5);
  EXPECT_NEAR(Num("sin(a)"), std::sin(1.0), 1e-12);
  EXPECT_NEAR(Num("cos(a)"), std::cos(1.0), 1e-12);
  EXPECT_NEAR(Num("tan(a)"), std::tan(1.0), 1e-12);
  EXPECT_NEAR(Num("asin(a)"), std::asin(1.0), 1e-12);
  EXPECT_NEAR(Num("acos(zero)"), std::acos(0.0), 1e-12);
  EXPECT_NEAR(Num("atan(a)"), std::atan(1.0), 1e-12);
  EXPECT_NEAR(Num("atan2(a, b)"), std::atan2(1.0, 2.0), 1e-12);
  EXPECT_EQ(Num("ABS(neg)"), 2.5);  // function names ignore case
  // Folded constants give the same results.
  EXPECT_EQ(Num("max(3, 1, 2)"), 3);
  EXPECT_EQ(Num("round(2.5)"), 3);
}

TEST(ExpressionTest, TemperatureConversions) {
  Event e = MakeEvent();
  e.SetDouble(Sym("t"), 100);
  // Round values convert to round values, exactly.
  EXPECT_EQ(Num("c_to_f(t)", e), 212);
  EXPECT_EQ(Num("convert(t, 'C', 'F')", e), 212);
  EXPECT_EQ(Num("c_to_f(t / 4)", e), 77);
  EXPECT_EQ(Num("f_to_c(212 * t / 100)", e), 100);
  EXPECT_EQ(Num("c_to_k(t - 100)", e), 273.15);
  EXPECT_EQ(Num("k_to_c(t * 0)", e), -273.15);
  EXPECT_NEAR(Num("k_to_f(t - 100)", e), -459.67, 1e-9);
  EXPECT_NEAR(Num("f_to_k(t - 100 + 32)", e), 273.15, 1e-9);
  EXPECT_NEAR(Num("convert(t, 'degF', 'kelvin')", e), 310.927777, 1e-6);
  EXPECT_DOUBLE_EQ(Num("convert(-40, 'F', 'C')", e), -40);  // folded
}

TEST(ExpressionTest, PressureConversions) {
  Event e = MakeEvent();
  e.SetDouble(Sym("p"), 1);
  EXPECT_NEAR(Num("bar_to_psi(p)", e), 14.5038, 1e-4);
  EXPECT_NEAR(Num("psi_to_bar(p * 14.5038)", e), 1, 1e-5);
  EXPECT_NEAR(Num("psi_to_kpa(p)", e), 6.894757, 1e-6);
  EXPECT_NEAR(Num("kpa_to_psi(p * 6.894757)", e), 1, 1e-6);
  EXPECT_DOUBLE_EQ(Num("bar_to_kpa(p)", e), 100);
  EXPECT_DOUBLE_EQ(Num("kpa_to_bar(p * 100)", e), 1);
  EXPECT_DOUBLE_EQ(Num("hpa_to_kpa(p * 1013.25)", e), 101.325);
  EXPECT_DOUBLE_EQ(Num("kpa_to_hpa(p)", e), 10);
  EXPECT_DOUBLE_EQ(Num("convert(p, 'atm', 'Pa')", e), 101325);
  EXPECT_DOUBLE_EQ(Num("convert(p, 'MPa', 'kPa')", e), 1000);
  EXPECT_DOUBLE_EQ(Num("convert(p, 'mbar', 'hPa')", e), 1);
  EXPECT_NEAR(Num("convert(p * 760, 'mmHg', 'atm')", e), 1, 1e-6);
  EXPECT_NEAR(Num("convert(p, 'inHg', 'hPa')", e), 33.8639, 1e-4);
  EXPECT_NEAR(Num("convert(p, 'kpa', 'PSI')", e), 0.145038, 1e-6);  // case-insensitive
}

TEST(ExpressionTest, SpeedConversions) {
  Event e = MakeEvent();
  e.SetDouble(Sym("v"), 100);
  EXPECT_NEAR(Num("kmh_to_mph(v)", e), 62.1371, 1e-4);
  EXPECT_NEAR(Num("mph_to_kmh(v)", e), 160.9344, 1e-9);
  EXPECT_NEAR(Num("kmh_to_ms(v * 0.036)", e), 1, 1e-12);
  EXPECT_NEAR(Num("ms_to_kmh(v / 100)", e), 3.6, 1e-12);
  EXPECT_NEAR(Num("knots_to_kmh(v / 100)", e), 1.852, 1e-12);
  EXPECT_NEAR(Num("convert(v, 'km/h', 'm/s')", e), 27.7778, 1e-4);
  EXPECT_NEAR(Num("convert(v, 'mps', 'kmh')", e), 360, 1e-9);
  EXPECT_NEAR(Num("convert(v, 'kn', 'knot')", e), 100, 1e-9);
  EXPECT_NEAR(Num("convert(v, 'ft/s', 'm/s')", e), 30.48, 1e-9);
  EXPECT_NEAR(Num("convert(v, 'mph', 'ft/s')", e), 146.6667, 1e-4);
}

TEST(ExpressionTest, LengthConversions) {
  Event e = MakeEvent();
  e.SetDouble(Sym("d"), 1);
  EXPECT_DOUBLE_EQ(Num("ft_to_m(d)", e), 0.3048);
  EXPECT_NEAR(Num("m_to_ft(d * 0.3048)", e), 1, 1e-12);
  EXPECT_DOUBLE_EQ(Num("in_to_cm(d)", e), 2.54);
  EXPECT_NEAR(Num("cm_to_in(d * 2.54)", e), 1, 1e-12);
  EXPECT_DOUBLE_EQ(Num("mi_to_km(d)", e), 1.609344);
  EXPECT_NEAR(Num("km_to_mi(d * 1.609344)", e), 1, 1e-12);
  EXPECT_NEAR(Num("convert(d, 'nmi', 'm')", e), 1852, 1e-9);
  EXPECT_NEAR(Num("convert(d, 'yd', 'ft')", e), 3, 1e-12);
  EXPECT_NEAR(Num("convert(d, 'km', 'mm')", e), 1e6, 1e-6);
  EXPECT_NEAR(Num("convert(d, 'm', 'cm')", e), 100, 1e-12);
}

TEST(ExpressionTest, EveryShortcutMatchesConvert) {
  Event e = MakeEvent();
  e.SetDouble(Sym("x"), 37.5);
  for (const UnitShortcut& s : UnitShortcuts()) {
    const std::string shortcut = std::string(s.function) + "(x)";
    const std::string generic =
        "convert(x, '" + std::string(s.from) + "', '" + std::string(s.to) + "')";
    EXPECT_DOUBLE_EQ(Num(shortcut, e), Num(generic, e)) << shortcut;
  }
}

TEST(ExpressionTest, SyntaxErrors) {
  CompileError e = CompileFails("");
  EXPECT_EQ(e.message, "empty expression");
  EXPECT_EQ(e.column, 1u);
  EXPECT_EQ(CompileFails("   ").message, "empty expression");

  e = CompileFails("x > ");
  EXPECT_EQ(e.message, "unexpected end of expression");
  EXPECT_EQ(e.column, 5u);

  e = CompileFails("x > 1 y");
  EXPECT_EQ(e.message, "unexpected 'y' after a complete expression");
  EXPECT_EQ(e.column, 7u);
  EXPECT_FALSE(e.hint.empty());

  e = CompileFails("x == \"abc");
  EXPECT_EQ(e.message, "unterminated string");
  EXPECT_EQ(e.column, 6u);
  EXPECT_EQ(CompileFails("'abc\\").message, "unterminated string");

  e = CompileFails("(x > 1");
  EXPECT_EQ(e.message, "missing ')'");
  EXPECT_EQ(e.column, 7u);
  EXPECT_NE(e.hint.find("column 1"), std::string::npos) << e.hint;

  e = CompileFails("abs(x");
  EXPECT_EQ(e.message, "missing ')'");
  EXPECT_EQ(e.column, 6u);

  e = CompileFails("abs(x y)");
  EXPECT_EQ(e.message, "expected ',' or ')' but found 'y'");
  EXPECT_EQ(e.column, 7u);

  e = CompileFails("x > 1)");
  EXPECT_EQ(e.message, "unexpected ')'");
  EXPECT_EQ(e.column, 6u);

  e = CompileFails("x * / 2");
  EXPECT_EQ(e.message, "expected a value but found '/'");
  EXPECT_EQ(e.column, 5u);

  e = CompileFails("x = 1");
  EXPECT_EQ(e.message, "unexpected '='");
  EXPECT_EQ(e.column, 3u);
  EXPECT_NE(e.hint.find("=="), std::string::npos);

  e = CompileFails("a & b");
  EXPECT_EQ(e.column, 3u);
  e = CompileFails("x $ 1");
  EXPECT_EQ(e.message, "unexpected character '$'");
  EXPECT_EQ(e.column, 3u);

  e = CompileFails("temp°C > 1");
  EXPECT_EQ(e.message, "unexpected non-ASCII character");
  EXPECT_EQ(e.column, 5u);
  Event with_unicode = MakeEvent();
  with_unicode.SetDouble(Sym("temp°C"), 20);
  EXPECT_EQ(Num("`temp°C` + 1", with_unicode), 21);

  e = CompileFails("1 < x < 3");
  EXPECT_EQ(e.message, "comparisons cannot be chained");
  EXPECT_EQ(e.column, 7u);

  e = CompileFails("5x > 1");
  EXPECT_EQ(e.message, "invalid number '5x'");
  EXPECT_EQ(e.column, 1u);
  EXPECT_EQ(CompileFails("1e999").message, "number '1e999' is out of range");

  e = CompileFails("`unclosed > 1");
  EXPECT_EQ(e.message, "unterminated `name`");
  EXPECT_EQ(CompileFails("``").message, "empty field name ``");
  EXPECT_EQ(CompileFails("'\\q'").message, "unknown escape '\\q' in string");
  EXPECT_EQ(CompileFails("tags. == 'a'").message, "missing tag name after 'tags.'");
}

TEST(ExpressionTest, StatusMessageCarriesColumnAndHint) {
  auto compiled = Expression::Compile("x >");
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(compiled.status().message(),
            "at column 4: unexpected end of expression (a value is missing at the end)");
}

TEST(ExpressionTest, FunctionErrors) {
  CompileError e = CompileFails("mx(a, b)");
  EXPECT_EQ(e.message, "unknown function 'mx'");
  EXPECT_EQ(e.column, 1u);
  EXPECT_EQ(e.hint, "did you mean 'max'?");

  e = CompileFails("a + sqr(b)");
  EXPECT_EQ(e.column, 5u);
  EXPECT_EQ(e.hint, "did you mean 'sqrt'?");

  e = CompileFails("lower(status) == 'ok'");
  EXPECT_EQ(e.message, "unknown function 'lower'");
  EXPECT_NE(e.hint.find("iequals"), std::string::npos);

  e = CompileFails("abs(1, 2)");
  EXPECT_EQ(e.message, "abs() takes 1 argument, got 2");
  EXPECT_EQ(CompileFails("clamp(x, 1)").message, "clamp() takes 3 arguments, got 2");
  EXPECT_EQ(CompileFails("round()").message, "round() takes 1 or 2 arguments, got 0");
  EXPECT_EQ(CompileFails("max()").message, "max() takes at least 1 argument, got 0");
  EXPECT_EQ(CompileFails("if(a, b)").message, "if() takes 3 arguments, got 2");
  EXPECT_EQ(CompileFails("c_to_f(a, b)").message, "c_to_f() takes 1 argument, got 2");

  e = CompileFails("exists(a + 1)");
  EXPECT_EQ(e.message, "exists() takes a field name");
  EXPECT_EQ(e.column, 8u);

  e = CompileFails("sqrt('four')");
  EXPECT_EQ(e.message, "sqrt() needs a number, got a string");
  EXPECT_EQ(e.column, 6u);
  EXPECT_EQ(CompileFails("startswith(device, 5)").message,
            "startswith() needs a string, got a number");
  e = CompileFails("device + 1");
  EXPECT_EQ(e.message, "cannot apply '+' to a string");
  EXPECT_EQ(e.column, 8u);
  EXPECT_EQ(CompileFails("-tags.site").message, "cannot apply unary '-' to a string");
}

TEST(ExpressionTest, UnitErrors) {
  CompileError e = CompileFails("convert(p, \"psi\", \"C\")");
  EXPECT_EQ(e.message, "cannot convert psi to C");
  EXPECT_EQ(e.column, 19u);
  EXPECT_EQ(e.hint, "psi is a pressure unit and C a temperature unit");

  e = CompileFails("convert(p, 'psx', 'kPa')");
  EXPECT_EQ(e.message, "unknown unit 'psx'");
  EXPECT_EQ(e.column, 12u);
  EXPECT_EQ(e.hint, "did you mean 'psi'?");

  e = CompileFails("convert(p, unit, 'kPa')");
  EXPECT_EQ(e.message, "convert() needs the unit as a string constant");
  EXPECT_EQ(e.column, 12u);
  EXPECT_EQ(CompileFails("convert(p, 'bar')").message, "convert() takes 3 arguments, got 2");
  EXPECT_EQ(CompileFails("convert(device, 'm', 'ft')").column, 9u);
}

TEST(ExpressionTest, Fields) {
  const Expression e = MustCompile(
      "a + b > a and exists(c) and device == 'x' and tags.site == 'y' and time > 0 and "
      "`my field` > 1 and anomaly.score < b and coalesce(x, a) > 0");
  EXPECT_EQ(e.fields(),
            (std::vector<std::string>{"a", "b", "c", "my field", "anomaly.score", "x"}));
  EXPECT_TRUE(MustCompile("1 + 2").fields().empty());
  EXPECT_EQ(MustCompile("device").fields(), std::vector<std::string>{});
  EXPECT_EQ(e.text(),
            "a + b > a and exists(c) and device == 'x' and tags.site == 'y' and time > 0 and "
            "`my field` > 1 and anomaly.score < b and coalesce(x, a) > 0");
}

volatile size_t g_buffer_size = 64;
void* volatile g_escape = nullptr;

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ExpressionTest, NestingLimit) {
  // Within the limit.
  EXPECT_EQ(Num(Repeat("(", 40) + "a" + Repeat(")", 40)), 1);
  EXPECT_EQ(Num(Repeat("a + (", 40) + "a" + Repeat(")", 40)), 41);
  EXPECT_EQ(Num(Repeat("-", 40) + "a"), 1);

  for (const std::string& deep :
       {Repeat("(", 100) + "a" + Repeat(")", 100), Repeat("a + (", 100) + "a" + Repeat(")", 100),
        Repeat("-", 100) + "a", Repeat("not ", 100) + "a", Repeat("a ^ ", 100) + "a",
        Repeat("abs(", 100) + "a" + Repeat(")", 100)}) {
    const CompileError e = CompileFails(deep);
    EXPECT_EQ(e.message, "expression is nested too deeply (more than 64 levels)")
        << deep.substr(0, 20);
  }

  // Shallow nesting that still needs too many stack slots.
  const CompileError e = CompileFails(Repeat("clamp(a, b, ", 40) + "c" + Repeat(")", 40));
  EXPECT_EQ(e.message.rfind("expression is too complex", 0), 0u) << e.message;

  // A long flat chain needs two slots but is bounded in length.
  EXPECT_EQ(Num(std::string("a") + Repeat(" + a", 500)), 501);
  EXPECT_EQ(CompileFails(std::string("a") + Repeat(" + a", 3000)).message,
            "expression is too long (more than 2048 terms)");
}

TEST(ExpressionTest, CopiesShareTheProgram) {
  Event event = MakeEvent();
  Expression copy = MustCompile("0");
  {
    Expression original = MustCompile("if(running, 'on: ' , 'off')");
    copy = original;
    Expression moved = std::move(original);
    EXPECT_EQ(moved.Evaluate(event).text, "on: ");
  }
  EXPECT_EQ(copy.Evaluate(event).text, "on: ");
  EXPECT_EQ(copy.text(), "if(running, 'on: ' , 'off')");
}

TEST(ExpressionTest, EvaluateDoesNotAllocate) {
  const Event event = MakeEvent();
  std::vector<Expression> expressions;
  for (const char* text : {
           "temperature_f > -40 and temperature_f < 400",
           "if(exists(x), x, c_to_f(temperature_f)) + max(a, b, c)",
           "coalesce(x, tags.site) == 'plant-1' or startswith(device, 'press')",
           "iequals(status, 'ok') and istartswith(device, 'PRESS') and len(device) > 3",
           "convert(temperature_f, 'F', 'K') / 2 ^ 3 % 7",
           "round(sqrt(a * a + b * b), 2) + time",
           "device",
           "status",
       }) {
    expressions.push_back(MustCompile(text));
  }
  size_t allocations = 0;
  double sink = 0;
  {
    NoAllocationScope scope;
    for (int i = 0; i < 100; ++i) {
      for (const Expression& e : expressions) {
        const ExprValue v = e.Evaluate(event);
        sink += v.number + static_cast<double>(v.text.size());
      }
    }
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_GT(sink, 0);

  // The counter works (the buffer escapes, so the allocation cannot be elided).
  {
    NoAllocationScope scope;
    std::vector<char> buffer(g_buffer_size);
    g_escape = buffer.data();
    allocations = scope.allocations();
  }
  EXPECT_EQ(allocations, 1u);
}

}  // namespace
}  // namespace edgeflow
