// Fuzzes Expression::Compile (src/pipeline/expression.h) on the input text;
// when it compiles, evaluates it on a small event holding a double, an int,
// a bool and a string field and a tag (and on an empty event, where every
// field is Missing). Compile errors are fine; crashes, sanitizer reports and
// broken invariants are not:
//   * a number result is never NaN (NaN is Missing);
//   * a compile error is "at column N: ..." with N within the text (+1);
//   * evaluating twice gives the same value (Evaluate is pure);
//   * a copied Expression evaluates alike.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "pipeline/expression.h"
#include "fuzz_check.h"

namespace edgeflow {
namespace {

using edgeflow::fuzz::Fail;

bool Same(const ExprValue& a, const ExprValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ExprType::kMissing: return true;
    case ExprType::kBool: return a.boolean == b.boolean;
    case ExprType::kString: return a.text == b.text;
    case ExprType::kNumber:
      return a.number == b.number || (std::isnan(a.number) && std::isnan(b.number));
  }
  return false;
}

// "a result that is NaN ... is Missing" (expression.h).
void CheckValue(const ExprValue& v) {
  (void)v.IsTrue();
  if (v.type == ExprType::kNumber && std::isnan(v.number)) Fail("a NaN number is not Missing");
}

const Event& SampleEvent() {
  static const Event* event = [] {
    auto* e = new Event();  // lives for the process, like the symbols
    e->time = 1'700'000'000LL * kMicrosPerSecond + 123'456;
    e->device = Symbol::Intern("press-0042");
    e->SetDouble(Symbol::Intern("temperature_f"), 71.3);
    e->SetDouble(Symbol::Intern("anomaly.score"), -0.5);
    e->SetInt(Symbol::Intern("count"), 42);
    e->SetBool(Symbol::Intern("ok"), true);
    e->SetString(Symbol::Intern("status"), "running");
    e->SetTag(Symbol::Intern("site"), "plant-3");
    return e;
  }();
  return *event;
}

}  // namespace
}  // namespace edgeflow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeflow;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  CompileError error;
  Result<Expression> compiled = Expression::CompileDetailed(text, &error);
  if (!compiled.ok()) {
    if (error.column < 1 || error.column > text.size() + 1) Fail("error column outside the text");
    if (error.message.empty()) Fail("compile error without a message");
    return 0;
  }
  const Expression& expr = *compiled;
  if (expr.text() != text) Fail("text() differs from the source");

  const Event& event = SampleEvent();
  const ExprValue v1 = expr.Evaluate(event);
  CheckValue(v1);
  const ExprValue v2 = expr.Evaluate(event);
  if (!Same(v1, v2)) Fail("two evaluations differ");
  const Expression copy = expr;  // NOLINT: testing the copy
  if (!Same(v1, copy.Evaluate(event))) Fail("a copy evaluates differently");
  (void)expr.Test(event);

  static const Event empty;
  CheckValue(expr.Evaluate(empty));
  return 0;
}
