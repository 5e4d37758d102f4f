#include "pipeline/expression.h"

#include <algorithm>
#include <utility>

#include "pipeline/expression_internal.h"
#include "pipeline/expression_parser.h"

namespace edgeflow {
namespace expression_internal {
namespace {

// The compiled form: straight-line code with forward jumps. String constants
// point into `strings`, so a Bytecode must not move once finished.
struct Bytecode {
  std::vector<Instr> code;
  std::vector<Slot> constants;
  std::string strings;
  int max_depth = 0;
};

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt ||
         op == Op::kGe;
}

// a < b == b > a, and so on, for every comparison (Missing and mixed types
// compare the same in both orders).
Op Mirror(Op op) {
  switch (op) {
    case Op::kLt: return Op::kGt;
    case Op::kLe: return Op::kGe;
    case Op::kGt: return Op::kLt;
    case Op::kGe: return Op::kLe;
    default: return op;
  }
}

class CodeGen {
 public:
  explicit CodeGen(Bytecode* out) : out_(out) {}

  void Generate(const Node* root) {
    Gen(root);
    Emit({.op = Op::kReturn});
    for (const auto& [index, offset] : string_constants_) {
      out_->constants[index].text = out_->strings.data() + offset;
    }
    out_->max_depth = max_depth_;
  }

 private:
  uint32_t AddConst(Slot value) {
    const auto index = static_cast<uint32_t>(out_->constants.size());
    if (value.type == ExprType::kString) {
      string_constants_.emplace_back(index, out_->strings.size());
      out_->strings.append(TextOf(value));
      value.text = nullptr;  // set by Generate once `strings` stops growing
    }
    out_->constants.push_back(value);
    return index;
  }

  void Emit(Instr instr) { out_->code.push_back(instr); }
  size_t EmitJump(Op op) {
    Emit({.op = op});
    return out_->code.size() - 1;
  }
  void PatchJump(size_t at) { out_->code[at].arg = static_cast<uint32_t>(out_->code.size()); }

  void Push() {
    ++depth_;
    max_depth_ = std::max(max_depth_, depth_);
  }
  void Pop(int n = 1) { depth_ -= n; }

  void Gen(const Node* n) {
    switch (n->kind) {
      case NodeKind::kConst:
        Emit({.op = Op::kConst, .arg = AddConst(n->value)});
        Push();
        return;
      case NodeKind::kField:
        Emit({.op = Op::kField, .arg = n->symbol.id()});
        Push();
        return;
      case NodeKind::kTag:
        Emit({.op = Op::kTag, .arg = n->symbol.id()});
        Push();
        return;
      case NodeKind::kDevice:
        Emit({.op = Op::kDevice});
        Push();
        return;
      case NodeKind::kTime:
        Emit({.op = Op::kTime});
        Push();
        return;
      case NodeKind::kNeg:
        Gen(n->args[0]);
        Emit({.op = Op::kNeg});
        return;
      case NodeKind::kNot:
        Gen(n->args[0]);
        Emit({.op = Op::kNot});
        return;
      case NodeKind::kExists:
        Gen(n->args[0]);
        Emit({.op = Op::kExists});
        return;
      case NodeKind::kBinary: {
        const Node* left = n->args[0];
        const Node* right = n->args[1];
        if (right->kind == NodeKind::kConst) {
          Gen(left);
          Emit({.op = n->op, .rhs_const = true, .arg = AddConst(right->value)});
        } else if (left->kind == NodeKind::kConst && IsComparison(n->op)) {
          Gen(right);
          Emit({.op = Mirror(n->op), .rhs_const = true, .arg = AddConst(left->value)});
        } else {
          Gen(left);
          Gen(right);
          Emit({.op = n->op});
          Pop();
        }
        return;
      }
      case NodeKind::kAnd:
      case NodeKind::kOr: {
        Gen(n->args[0]);
        const size_t jump = EmitJump(n->kind == NodeKind::kAnd ? Op::kAndJump : Op::kOrJump);
        Pop();
        Gen(n->args[1]);
        Emit({.op = Op::kToBool});
        PatchJump(jump);
        return;
      }
      case NodeKind::kIf: {
        Gen(n->args[0]);
        const size_t to_else = EmitJump(Op::kJumpIfNotTrue);
        Pop();
        Gen(n->args[1]);
        const size_t to_end = EmitJump(Op::kJump);
        Pop();
        PatchJump(to_else);
        Gen(n->args[2]);
        PatchJump(to_end);
        return;
      }
      case NodeKind::kCoalesce: {
        std::vector<size_t> to_end;
        for (size_t i = 0; i + 1 < n->args.size(); ++i) {
          Gen(n->args[i]);
          to_end.push_back(EmitJump(Op::kJumpIfPresent));
          Pop();
        }
        Gen(n->args.back());
        for (size_t at : to_end) PatchJump(at);
        return;
      }
      case NodeKind::kCall: {
        if (n->fn == Fn::kMin || n->fn == Fn::kMax) {
          // Pairwise, so the stack never holds more than two arguments.
          Gen(n->args[0]);
          if (n->args.size() == 1) Emit({.op = Op::kCall, .fn = n->fn, .arity = 1});
          for (size_t i = 1; i < n->args.size(); ++i) {
            Gen(n->args[i]);
            Emit({.op = Op::kCall, .fn = n->fn, .arity = 2});
            Pop();
          }
          return;
        }
        for (const Node* arg : n->args) Gen(arg);
        const auto arity = static_cast<uint8_t>(n->args.size());
        Emit({.op = Op::kCall, .fn = n->fn, .arity = arity});
        Pop(arity - 1);
        return;
      }
      case NodeKind::kConvert: {
        Gen(n->args[0]);
        const uint32_t scale = AddConst(NumberSlot(n->transform.scale));
        AddConst(NumberSlot(n->transform.offset));
        AddConst(NumberSlot(n->transform.divisor));
        Emit({.op = Op::kLinear, .arg = scale});
        return;
      }
    }
  }

