// Internals of the expression language shared by the parser (which folds
// constants) and the evaluator: the value slot of the evaluation stack, the
// instruction set, and the semantics of every operator and function. Keeping
// one definition of each operation guarantees that a folded constant equals
// what evaluation would have produced. Not part of the public API.
// All functions are pure and thread-safe.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pipeline/expression.h"

namespace edgeflow::expression_internal {

// One value on the evaluation stack. Trivially default-constructible, so an
// array of them costs nothing to declare (ExprValue, with its member
// initialisers, would be zeroed on every evaluation). Numbers are never NaN:
// NaN becomes Missing.
struct Slot {
  double number;     // kNumber; kBool as 0/1
  const char* text;  // kString
  uint32_t length;   // kString
  ExprType type;
};

inline Slot MissingSlot() {
  Slot s;
  s.number = 0;
  s.text = nullptr;
  s.length = 0;
  s.type = ExprType::kMissing;
  return s;
}
inline Slot NumberSlot(double v) {
  Slot s = MissingSlot();
  if (v == v) {
    s.number = v;
    s.type = ExprType::kNumber;
  }
  return s;
}
inline Slot BoolSlot(bool v) {
  Slot s = MissingSlot();
  s.number = v ? 1 : 0;
  s.type = ExprType::kBool;
  return s;
}
inline Slot StringSlot(std::string_view v) {
  Slot s = MissingSlot();
  s.text = v.data();
  s.length = static_cast<uint32_t>(v.size());
  s.type = ExprType::kString;
  return s;
}

inline bool IsNumeric(const Slot& s) {
  return s.type == ExprType::kNumber || s.type == ExprType::kBool;
}
inline bool IsTrue(const Slot& s) { return IsNumeric(s) && s.number != 0; }
inline std::string_view TextOf(const Slot& s) { return std::string_view(s.text, s.length); }

inline ExprValue ToExprValue(const Slot& s) {
  ExprValue v;
  v.type = s.type;
  v.number = s.number;
  v.boolean = s.type == ExprType::kBool && s.number != 0;
  if (s.type == ExprType::kString) v.text = TextOf(s);
  return v;
}

// Instructions of the stack machine. Binary operators pop two values and push
// one; with Instr::rhs_const set, the right operand is constants[arg] instead
// of the top of the stack.
enum class Op : uint8_t {
  kConst,   // push constants[arg]
  kField,   // push the field whose Symbol id is arg
  kDevice,  // push the device id
  kTime,    // push the event time in seconds
  kTag,     // push the tag whose Symbol id is arg
  kNeg,
  kNot,
  kToBool,  // top = IsTrue(top)
  kExists,  // top = !is_missing(top)
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kJump,           // go to arg
  kAndJump,        // if !IsTrue(top): top = false, go to arg; else pop
  kOrJump,         // if IsTrue(top): top = true, go to arg; else pop
  kJumpIfNotTrue,  // pop; if it was not true go to arg
  kJumpIfPresent,  // if top is not Missing go to arg; else pop
  kCall,           // call function `fn` on the top `arity` values
  kLinear,         // top = (top * constants[arg] + constants[arg + 1]) / constants[arg + 2]
  kReturn,
};

// Functions evaluated by kCall. Special forms (if, exists, coalesce, convert)
// compile to other instructions.
enum class Fn : uint8_t {
  kAbs,
  kSqrt,
  kExp,
  kLn,
  kLog10,
  kLog2,
  kPow,
  kMin,  // binary; min(a, b, c) compiles to min(min(a, b), c)
  kMax,
  kFloor,
  kCeil,
  kRound,  // round(x) or round(x, digits)
  kTrunc,
  kClamp,
  kSign,
  kHypot,
  kSin,
  kCos,
  kTan,
  kAsin,
  kAcos,
  kAtan,
  kAtan2,
  kStartsWith,
  kEndsWith,
  kContains,
  kLen,
  kIEquals,
  kIStartsWith,
};

struct Instr {
  Op op;
  bool rhs_const = false;  // binary operators: right operand is constants[arg]
  Fn fn = Fn::kAbs;        // kCall
  uint8_t arity = 0;       // kCall
  uint32_t arg = 0;
};

// The most values the stack may hold during one evaluation.
inline constexpr int kMaxStackDepth = 64;

template <Op kOp>
inline Slot Arithmetic(const Slot& a, const Slot& b) {
  if (!IsNumeric(a) || !IsNumeric(b)) return MissingSlot();
  const double x = a.number;
  const double y = b.number;
  if constexpr (kOp == Op::kAdd) return NumberSlot(x + y);
  if constexpr (kOp == Op::kSub) return NumberSlot(x - y);
  if constexpr (kOp == Op::kMul) return NumberSlot(x * y);
  if constexpr (kOp == Op::kDiv) return y == 0 ? MissingSlot() : NumberSlot(x / y);
  if constexpr (kOp == Op::kMod) return y == 0 ? MissingSlot() : NumberSlot(std::fmod(x, y));
  if constexpr (kOp == Op::kPow) return NumberSlot(std::pow(x, y));
  return MissingSlot();
}

template <Op kOp>
inline bool CompareOrdered(auto x, auto y) {
  if constexpr (kOp == Op::kEq) return x == y;
  if constexpr (kOp == Op::kNe) return x != y;
  if constexpr (kOp == Op::kLt) return x < y;
  if constexpr (kOp == Op::kLe) return x <= y;
  if constexpr (kOp == Op::kGt) return x > y;
  if constexpr (kOp == Op::kGe) return x >= y;
  return false;
}

// Numbers and booleans compare numerically, strings bytewise; Missing makes
// every comparison false; a string and a number are unequal (== false,
// != true) and unordered (< <= > >= false).
template <Op kOp>
inline Slot Compare(const Slot& a, const Slot& b) {
  if (IsNumeric(a) && IsNumeric(b)) return BoolSlot(CompareOrdered<kOp>(a.number, b.number));
  if (a.type == ExprType::kString && b.type == ExprType::kString) {
    return BoolSlot(CompareOrdered<kOp>(TextOf(a), TextOf(b)));
  }
  if (a.type == ExprType::kMissing || b.type == ExprType::kMissing) return BoolSlot(false);
  return BoolSlot(kOp == Op::kNe);
}

inline Slot ApplyBinary(Op op, const Slot& a, const Slot& b) {
  switch (op) {
    case Op::kAdd: return Arithmetic<Op::kAdd>(a, b);
    case Op::kSub: return Arithmetic<Op::kSub>(a, b);
    case Op::kMul: return Arithmetic<Op::kMul>(a, b);
    case Op::kDiv: return Arithmetic<Op::kDiv>(a, b);
    case Op::kMod: return Arithmetic<Op::kMod>(a, b);
    case Op::kPow: return Arithmetic<Op::kPow>(a, b);
    case Op::kEq: return Compare<Op::kEq>(a, b);
    case Op::kNe: return Compare<Op::kNe>(a, b);
    case Op::kLt: return Compare<Op::kLt>(a, b);
    case Op::kLe: return Compare<Op::kLe>(a, b);
    case Op::kGt: return Compare<Op::kGt>(a, b);
    case Op::kGe: return Compare<Op::kGe>(a, b);
    default: return MissingSlot();
  }
}

inline Slot Negate(const Slot& a) { return IsNumeric(a) ? NumberSlot(-a.number) : MissingSlot(); }
inline Slot Not(const Slot& a) { return BoolSlot(!IsTrue(a)); }

inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

inline double Sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

inline double RoundTo(double x, double digits) {
  const double scale = std::pow(10.0, std::trunc(std::clamp(digits, -300.0, 300.0)));
  return std::round(x * scale) / scale;
}

// Calls `fn` on `args[0..arity)`; the compiler has checked the arity.
// Numeric functions of a non-number, and string functions of a non-string,
// return Missing.
inline Slot CallFunction(Fn fn, const Slot* args, int arity) {
  if (fn >= Fn::kStartsWith) {
    for (int i = 0; i < arity; ++i) {
      if (args[i].type != ExprType::kString) return MissingSlot();
    }
    const std::string_view a = TextOf(args[0]);
    switch (fn) {
      case Fn::kLen: return NumberSlot(static_cast<double>(a.size()));
      case Fn::kStartsWith: return BoolSlot(a.starts_with(TextOf(args[1])));
      case Fn::kEndsWith: return BoolSlot(a.ends_with(TextOf(args[1])));
      case Fn::kContains: return BoolSlot(a.find(TextOf(args[1])) != std::string_view::npos);
      case Fn::kIEquals: return BoolSlot(EqualsIgnoreCase(a, TextOf(args[1])));
      case Fn::kIStartsWith: {
        const std::string_view prefix = TextOf(args[1]);
        return BoolSlot(a.size() >= prefix.size() &&
                        EqualsIgnoreCase(a.substr(0, prefix.size()), prefix));
      }
      default: return MissingSlot();
    }
  }
  for (int i = 0; i < arity; ++i) {
    if (!IsNumeric(args[i])) return MissingSlot();
  }
  const double x = args[0].number;
  const double y = arity > 1 ? args[1].number : 0;
  switch (fn) {
    case Fn::kAbs: return NumberSlot(std::fabs(x));
    case Fn::kSqrt: return NumberSlot(std::sqrt(x));
    case Fn::kExp: return NumberSlot(std::exp(x));
    case Fn::kLn: return NumberSlot(std::log(x));
    case Fn::kLog10: return NumberSlot(std::log10(x));
    case Fn::kLog2: return NumberSlot(std::log2(x));
    case Fn::kPow: return NumberSlot(std::pow(x, y));
    case Fn::kMin: return NumberSlot(arity > 1 ? std::min(x, y) : x);
    case Fn::kMax: return NumberSlot(arity > 1 ? std::max(x, y) : x);
    case Fn::kFloor: return NumberSlot(std::floor(x));
    case Fn::kCeil: return NumberSlot(std::ceil(x));
    case Fn::kRound: return NumberSlot(arity > 1 ? RoundTo(x, y) : std::round(x));
    case Fn::kTrunc: return NumberSlot(std::trunc(x));
    case Fn::kClamp: return NumberSlot(std::min(std::max(x, y), args[2].number));
    case Fn::kSign: return NumberSlot(Sign(x));
    case Fn::kHypot: return NumberSlot(std::hypot(x, y));
    case Fn::kSin: return NumberSlot(std::sin(x));
    case Fn::kCos: return NumberSlot(std::cos(x));
    case Fn::kTan: return NumberSlot(std::tan(x));
    case Fn::kAsin: return NumberSlot(std::asin(x));
    case Fn::kAcos: return NumberSlot(std::acos(x));
    case Fn::kAtan: return NumberSlot(std::atan(x));
    case Fn::kAtan2: return NumberSlot(std::atan2(x, y));
    default: return MissingSlot();
  }
}

inline Slot ApplyLinear(const Slot& x, double scale, double offset, double divisor) {
  return IsNumeric(x) ? NumberSlot((x.number * scale + offset) / divisor) : MissingSlot();
}

}  // namespace edgeflow::expression_internal
