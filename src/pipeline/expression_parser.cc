#include "pipeline/expression_parser.h"

#include <charconv>
#include <initializer_list>
#include <optional>
#include <utility>

#include "config/diagnostics.h"

namespace edgeflow::expression_internal {
namespace {

enum class Tok : uint8_t {
  kEnd,
  kNumber,
  kString,
  kIdent,
  kQuotedIdent,
  kLParen,
  kRParen,
  kComma,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kCaret,
  kLt,
  kLe,
  kGt,
  kGe,
  kEq,
  kNe,
  kNot,
  kAnd,
  kOr,
  kTrue,
  kFalse,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;         // byte offset of the token's first character
  std::string_view raw;   // the token as written
  std::string_view text;  // identifier name, or decoded string literal
  double number = 0;
};

enum class ArgKind : uint8_t { kNumber, kString };

struct FunctionInfo {
  std::string_view name;
  Fn fn;
  int min_args;
  int max_args;  // -1: any number
  ArgKind args;
};

constexpr FunctionInfo kFunctions[] = {
    {"abs", Fn::kAbs, 1, 1, ArgKind::kNumber},
    {"sqrt", Fn::kSqrt, 1, 1, ArgKind::kNumber},
    {"exp", Fn::kExp, 1, 1, ArgKind::kNumber},
    {"ln", Fn::kLn, 1, 1, ArgKind::kNumber},
    {"log", Fn::kLn, 1, 1, ArgKind::kNumber},
    {"log10", Fn::kLog10, 1, 1, ArgKind::kNumber},
    {"log2", Fn::kLog2, 1, 1, ArgKind::kNumber},
    {"pow", Fn::kPow, 2, 2, ArgKind::kNumber},
    {"min", Fn::kMin, 1, -1, ArgKind::kNumber},
    {"max", Fn::kMax, 1, -1, ArgKind::kNumber},
    {"floor", Fn::kFloor, 1, 1, ArgKind::kNumber},
    {"ceil", Fn::kCeil, 1, 1, ArgKind::kNumber},
    {"round", Fn::kRound, 1, 2, ArgKind::kNumber},
    {"trunc", Fn::kTrunc, 1, 1, ArgKind::kNumber},
    {"clamp", Fn::kClamp, 3, 3, ArgKind::kNumber},
    {"sign", Fn::kSign, 1, 1, ArgKind::kNumber},
    {"hypot", Fn::kHypot, 2, 2, ArgKind::kNumber},
    {"sin", Fn::kSin, 1, 1, ArgKind::kNumber},
    {"cos", Fn::kCos, 1, 1, ArgKind::kNumber},
    {"tan", Fn::kTan, 1, 1, ArgKind::kNumber},
    {"asin", Fn::kAsin, 1, 1, ArgKind::kNumber},
    {"acos", Fn::kAcos, 1, 1, ArgKind::kNumber},
    {"atan", Fn::kAtan, 1, 1, ArgKind::kNumber},
    {"atan2", Fn::kAtan2, 2, 2, ArgKind::kNumber},
    {"startswith", Fn::kStartsWith, 2, 2, ArgKind::kString},
    {"endswith", Fn::kEndsWith, 2, 2, ArgKind::kString},
    {"contains", Fn::kContains, 2, 2, ArgKind::kString},
    {"len", Fn::kLen, 1, 1, ArgKind::kString},
    {"iequals", Fn::kIEquals, 2, 2, ArgKind::kString},
    {"istartswith", Fn::kIStartsWith, 2, 2, ArgKind::kString},
};

// Functions the compiler handles itself (lazy or with constant arguments).
constexpr std::string_view kSpecialForms[] = {"if", "exists", "coalesce", "convert"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.'; }

// Concatenates text. (Messages built as `"literal" + std::string(...)` trip a
// false -Wrestrict in GCC 12 at -O3.)
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string Plural(int n, std::string_view word) {
  return Cat({std::to_string(n), " ", word, n == 1 ? "" : "s"});
}

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
    case Op::kPow: return "^";
    case Op::kEq: return "==";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    default: return "?";
  }
}

std::string_view TypeName(StaticType t) {
  switch (t) {
    case StaticType::kNumber: return "a number";
    case StaticType::kString: return "a string";
    case StaticType::kAny: return "a value";
  }
  return "a value";
}

StaticType Join(StaticType a, StaticType b) { return a == b ? a : StaticType::kAny; }

class Parser {
 public:
  Parser(std::string_view text, SyntaxTree* tree, CompileError* error)
      : text_(text), tree_(tree), error_(error) {}

