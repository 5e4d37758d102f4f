// The front end of the expression language: a lexer and recursive-descent
// parser that build a typed syntax tree, resolving functions and units,
// checking arity and constant arguments, and folding constant subtrees as the
// tree is built. Expression::Compile turns the tree into a flat program.
// Internal to the expression language; not thread-safe (one parse per tree).
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "model/symbol.h"
#include "pipeline/expression.h"
#include "pipeline/expression_internal.h"
#include "pipeline/units_convert.h"

namespace edgeflow::expression_internal {

enum class NodeKind : uint8_t {
  kConst,
  kField,
  kDevice,
  kTime,
  kTag,
  kNeg,
  kNot,
  kBinary,    // op
  kAnd,
  kOr,
  kIf,        // args: condition, then, else
  kCoalesce,  // args: two or more
  kExists,    // args: one field, tag, device or time reference
  kCall,      // fn, args
  kConvert,   // transform of args[0]
};

// What a node is known to produce before any event is seen. Fields are kAny;
// kNumber covers booleans. Used to reject `"a" + 1` and `sqrt(device)`.
enum class StaticType : uint8_t { kAny, kNumber, kString };

struct Node {
  NodeKind kind = NodeKind::kConst;
  size_t column = 1;  // 1-based start of the node's text
  StaticType type = StaticType::kAny;
  Slot value = MissingSlot();  // kConst; strings point into SyntaxTree::strings
  Symbol symbol;               // kField, kTag
  Op op = Op::kAdd;            // kBinary
  Fn fn = Fn::kAbs;            // kCall
  LinearTransform transform;   // kConvert
  std::vector<Node*> args;     // borrowed from SyntaxTree::nodes
};

// One parsed expression. Owns its nodes and decoded string literals (deques,
// so their addresses are stable while the tree grows).
struct SyntaxTree {
  Node* root = nullptr;
  std::vector<std::string> fields;  // in order of first appearance
  std::deque<Node> nodes;
  std::deque<std::string> strings;
};

// Deeper nesting than this (parentheses, unary operators, right-nested ^) is
// rejected, which also bounds the parser's recursion.
inline constexpr int kMaxNesting = 64;
// Longer expressions are rejected, which bounds the code generator's recursion
// over long chains such as a + b + c + ...
inline constexpr size_t kMaxNodes = 2048;

// Parses `text` into `*tree`. On failure returns false and fills `*error`
// (message without the column, 1-based column, optional hint).
bool ParseExpression(std::string_view text, SyntaxTree* tree, CompileError* error);

}  // namespace edgeflow::expression_internal
