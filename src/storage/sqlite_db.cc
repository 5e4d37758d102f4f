#include "storage/sqlite_db.h"

namespace edgeflow {

SqlStatement& SqlStatement::operator=(SqlStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

SqlStatement::~SqlStatement() { sqlite3_finalize(stmt_); }

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = other.db_;
    path_ = std::move(other.path_);
    other.db_ = nullptr;
  }
  return *this;
}

Result<SqliteDb> SqliteDb::Open(const std::string& path, bool create, bool read_only) {
  SqliteDb db;
  db.path_ = path;
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = db.Error(rc, "cannot open " + path);
    return st;
  }
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

void SqliteDb::Close() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status SqliteDb::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, text.substr(0, 60));
  return Status::Ok();
}

Result<SqlStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare " + std::string(sql.substr(0, 60)));
  return SqlStatement(stmt);
}

Result<int64_t> SqliteDb::QueryInt(std::string_view sql) {
  EF_ASSIGN_OR_RETURN(SqlStatement stmt, Prepare(sql));
  const int rc = stmt.Step();
  if (rc == SQLITE_ROW) return stmt.ColumnInt(0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return Error(rc, std::string(sql.substr(0, 60)));
}

Status SqliteDb::Error(int rc, std::string_view what) const {
  std::string message(what);
  message += ": ";
  // The connection's message is more specific than the code's ("disk I/O
  // error" vs "unable to open database file: /x/y").
  message += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_FULL: return ResourceExhausted(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Corruption(message);
    case SQLITE_CANTOPEN: return NotFound(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Unavailable(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_IOERR: return IoError(message);
    default: return Internal(message);
  }
}

bool IsFullError(const Status& status) { return status.code() == StatusCode::kResourceExhausted; }

}  // namespace edgeflow