  bool Run() {
    if (!Lex()) return false;
    if (tok_.kind == Tok::kEnd) {
      Fail(0, "empty expression", "write a condition or value, e.g. temperature > 30");
      return false;
    }
    Node* root = ParseOr();
    if (root == nullptr) return false;
    if (tok_.kind != Tok::kEnd) {
      if (tok_.kind == Tok::kRParen) {
        Fail(tok_.pos, "unexpected ')'", "there is no '(' for it to close");
      } else {
        Fail(tok_.pos, Cat({"unexpected ", Describe(tok_), " after a complete expression"}),
             "is an operator such as 'and' or '+' missing before it?");
      }
      return false;
    }
    if (tree_->nodes.size() > kMaxNodes) {
      Fail(0, Cat({"expression is too long (more than ", std::to_string(kMaxNodes), " terms)"}),
           "split it into several computed fields");
      return false;
    }
    tree_->root = root;
    return true;
  }

 private:
  // Records the first error; returns null so parse functions can `return Fail(...)`.
  std::nullptr_t Fail(size_t pos, std::string message, std::string hint = {}) {
    if (!failed_) {
      failed_ = true;
      error_->message = std::move(message);
      error_->column = pos + 1;
      error_->hint = std::move(hint);
    }
    return nullptr;
  }

  static std::string Describe(const Token& t) {
    if (t.kind == Tok::kEnd) return "end of expression";
    return Cat({"'", t.raw, "'"});
  }

  // ---- Lexer ----

  bool Lex() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
    tok_ = Token();
    tok_.pos = pos_;
    if (pos_ >= text_.size()) return true;
    const char c = text_[pos_];
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    if (IsDigit(c) || (c == '.' && IsDigit(next))) return LexNumber();
    if (IsIdentStart(c)) return LexIdentifier();
    if (c == '`') return LexQuotedIdentifier();
    if (c == '"' || c == '\'') return LexString(c);
    auto op = [&](Tok kind, size_t length) {
      tok_.kind = kind;
      tok_.raw = text_.substr(pos_, length);
      pos_ += length;
      return true;
    };
    switch (c) {
      case '(': return op(Tok::kLParen, 1);
      case ')': return op(Tok::kRParen, 1);
      case ',': return op(Tok::kComma, 1);
      case '+': return op(Tok::kPlus, 1);
      case '-': return op(Tok::kMinus, 1);
      case '*': return op(Tok::kStar, 1);
      case '/': return op(Tok::kSlash, 1);
      case '%': return op(Tok::kPercent, 1);
      case '^': return op(Tok::kCaret, 1);
      case '<': return next == '=' ? op(Tok::kLe, 2) : op(Tok::kLt, 1);
      case '>': return next == '=' ? op(Tok::kGe, 2) : op(Tok::kGt, 1);
      case '!': return next == '=' ? op(Tok::kNe, 2) : op(Tok::kNot, 1);
      case '=':
        if (next == '=') return op(Tok::kEq, 2);
        Fail(pos_, "unexpected '='", "use '==' to compare");
        return false;
      case '&':
        if (next == '&') return op(Tok::kAnd, 2);
        Fail(pos_, "unexpected '&'", "use '&&' or 'and'");
        return false;
      case '|':
        if (next == '|') return op(Tok::kOr, 2);
        Fail(pos_, "unexpected '|'", "use '||' or 'or'");
        return false;
      default:
        if (static_cast<unsigned char>(c) >= 0x80) {
          Fail(pos_, "unexpected non-ASCII character",
               "put names with such characters in backquotes: `temp °C`");
        } else {
          Fail(pos_, Cat({"unexpected character '", std::string_view(&c, 1), "'"}));
        }
        return false;
    }
  }