  Bytecode* out_;
  std::vector<std::pair<uint32_t, size_t>> string_constants_;  // (constant, offset)
  int depth_ = 0;
  int max_depth_ = 0;
};

Slot LoadField(const Event& event, Symbol name) {
  const Value* v = event.Find(name);
  if (v == nullptr) return MissingSlot();
  switch (v->type) {
    case ValueType::kDouble: return NumberSlot(v->d);  // NaN becomes Missing
    case ValueType::kInt: return NumberSlot(static_cast<double>(v->i));
    case ValueType::kBool: return BoolSlot(v->b);
    case ValueType::kString: return StringSlot(event.Text(*v));
    case ValueType::kNull: return MissingSlot();
  }
  return MissingSlot();
}

Slot LoadTag(const Event& event, Symbol name) {
  const Value* v = event.FindTag(name);
  if (v == nullptr || v->type != ValueType::kString) return MissingSlot();
  return StringSlot(event.Text(*v));
}

Status CompileFailure(const CompileError& error) {
  std::string message = "at column ";
  message += std::to_string(error.column);
  message += ": ";
  message += error.message;
  if (!error.hint.empty()) {
    message += " (";
    message += error.hint;
    message += ")";
  }
  return InvalidConfig(std::move(message));
}

}  // namespace
}  // namespace expression_internal

using expression_internal::Bytecode;
using expression_internal::Instr;
using expression_internal::Op;
using expression_internal::Slot;

struct Expression::Program {
  std::string text;
  std::vector<std::string> fields;
  Bytecode bytecode;
};

Result<Expression> Expression::Compile(std::string_view text) {
  return CompileDetailed(text, nullptr);
}

Result<Expression> Expression::CompileDetailed(std::string_view text, CompileError* error) {
  namespace ei = expression_internal;
  CompileError local;
  CompileError* err = error != nullptr ? error : &local;
  *err = CompileError();
  ei::SyntaxTree tree;
  if (!ei::ParseExpression(text, &tree, err)) return ei::CompileFailure(*err);

  // Generate in place: string constants point into the program's own buffer.
  auto program = std::make_shared<Program>();
  program->text = std::string(text);
  program->fields = std::move(tree.fields);
  ei::CodeGen(&program->bytecode).Generate(tree.root);
  if (program->bytecode.max_depth > ei::kMaxStackDepth) {
    err->message = "expression is too complex: it needs ";
    err->message += std::to_string(program->bytecode.max_depth);
    err->message += " evaluation stack slots, the limit is ";
    err->message += std::to_string(ei::kMaxStackDepth);
    err->column = 1;
    err->hint = "split it into several computed fields";
    return ei::CompileFailure(*err);
  }
  return Expression(std::shared_ptr<const Program>(std::move(program)));
}

