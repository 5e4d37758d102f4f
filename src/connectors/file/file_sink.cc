#include "connectors/file/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/time_format.h"
#include "connectors/codec/encoder_options.h"

namespace edgeflow {
namespace {

enum class FileFormat { kJsonLines, kCsv };

struct FileSinkConfig {
  std::string path;
  FileFormat format = FileFormat::kJsonLines;
  uint64_t max_bytes = 0;  // 0: never rotate
  int max_files = 5;
  std::vector<std::string> columns;  // CSV; empty: time, device + first event's fields
  JsonEncodeOptions json;
};

void AppendCsvCell(std::string_view s, std::string& out) {
  const bool quote = s.find_first_of(",\"\n\r") != std::string_view::npos;
  if (!quote) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

class FileSink final : public Sink {
 public:
  FileSink(FileSinkConfig config, const ComponentContext& ctx)
      : c_(std::move(config)),
        ctx_(ctx),
        write_failed_(ctx.counters.Dropped("write_failed")),
        rotations_(ctx.metrics->GetCounter("file_rotations", ctx.counters.labels, "files rotated")) {}
  ~FileSink() override { Close(); }

  Status Open() override { return OpenFile(); }

  void Write(const Batch& batch) override {
    if (batch.empty()) return;
    buffer_.clear();
    if (c_.format == FileFormat::kCsv && columns_.empty()) ChooseColumns(batch[0]);
    for (const Event& e : batch) {
      if (c_.format == FileFormat::kJsonLines) {
        AppendEventJson(e, c_.json, buffer_);
      } else {
        AppendCsvRow(e);
      }
      buffer_.push_back('\n');
    }
    // A file deleted or moved away (by an operator or logrotate) is
    // recreated, so writes never vanish into an unlinked inode.
    struct stat info {};
    if (fd_ >= 0 && ::fstat(fd_, &info) == 0 && info.st_nlink == 0) Close();
    if (fd_ < 0) {
      if (Status st = OpenFile(); !st.ok()) {
        Fail(batch.size(), st.message());
        return;
      }
    }
    if (c_.format == FileFormat::kCsv && size_ == 0) buffer_.insert(0, Header());
    if (!WriteAll(buffer_)) {
      Fail(batch.size(), std::string("write to ") + c_.path + " failed: " + std::strerror(errno));
      return;
    }
    size_ += buffer_.size();
    if (c_.max_bytes > 0 && size_ >= c_.max_bytes) Rotate();
  }

  void Close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  Status OpenFile() {
    fd_ = ::open(c_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return IoError("cannot open " + c_.path + ": " + std::strerror(errno));
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    size_ = end > 0 ? static_cast<uint64_t>(end) : 0;
    return Status::Ok();
  }

  bool WriteAll(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        // Undo a partial line so the file stays line-aligned.
        if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
          ctx_.counters.errors->Add();
        }
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  void Fail(size_t events, const std::string& message) {
    write_failed_->Add(events);
    ctx_.counters.errors->Add();
    log_.Warn(*ctx_.clock, "sink '" + ctx_.id + "': " + message + "; dropped " + std::to_string(events) + " events");
  }

  void Rotate() {
    Close();
    for (int i = c_.max_files - 1; i >= 1; --i) {
      const std::string from = c_.path + "." + std::to_string(i);
      const std::string to = c_.path + "." + std::to_string(i + 1);
      ::rename(from.c_str(), to.c_str());
    }
    if (c_.max_files >= 1) {
      ::rename(c_.path.c_str(), (c_.path + ".1").c_str());
    } else {
      ::unlink(c_.path.c_str());
    }
    rotations_->Add();
    if (!OpenFile().ok()) ctx_.counters.errors->Add();
  }

  void ChooseColumns(const Event& first) {
    columns_ = c_.columns;
    if (columns_.empty()) {
      columns_ = {"time", "device"};
      for (const Field& f : first.fields()) columns_.push_back(std::string(f.name.name()));
    }
    for (const std::string& c : columns_) column_symbols_.push_back(Symbol::Intern(c));
  }

  std::string Header() const {
    std::string header;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) header.push_back(',');
      AppendCsvCell(columns_[i], header);
    }
    header.push_back('\n');
    return header;
  }

  void AppendTime(TimeMicros t) {
    switch (c_.json.time_format) {
      case JsonTimeFormat::kIso8601: AppendIsoTime(t, buffer_); break;
      case JsonTimeFormat::kUnixMillis: buffer_ += std::to_string(t / kMicrosPerMilli); break;
      case JsonTimeFormat::kUnixMicros: buffer_ += std::to_string(t); break;
      case JsonTimeFormat::kUnixSeconds: AppendJsonNumber(static_cast<double>(t) / kMicrosPerSecond, buffer_); break;
    }
  }

  void AppendCsvRow(const Event& e) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) buffer_.push_back(',');
      if (columns_[i] == "time") {
        AppendTime(e.time);
      } else if (columns_[i] == "device") {
        AppendCsvCell(e.device.name(), buffer_);
      } else if (const Value* v = e.Find(column_symbols_[i])) {
        switch (v->type) {
          case ValueType::kDouble: AppendJsonNumber(v->d, buffer_); break;
          case ValueType::kInt: buffer_ += std::to_string(v->i); break;
          case ValueType::kBool: buffer_ += v->b ? "true" : "false"; break;
          case ValueType::kString: AppendCsvCell(e.Text(*v), buffer_); break;
          case ValueType::kNull: break;
        }
      }
    }
  }

  FileSinkConfig c_;
  ComponentContext ctx_;
  Counter* write_failed_;
  Counter* rotations_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string buffer_;
  std::vector<std::string> columns_;
  std::vector<Symbol> column_symbols_;
  RateLimitedLog log_;
};

}  // namespace

