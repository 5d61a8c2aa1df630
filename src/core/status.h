// Status and Result<T>: how every module boundary reports failure.
//
// A Status is either OK or carries a code and a message. Messages follow one rule: name the
// thing (file, offset, collection, record id), what was expected and what was found, so that a
// user can act on it without reading code. Nothing under src/ prints or exits; src/cli maps a
// Status to a message and an exit code.
//
// Result<T> holds either a T or a non-OK Status. Both are cheap to move; neither is thread-safe
// to share while being mutated (like any value type).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cm {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the user asked for something impossible (bad flag, bad name)
  kNotFound,         // a file, table, collection or column is missing
  kCorrupt,          // input bytes do not follow their format
  kUnsupported,      // valid input using a feature this tool does not implement
  kAlreadyExists,    // the destination already holds what we would write
  kIoError,          // the operating system refused a read or write
  kNetworkError,     // a connection failed or timed out
  kRemoteError,      // a server answered with an error
  kMismatch,         // verify found a difference
  kCancelled,        // the user interrupted
  kInternal,         // a bug in this tool
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status NetworkError(std::string m) { return {StatusCode::kNetworkError, std::move(m)}; }
  static Status RemoteError(std::string m) { return {StatusCode::kRemoteError, std::move(m)}; }
  static Status Mismatch(std::string m) { return {StatusCode::kMismatch, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {    // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cm

#define CM_CONCAT_INNER(a, b) a##b
#define CM_CONCAT(a, b) CM_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define CM_RETURN_IF_ERROR(expr) CM_RETURN_IF_ERROR_IMPL(CM_CONCAT(cm_status_, __COUNTER__), expr)
#define CM_RETURN_IF_ERROR_IMPL(tmp, expr) \
  do {                                     \
    ::cm::Status tmp = (expr);             \
    if (!tmp.ok()) return tmp;             \
  } while (0)

// `CM_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
#define CM_ASSIGN_OR_RETURN(lhs, rexpr) \
  CM_ASSIGN_OR_RETURN_IMPL(CM_CONCAT(cm_result_, __COUNTER__), lhs, rexpr)
#define CM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