ExprValue Expression::Evaluate(const Event& event) const {
  namespace ei = expression_internal;
  const Bytecode& bc = program_->bytecode;
  const Instr* const code = bc.code.data();
  const Slot* const constants = bc.constants.data();
  Slot stack[ei::kMaxStackDepth];  // uninitialised: Slot is trivial
  Slot* sp = stack;                // next free slot; the top is sp[-1]
  size_t ip = 0;

#define EF_EXPR_BINARY(OP, FN)                                         \
  case Op::OP: {                                                       \
    const Slot rhs = in.rhs_const ? constants[in.arg] : *--sp;         \
    sp[-1] = ei::FN<Op::OP>(sp[-1], rhs);                              \
    break;                                                             \
  }

  while (true) {
    const Instr& in = code[ip++];
    switch (in.op) {
      case Op::kConst: *sp++ = constants[in.arg]; break;
      case Op::kField: *sp++ = ei::LoadField(event, Symbol::FromId(in.arg)); break;
      case Op::kDevice:
        *sp++ = event.device.empty() ? ei::MissingSlot() : ei::StringSlot(event.device.name());
        break;
      case Op::kTime:
        *sp++ = ei::NumberSlot(static_cast<double>(event.time) / kMicrosPerSecond);
        break;
      case Op::kTag: *sp++ = ei::LoadTag(event, Symbol::FromId(in.arg)); break;
      case Op::kNeg: sp[-1] = ei::Negate(sp[-1]); break;
      case Op::kNot: sp[-1] = ei::Not(sp[-1]); break;
      case Op::kToBool: sp[-1] = ei::BoolSlot(ei::IsTrue(sp[-1])); break;
      case Op::kExists: sp[-1] = ei::BoolSlot(sp[-1].type != ExprType::kMissing); break;
      EF_EXPR_BINARY(kAdd, Arithmetic)
      EF_EXPR_BINARY(kSub, Arithmetic)
      EF_EXPR_BINARY(kMul, Arithmetic)
      EF_EXPR_BINARY(kDiv, Arithmetic)
      EF_EXPR_BINARY(kMod, Arithmetic)
      EF_EXPR_BINARY(kPow, Arithmetic)
      EF_EXPR_BINARY(kEq, Compare)
      EF_EXPR_BINARY(kNe, Compare)
      EF_EXPR_BINARY(kLt, Compare)
      EF_EXPR_BINARY(kLe, Compare)
      EF_EXPR_BINARY(kGt, Compare)
      EF_EXPR_BINARY(kGe, Compare)
      case Op::kJump: ip = in.arg; break;
      case Op::kAndJump:
        if (!ei::IsTrue(sp[-1])) {
          sp[-1] = ei::BoolSlot(false);
          ip = in.arg;
        } else {
          --sp;
        }
        break;
      case Op::kOrJump:
        if (ei::IsTrue(sp[-1])) {
          sp[-1] = ei::BoolSlot(true);
          ip = in.arg;
        } else {
          --sp;
        }
        break;
      case Op::kJumpIfNotTrue:
        if (!ei::IsTrue(*--sp)) ip = in.arg;
        break;
      case Op::kJumpIfPresent:
        if (sp[-1].type != ExprType::kMissing) {
          ip = in.arg;
        } else {
          --sp;
        }
        break;
      case Op::kCall:
        sp -= in.arity;
        *sp = ei::CallFunction(in.fn, sp, in.arity);
        ++sp;
        break;
      case Op::kLinear:
        sp[-1] = ei::ApplyLinear(sp[-1], constants[in.arg].number, constants[in.arg + 1].number,
                                 constants[in.arg + 2].number);
        break;
      case Op::kReturn: return ei::ToExprValue(sp[-1]);
    }
  }
#undef EF_EXPR_BINARY
}

const std::string& Expression::text() const { return program_->text; }
const std::vector<std::string>& Expression::fields() const { return program_->fields; }

Expression::Expression(std::shared_ptr<const Program> program) : program_(std::move(program)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;
Expression::~Expression() = default;

}  // namespace edgeflow