ComponentDef FileSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "file";
  def.summary = "Appends events to a file as JSON lines or CSV, rotating by size.";
  def.description =
      "When the file reaches `max_bytes` it becomes PATH.1 (older ones shift to PATH.2 ...; "
      "`max_files` are kept). A failed write (full disk, removed directory) drops that batch, "
      "counts it as `dropped{reason=\"write_failed\"}`, logs why and retries with the next batch.";
  def.params = {
      {"path", "string", "", "File to append to.", true},
      {"format", "enum", "jsonl", "jsonl | csv.", false},
      {"max_bytes", "size", "0 (no rotation)", "Rotate when the file reaches this size, e.g. 64MB.", false},
      {"max_files", "integer", "5", "Rotated files to keep.", false},
      {"columns", "list of string", "time, device, first event's fields", "CSV columns.", false},
      TimeFormatParam(),
  };
  def.example = "{ type: file, path: /var/lib/edgeflow/aggregates.jsonl, max_bytes: 64MB, max_files: 3 }";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    const ConfigNode& cfg = ctx.config;
    FileSinkConfig c;
    c.path = cfg["path"].String();
    const bool csv_ext = c.path.size() > 4 && c.path.substr(c.path.size() - 4) == ".csv";
    c.format = cfg["format"].Enum(csv_ext ? "csv" : "jsonl", {"jsonl", "csv"}) == "csv" ? FileFormat::kCsv
                                                                                       : FileFormat::kJsonLines;
    c.max_bytes = cfg["max_bytes"].Size(0);
    c.max_files = static_cast<int>(cfg["max_files"].Int(5));
    if (c.max_files < 0 || c.max_files > 1000) cfg["max_files"].Error("must be between 0 and 1000");
    c.columns = cfg["columns"].StringList();
    c.json = ReadJsonEncodeOptions(cfg);
    if (!ctx.ok()) return nullptr;
    return std::make_unique<FileSink>(std::move(c), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
