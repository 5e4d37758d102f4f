// Status and Result<T>: the error currency across module boundaries.
//
// A Status is either OK (no allocation, cheap to copy) or carries a code from
// a short fixed list and a human-readable message. Result<T> holds a T or a
// non-OK Status, with the subset of std::expected's API we use (g++ 12 lacks
// std::expected in C++20). The callee says what went wrong; the caller adds
// where with Status::WithContext. Thread-compatible (no shared state).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace edgeflow {

enum class StatusCode {
  kOk = 0,
  kInvalidConfig,      // a pipeline file or option is wrong
  kInvalidData,        // a payload or reading is malformed
  kNotFound,           // a file, zone, stage type... does not exist
  kUnavailable,        // retryable: a peer or link is down
  kResourceExhausted,  // queue, disk or memory bound reached
  kIoError,            // the OS refused a read/write
  kCorruption,         // persisted data failed a check
  kInternal,           // a bug: should not happen
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : state_(code == StatusCode::kOk
                   ? nullptr
                   : std::make_shared<const State>(State{code, std::move(message)})) {}

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

  // "invalid config: stages[2].window.size: must be > 0"
  std::string ToString() const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

inline Status InvalidConfig(std::string m) { return {StatusCode::kInvalidConfig, std::move(m)}; }
inline Status InvalidData(std::string m) { return {StatusCode::kInvalidData, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    CHECK(!std::get<Status>(data_).ok()) << "Result built from an OK status";
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & {
    CHECK(ok()) << "Result::value() on error: " << status().ToString();
    return std::get<T>(data_);
  }
  const T& value() const& {
    CHECK(ok()) << "Result::value() on error: " << status().ToString();
    return std::get<T>(data_);
  }
  T&& value() && {
    CHECK(ok()) << "Result::value() on error: " << status().ToString();
    return std::get<T>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace edgeflow

// Returns early from the enclosing function if `expr` is a non-OK Status.
#define EF_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::edgeflow::Status ef_status_ = (expr);   \
    if (!ef_status_.ok()) return ef_status_;  \
  } while (0)

#define EF_CONCAT_INNER(a, b) a##b
#define EF_CONCAT(a, b) EF_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its Status from the function.
#define EF_ASSIGN_OR_RETURN(lhs, expr) \
  EF_ASSIGN_OR_RETURN_IMPL(EF_CONCAT(ef_result_, __LINE__), lhs, expr)
#define EF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