  bool LexNumber() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && IsDigit(text_[p])) {
        while (p < text_.size() && IsDigit(text_[p])) ++p;
        pos_ = p;
      }
    }
    if (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      Fail(start, Cat({"invalid number '", text_.substr(start, pos_ - start), "'"}),
           "names cannot start with a digit; quote them in backquotes: `2nd_temp`");
      return false;
    }
    tok_.kind = Tok::kNumber;
    tok_.raw = text_.substr(start, pos_ - start);
    const auto [end, ec] = std::from_chars(tok_.raw.data(), tok_.raw.data() + tok_.raw.size(),
                                           tok_.number);
    if (ec == std::errc::result_out_of_range) {
      Fail(start, Cat({"number '", tok_.raw, "' is out of range"}));
      return false;
    }
    if (ec != std::errc() || end != tok_.raw.data() + tok_.raw.size()) {
      Fail(start, Cat({"invalid number '", tok_.raw, "'"}));
      return false;
    }
    return true;
  }

  bool LexIdentifier() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    tok_.raw = text_.substr(start, pos_ - start);
    tok_.text = tok_.raw;
    const std::string lower = Lowercase(tok_.raw);
    if (lower == "and") {
      tok_.kind = Tok::kAnd;
    } else if (lower == "or") {
      tok_.kind = Tok::kOr;
    } else if (lower == "not") {
      tok_.kind = Tok::kNot;
    } else if (lower == "true") {
      tok_.kind = Tok::kTrue;
    } else if (lower == "false") {
      tok_.kind = Tok::kFalse;
    } else {
      tok_.kind = Tok::kIdent;
    }
    return true;
  }

  bool LexQuotedIdentifier() {
    const size_t start = pos_;
    const size_t close = text_.find('`', start + 1);
    if (close == std::string_view::npos) {
      Fail(start, "unterminated `name`", "close the field name with a backquote (`)");
      return false;
    }
    if (close == start + 1) {
      Fail(start, "empty field name ``");
      return false;
    }
    tok_.kind = Tok::kQuotedIdent;
    tok_.raw = text_.substr(start, close + 1 - start);
    tok_.text = text_.substr(start + 1, close - start - 1);
    pos_ = close + 1;
    return true;
  }

  bool LexString(char quote) {
    const size_t start = pos_;
    std::string value;
    size_t p = start + 1;
    while (true) {
      if (p >= text_.size()) {
        Fail(start, "unterminated string", Cat({"close it with ", std::string_view(&quote, 1)}));
        return false;
      }
      const char c = text_[p];
      if (c == quote) break;
      if (c == '\\') {
        if (p + 1 >= text_.size()) {
          p = text_.size();  // reported as unterminated next round
          continue;
        }
        const char e = text_[p + 1];
        switch (e) {
          case '\\': value += '\\'; break;
          case '"': value += '"'; break;
          case '\'': value += '\''; break;
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case 'r': value += '\r'; break;
          default:
            Fail(p, Cat({"unknown escape '\\", std::string_view(&e, 1), "' in string"}),
                 "known escapes are \\\\ \\\" \\' \\n \\t \\r");
            return false;
        }
        p += 2;
        continue;
      }
      value += c;
      ++p;
    }
    tok_.kind = Tok::kString;
    tok_.raw = text_.substr(start, p + 1 - start);
    tok_.text = tree_->strings.emplace_back(std::move(value));
    pos_ = p + 1;
    return true;
  }

  // ---- Parser ----

  // Counts nesting; fails beyond kMaxNesting.
  class NestingGuard {
   public:
    explicit NestingGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~NestingGuard() { --p_->depth_; }
    bool ok() const { return p_->depth_ <= kMaxNesting; }

   private:
    Parser* p_;
  };
  std::nullptr_t FailTooDeep() {
    return Fail(tok_.pos,
                Cat({"expression is nested too deeply (more than ", std::to_string(kMaxNesting),
                     " levels)"}),
                "split it into several computed fields");
  }

  Node* ParseOr() {
    Node* left = ParseAnd();
    while (left != nullptr && tok_.kind == Tok::kOr) {
      if (!Lex()) return nullptr;
      Node* right = ParseAnd();
      if (right == nullptr) return nullptr;
      left = MakeLogical(NodeKind::kOr, left, right);
    }
    return left;
  }

  Node* ParseAnd() {
    Node* left = ParseNot();
    while (left != nullptr && tok_.kind == Tok::kAnd) {
      if (!Lex()) return nullptr;
      Node* right = ParseNot();
      if (right == nullptr) return nullptr;
      left = MakeLogical(NodeKind::kAnd, left, right);
    }
    return left;
  }

  Node* ParseNot() {
    if (tok_.kind != Tok::kNot) return ParseComparison();
    NestingGuard guard(this);
    if (!guard.ok()) return FailTooDeep();
    const size_t pos = tok_.pos;
    if (!Lex()) return nullptr;
    Node* operand = ParseNot();
    if (operand == nullptr) return nullptr;
    if (operand->kind == NodeKind::kConst) return MakeConst(Not(operand->value), pos);
    Node* n = NewNode(NodeKind::kNot, pos);
    n->type = StaticType::kNumber;
    n->args = {operand};
    return n;
  }

  static std::optional<Op> ComparisonOp(Tok t) {
    switch (t) {
      case Tok::kEq: return Op::kEq;
      case Tok::kNe: return Op::kNe;
      case Tok::kLt: return Op::kLt;
      case Tok::kLe: return Op::kLe;
      case Tok::kGt: return Op::kGt;
      case Tok::kGe: return Op::kGe;
      default: return std::nullopt;
    }
  }

  Node* ParseComparison() {
    Node* left = ParseAdditive();
    if (left == nullptr) return nullptr;
    const std::optional<Op> op = ComparisonOp(tok_.kind);
    if (!op) return left;
    const size_t op_pos = tok_.pos;
    if (!Lex()) return nullptr;
    Node* right = ParseAdditive();
    if (right == nullptr) return nullptr;
    if (ComparisonOp(tok_.kind)) {
      return Fail(tok_.pos, "comparisons cannot be chained",
                  "write 'a < b and b < c' instead of 'a < b < c'");
    }
    return MakeBinary(*op, left, right, op_pos);
  }

  Node* ParseAdditive() {
    Node* left = ParseMultiplicative();
    while (left != nullptr && (tok_.kind == Tok::kPlus || tok_.kind == Tok::kMinus)) {
      const Op op = tok_.kind == Tok::kPlus ? Op::kAdd : Op::kSub;
      const size_t op_pos = tok_.pos;
      if (!Lex()) return nullptr;
      Node* right = ParseMultiplicative();
      if (right == nullptr) return nullptr;
      left = MakeBinary(op, left, right, op_pos);
    }
    return left;
  }

  Node* ParseMultiplicative() {
    Node* left = ParseUnary();
    while (left != nullptr && (tok_.kind == Tok::kStar || tok_.kind == Tok::kSlash ||
                               tok_.kind == Tok::kPercent)) {
      const Op op = tok_.kind == Tok::kStar ? Op::kMul
                    : tok_.kind == Tok::kSlash ? Op::kDiv
                                               : Op::kMod;
      const size_t op_pos = tok_.pos;
      if (!Lex()) return nullptr;
      Node* right = ParseUnary();
      if (right == nullptr) return nullptr;
      left = MakeBinary(op, left, right, op_pos);
    }
    return left;
  }

  Node* ParseUnary() {
    NestingGuard guard(this);
    if (!guard.ok()) return FailTooDeep();
    if (tok_.kind != Tok::kMinus && tok_.kind != Tok::kPlus) return ParsePower();
    const bool negate = tok_.kind == Tok::kMinus;
    const size_t pos = tok_.pos;
    if (!Lex()) return nullptr;
    Node* operand = ParseUnary();
    if (operand == nullptr) return nullptr;
    if (operand->type == StaticType::kString) {
      return Fail(pos, Cat({"cannot apply unary '", negate ? "-" : "+", "' to a string"}));
    }
    if (!negate) return operand;
    if (operand->kind == NodeKind::kConst) return MakeConst(Negate(operand->value), pos);
    Node* n = NewNode(NodeKind::kNeg, pos);
    n->type = StaticType::kNumber;
    n->args = {operand};
    return n;
  }

  Node* ParsePower() {
    Node* base = ParsePrimary();
    if (base == nullptr || tok_.kind != Tok::kCaret) return base;
    const size_t op_pos = tok_.pos;
    if (!Lex()) return nullptr;
    Node* exponent = ParseUnary();  // right-associative: 2^3^2 = 2^9; 2^-1 = 0.5
    if (exponent == nullptr) return nullptr;
    return MakeBinary(Op::kPow, base, exponent, op_pos);
  }

  Node* ParsePrimary() {
    const Token t = tok_;
    switch (t.kind) {
      case Tok::kNumber:
        if (!Lex()) return nullptr;
        return MakeConst(NumberSlot(t.number), t.pos);
      case Tok::kString:
        if (!Lex()) return nullptr;
        return MakeConst(StringSlot(t.text), t.pos);
      case Tok::kTrue:
      case Tok::kFalse:
        if (!Lex()) return nullptr;
        return MakeConst(BoolSlot(t.kind == Tok::kTrue), t.pos);
      case Tok::kQuotedIdent:
        if (!Lex()) return nullptr;
        return MakeField(t.text, t.pos);
      case Tok::kIdent: {
        if (!Lex()) return nullptr;
        if (tok_.kind == Tok::kLParen) return ParseCall(t);
        return MakeReference(t);
      }
      case Tok::kLParen: {
        if (!Lex()) return nullptr;
        Node* inner = ParseOr();
        if (inner == nullptr) return nullptr;
        if (tok_.kind != Tok::kRParen) {
          return Fail(tok_.pos,
                      tok_.kind == Tok::kEnd ? std::string("missing ')'")
                                             : Cat({"expected ')' but found ", Describe(tok_)}),
                      Cat({"the '(' at column ", std::to_string(t.pos + 1), " is not closed"}));
        }
        if (!Lex()) return nullptr;
        return inner;
      }
      case Tok::kEnd:
        return Fail(t.pos, "unexpected end of expression", "a value is missing at the end");
      case Tok::kRParen:
        return Fail(t.pos, "unexpected ')'", "a value is missing before it");
      default:
        return Fail(t.pos, Cat({"expected a value but found ", Describe(t)}));
    }
  }

  Node* ParseCall(const Token& name) {
    // tok_ is the '('.
    const size_t open_pos = tok_.pos;
    if (!Lex()) return nullptr;
    std::vector<Node*> args;
    if (tok_.kind == Tok::kRParen) {
      if (!Lex()) return nullptr;
      return MakeCall(name, std::move(args));
    }
    while (true) {
      Node* arg = ParseOr();
      if (arg == nullptr) return nullptr;
      args.push_back(arg);
      if (tok_.kind == Tok::kComma) {
        if (!Lex()) return nullptr;
        continue;
      }
      if (tok_.kind == Tok::kRParen) break;
      return Fail(tok_.pos,
                  tok_.kind == Tok::kEnd ? std::string("missing ')'")
                                         : Cat({"expected ',' or ')' but found ", Describe(tok_)}),
                  Cat({"the '(' of ", name.text, "() at column ", std::to_string(open_pos + 1),
                       " is not closed"}));
    }
    if (!Lex()) return nullptr;
    return MakeCall(name, std::move(args));
  }

  // ---- Tree building, checking and folding ----

  Node* NewNode(NodeKind kind, size_t pos) {
    Node& n = tree_->nodes.emplace_back();
    n.kind = kind;
    n.column = pos + 1;
    return &n;
  }

  Node* MakeConst(const Slot& value, size_t pos) {
    Node* n = NewNode(NodeKind::kConst, pos);
    n->value = value;
    n->type = IsNumeric(value)                    ? StaticType::kNumber
              : value.type == ExprType::kString ? StaticType::kString
                                                : StaticType::kAny;
    return n;
  }

  Node* MakeField(std::string_view name, size_t pos) {
    Node* n = NewNode(NodeKind::kField, pos);
    n->symbol = Symbol::Intern(name);
    bool seen = false;
    for (const std::string& f : tree_->fields) seen = seen || f == name;
    if (!seen) tree_->fields.emplace_back(name);
    return n;
  }

  Node* MakeReference(const Token& t) {
    if (t.text == "device") {
      Node* n = NewNode(NodeKind::kDevice, t.pos);
      n->type = StaticType::kString;
      return n;
    }
    if (t.text == "time") {
      Node* n = NewNode(NodeKind::kTime, t.pos);
      n->type = StaticType::kNumber;
      return n;
    }
    constexpr std::string_view kTagPrefix = "tags.";
    if (t.text.starts_with(kTagPrefix)) {
      const std::string_view tag = t.text.substr(kTagPrefix.size());
      if (tag.empty()) return Fail(t.pos, "missing tag name after 'tags.'", "e.g. tags.site");
      Node* n = NewNode(NodeKind::kTag, t.pos);
      n->symbol = Symbol::Intern(tag);
      n->type = StaticType::kString;
      return n;
    }
    return MakeField(t.text, t.pos);
  }

  Node* MakeBinary(Op op, Node* left, Node* right, size_t op_pos) {
    const bool arithmetic = op == Op::kAdd || op == Op::kSub || op == Op::kMul ||
                            op == Op::kDiv || op == Op::kMod || op == Op::kPow;
    if (arithmetic &&
        (left->type == StaticType::kString || right->type == StaticType::kString)) {
      return Fail(op_pos, Cat({"cannot apply '", OpName(op), "' to a string"}),
                  "arithmetic needs numbers");
    }
    if (left->kind == NodeKind::kConst && right->kind == NodeKind::kConst) {
      Node* folded = MakeConst(ApplyBinary(op, left->value, right->value), 0);
      folded->column = left->column;
      return folded;
    }
    Node* n = NewNode(NodeKind::kBinary, 0);
    n->column = left->column;
    n->op = op;
    n->type = StaticType::kNumber;
    n->args = {left, right};
    return n;
  }

  Node* MakeLogical(NodeKind kind, Node* left, Node* right) {
    const bool is_and = kind == NodeKind::kAnd;
    if (left->kind == NodeKind::kConst) {
      const bool l = IsTrue(left->value);
      // false and x = false; true or x = true.
      if (l != is_and) return MakeConst(BoolSlot(l), left->column - 1);
      if (right->kind == NodeKind::kConst) {
        return MakeConst(BoolSlot(IsTrue(right->value)), left->column - 1);
      }
    }
    Node* n = NewNode(kind, left->column - 1);
    n->type = StaticType::kNumber;
    n->args = {left, right};
    return n;
  }

  static const FunctionInfo* FindFunction(std::string_view name) {
    for (const FunctionInfo& f : kFunctions) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  std::nullptr_t FailUnknownFunction(const Token& name) {
    const std::string lower = Lowercase(name.text);
    if (lower == "lower" || lower == "upper") {
      return Fail(name.pos, Cat({"unknown function '", name.text, "'"}),
                  "to compare text ignoring case use iequals(a, b) or istartswith(s, prefix)");
    }
    std::vector<std::string> candidates;
    for (const FunctionInfo& f : kFunctions) candidates.emplace_back(f.name);
    for (std::string_view s : kSpecialForms) candidates.emplace_back(s);
    for (const UnitShortcut& s : UnitShortcuts()) candidates.emplace_back(s.function);
    const std::string close = ClosestMatch(lower, candidates);
    return Fail(name.pos, Cat({"unknown function '", name.text, "'"}),
                close.empty() ? "see docs/expressions.md for the list of functions"
                              : Cat({"did you mean '", close, "'?"}));
  }

  bool CheckArity(const Token& name, int count, int min_args, int max_args) {
    if (count >= min_args && (max_args < 0 || count <= max_args)) return true;
    std::string expected;
    if (max_args < 0) {
      expected = Cat({"at least ", Plural(min_args, "argument")});
    } else if (min_args == max_args) {
      expected = Plural(min_args, "argument");
    } else {
      expected = Cat({std::to_string(min_args), max_args == min_args + 1 ? " or " : " to ",
                      Plural(max_args, "argument")});
    }
    Fail(name.pos, Cat({name.text, "() takes ", expected, ", got ", std::to_string(count)}));
    return false;
  }

  Node* MakeCall(const Token& name, std::vector<Node*> args) {
    const std::string fname = Lowercase(name.text);
    const int count = static_cast<int>(args.size());
    if (fname == "if") {
      if (!CheckArity(name, count, 3, 3)) return nullptr;
      if (args[0]->kind == NodeKind::kConst) return IsTrue(args[0]->value) ? args[1] : args[2];
      Node* n = NewNode(NodeKind::kIf, name.pos);
      n->type = Join(args[1]->type, args[2]->type);
      n->args = std::move(args);
      return n;
    }
    if (fname == "exists") {
      if (!CheckArity(name, count, 1, 1)) return nullptr;
      const NodeKind k = args[0]->kind;
      if (k != NodeKind::kField && k != NodeKind::kTag && k != NodeKind::kDevice &&
          k != NodeKind::kTime) {
        return Fail(args[0]->column - 1, "exists() takes a field name",
                    "e.g. exists(temperature) or exists(`field name`)");
      }
      Node* n = NewNode(NodeKind::kExists, name.pos);
      n->type = StaticType::kNumber;
      n->args = std::move(args);
      return n;
    }
    if (fname == "coalesce") {
      if (!CheckArity(name, count, 1, -1)) return nullptr;
      std::vector<Node*> kept;
      for (Node* a : args) {
        if (a->kind == NodeKind::kConst && a->value.type == ExprType::kMissing) continue;
        kept.push_back(a);
        if (a->kind == NodeKind::kConst) break;  // never Missing: later arguments are unused
      }
      if (kept.empty()) return MakeConst(MissingSlot(), name.pos);
      if (kept.size() == 1) return kept[0];
      Node* n = NewNode(NodeKind::kCoalesce, name.pos);
      n->type = kept[0]->type;
      for (const Node* a : kept) n->type = Join(n->type, a->type);
      n->args = std::move(kept);
      return n;
    }
    if (fname == "convert") {
      if (!CheckArity(name, count, 3, 3)) return nullptr;
      const UnitInfo* from = ResolveUnit(args[1]);
      if (from == nullptr) return nullptr;
      const UnitInfo* to = ResolveUnit(args[2]);
      if (to == nullptr) return nullptr;
      if (from->dimension != to->dimension) {
        const std::string from_text(TextOf(args[1]->value));
        const std::string to_text(TextOf(args[2]->value));
        return Fail(args[2]->column - 1, Cat({"cannot convert ", from_text, " to ", to_text}),
                    Cat({from_text, " is a ", UnitDimensionName(from->dimension), " unit and ",
                         to_text, " a ", UnitDimensionName(to->dimension), " unit"}));
      }
      return MakeConvert(name, args[0], UnitTransform(*from, *to));
    }
    if (const UnitShortcut* shortcut = FindUnitShortcut(fname)) {
      if (!CheckArity(name, count, 1, 1)) return nullptr;
      return MakeConvert(name, args[0], UnitTransform(*FindUnit(shortcut->from),
                                                      *FindUnit(shortcut->to)));
    }
    const FunctionInfo* f = FindFunction(fname);
    if (f == nullptr) return FailUnknownFunction(name);
    if (!CheckArity(name, count, f->min_args, f->max_args)) return nullptr;
    const StaticType wrong =
        f->args == ArgKind::kNumber ? StaticType::kString : StaticType::kNumber;
    for (const Node* a : args) {
      if (a->type == wrong) {
        return Fail(a->column - 1,
                    Cat({name.text, "() needs ",
                         f->args == ArgKind::kNumber ? "a number" : "a string", ", got ",
                         TypeName(a->type)}));
      }
    }
    bool all_const = true;
    for (const Node* a : args) all_const = all_const && a->kind == NodeKind::kConst;
    if (all_const) {
      Slot result = args[0]->value;
      if (f->fn == Fn::kMin || f->fn == Fn::kMax) {
        result = CallFunction(f->fn, &result, 1);
        for (size_t i = 1; i < args.size(); ++i) {
          const Slot pair[2] = {result, args[i]->value};
          result = CallFunction(f->fn, pair, 2);
        }
      } else {
        Slot values[3];
        for (int i = 0; i < count; ++i) values[i] = args[i]->value;
        result = CallFunction(f->fn, values, count);
      }
      return MakeConst(result, name.pos);
    }
    Node* n = NewNode(NodeKind::kCall, name.pos);
    n->fn = f->fn;
    n->type = StaticType::kNumber;  // every function returns a number or a boolean
    n->args = std::move(args);
    return n;
  }

  const UnitInfo* ResolveUnit(const Node* arg) {
    if (arg->kind != NodeKind::kConst || arg->value.type != ExprType::kString) {
      return Fail(arg->column - 1, "convert() needs the unit as a string constant",
                  "e.g. convert(x, \"F\", \"C\")");
    }
    const std::string_view unit = TextOf(arg->value);
    const UnitInfo* info = FindUnit(unit);
    if (info == nullptr) {
      const std::string close = ClosestMatch(std::string(unit), UnitNames());
      std::string hint;
      if (!close.empty()) {
        hint = Cat({"did you mean '", close, "'?"});
      } else {
        for (const std::string& u : UnitNames()) {
          hint += hint.empty() ? "known units: " : ", ";
          hint += u;
        }
      }
      return Fail(arg->column - 1, Cat({"unknown unit '", unit, "'"}), hint);
    }
    return info;
  }

  Node* MakeConvert(const Token& name, Node* x, LinearTransform transform) {
    if (x->type == StaticType::kString) {
      return Fail(x->column - 1, Cat({name.text, "() needs a number, got a string"}));
    }
    if (x->kind == NodeKind::kConst) {
      return MakeConst(
          ApplyLinear(x->value, transform.scale, transform.offset, transform.divisor), name.pos);
    }
    Node* n = NewNode(NodeKind::kConvert, name.pos);
    n->type = StaticType::kNumber;
    n->transform = transform;
    n->args = {x};
    return n;
  }

  std::string_view text_;
  SyntaxTree* tree_;
  CompileError* error_;
  size_t pos_ = 0;
  Token tok_;
  int depth_ = 0;
  bool failed_ = false;
};

}  // namespace

bool ParseExpression(std::string_view text, SyntaxTree* tree, CompileError* error) {
  Parser parser(text, tree, error);
  return parser.Run();
}

}  // namespace edgeflow::expression_internal
