// Expression: the small language of filters, computed fields and rule
// conditions, compiled once and evaluated without allocation.
//
// Syntax (full reference: docs/expressions.md):
//   numbers 1, 2.5, 1e-3; strings "text" or 'text'; true, false
//   fields by name (temperature_f, anomaly.score) or `any name` in backquotes;
//   `device` is the event's device id, `time` its event time in seconds since
//   the epoch, `tags.NAME` a tag
//   + - * / % ^ (power), unary -, comparisons < <= > >= == !=,
//   and / or / not (also && || !), parentheses
//   if(cond, a, b), exists(field), coalesce(a, b, ...), math functions,
//   string functions (startswith, endswith, contains, len, iequals,
//   istartswith), unit conversions (convert(x, "F", "C"), f_to_c(x), ...)
// Missing fields: an expression that reads a field the event lacks, or a
// number that is NaN, evaluates to Missing through arithmetic and functions;
// comparisons with Missing are false; `and`/`or`/`not` treat Missing as
// false (so does the condition of if()); exists() and coalesce() test for it.
// A filter drops events whose condition is false or Missing; `map` leaves a
// field unset when its value is Missing.
// Other values that are Missing: x / 0 and x % 0, a result that is NaN (such
// as sqrt(-1)), arithmetic or a numeric function applied to a string, and a
// string function applied to a number.
// Comparing: numbers and booleans compare numerically (true is 1), strings
// bytewise; a string and a number are unequal (== is false, != is true) and
// unordered (< <= > >= are false).
// Errors found at compile time: syntax, unknown functions (with a "did you
// mean" hint), wrong arity, non-constant or unknown units, incompatible units
// ("cannot convert psi to C"), arithmetic on a string constant, device or
// tag, and nesting deeper than 64 levels.
// Thread-safety: a compiled Expression is immutable; Evaluate() may be called
// from several threads at once. Copies share the compiled program.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/event.h"

namespace edgeflow {

enum class ExprType : uint8_t { kMissing, kNumber, kBool, kString };

// The result of evaluating an expression. A string result points into the
// event or the expression's constants: copy it before either changes.
struct ExprValue {
  ExprType type = ExprType::kMissing;
  double number = 0;  // kNumber, and kBool as 0/1
  bool boolean = false;
  std::string_view text;

  bool is_missing() const { return type == ExprType::kMissing; }
  // True only for a true boolean or a non-zero number.
  bool IsTrue() const {
    return (type == ExprType::kBool && boolean) || (type == ExprType::kNumber && number != 0);
  }
};

struct CompileError {
  std::string message;
  size_t column = 0;  // 1-based column in the expression text
  std::string hint;
};

class Expression {
 public:
  // Compiles `text`. On failure returns an InvalidConfig status whose message
  // is "at column N: ..." (use CompileDetailed for structured detail).
  static Result<Expression> Compile(std::string_view text);
  static Result<Expression> CompileDetailed(std::string_view text, CompileError* error);

  ExprValue Evaluate(const Event& event) const;
  // Convenience: IsTrue() of Evaluate (Missing is false).
  bool Test(const Event& event) const { return Evaluate(event).IsTrue(); }

  const std::string& text() const;
  // Names of the event fields the expression reads (not device/time/tags).
  const std::vector<std::string>& fields() const;

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  Expression(const Expression&);
  Expression& operator=(const Expression&);
  ~Expression();

 private:
  struct Program;
  explicit Expression(std::shared_ptr<const Program> program);
  std::shared_ptr<const Program> program_;
};

}  // namespace edgeflow
