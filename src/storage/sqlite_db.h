// A thin RAII layer over the SQLite C API: a connection and prepared
// statements, with errors turned into Status (no exceptions, no hidden
// retries). Not thread-safe: one connection belongs to one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace edgeflow {

// A prepared statement; reset after each execution so it can be reused.
class SqlStatement {
 public:
  SqlStatement() = default;
  SqlStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}  // NOLINT: takes ownership
  SqlStatement(SqlStatement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  SqlStatement& operator=(SqlStatement&& other) noexcept;
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;
  ~SqlStatement();

  bool valid() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }

  // Parameters are 1-based, as in SQLite.
  void BindInt(int index, int64_t v) { sqlite3_bind_int64(stmt_, index, v); }
  void BindDouble(int index, double v) { sqlite3_bind_double(stmt_, index, v); }
  void BindNull(int index) { sqlite3_bind_null(stmt_, index); }
  // The bytes must stay valid until the statement is stepped.
  void BindText(int index, std::string_view v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }

  // Steps once: SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  // Runs a statement that returns no rows to completion and resets it.
  int Run() {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    return rc;
  }
  void Reset() { sqlite3_reset(stmt_); }

  int64_t ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
  double ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }
  int ColumnType(int column) const { return sqlite3_column_type(stmt_, column); }
  std::string_view ColumnText(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
                : std::string_view();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept : db_(other.db_), path_(std::move(other.path_)) { other.db_ = nullptr; }
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb() { Close(); }

  // Opens (and with `create`, creates) the file; read_only opens it for
  // queries only. The file's content is not checked here.
  static Result<SqliteDb> Open(const std::string& path, bool create, bool read_only);
  void Close();

  bool is_open() const { return db_ != nullptr; }
  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more statements without results.
  Status Exec(std::string_view sql);
  Result<SqlStatement> Prepare(std::string_view sql);
  // The single integer a query such as "PRAGMA user_version" returns.
  Result<int64_t> QueryInt(std::string_view sql);

  // The Status for SQLite result code `rc` with the connection's message:
  // SQLITE_FULL is ResourceExhausted, SQLITE_CORRUPT/NOTADB Corruption, ...
  Status Error(int rc, std::string_view what) const;
  int64_t changes() const { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// True for result codes a later retry may get past (disk full, busy, I/O).
bool IsFullError(const Status& status);

}  // namespace edgeflow
