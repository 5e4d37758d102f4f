#include "connectors/serial/serial_source.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "connectors/common/source_rejects.h"
#include "connectors/codec/payload_decoder.h"
#include "connectors/serial/line_framer.h"
#include "connectors/serial/serial_port.h"

namespace edgeflow {
namespace {

constexpr uint64_t kDefaultMaxLine = 4096;
constexpr uint64_t kMaxMaxLine = uint64_t{1} << 20;
constexpr size_t kReadChunk = 4096;
// Reads per Poll: bounds the time one Poll spends on a fast device.
constexpr int kMaxReadsPerPoll = 16;

const std::vector<PayloadFormat>& SerialFormats() {
  static const std::vector<PayloadFormat> formats = {PayloadFormat::kKv, PayloadFormat::kJson,
                                                     PayloadFormat::kCsv};
  return formats;
}

struct SerialSourceConfig {
  SerialSettings port;
  LineEnding line_ending = LineEnding::kAny;
  size_t max_line = kDefaultMaxLine;
  TimeMicros reopen_interval = kMicrosPerSecond;
  TimeMicros reopen_max = 30 * kMicrosPerSecond;
  PayloadOptions payload;
};

std::string Seconds(TimeMicros t) {
  return fmt::format("{:g}s", static_cast<double>(t) / kMicrosPerSecond);
}

class SerialSource final : public Source {
 public:
  SerialSource(SerialSourceConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        framer_(config_.line_ending, config_.max_line),
        decoder_(config_.payload),
        backoff_(config_.reopen_interval) {
    if (ctx_.counters.registry != nullptr) {
      reopens_ = ctx_.counters.registry->GetCounter(
          "reopens", ctx_.counters.labels, "times a lost device was opened again");
    }
    on_reject_ = [this](DecodeReason reason, std::string_view excerpt) { rejects_.Reject(reason, excerpt); };
    visit_ = [this](LineFramer::Kind kind, std::string_view text) { OnLine(kind, text); };
  }
  ~SerialSource() override { Close(); }

  Status Start() override {
    // A missing device is not fatal: Poll keeps trying to open it.
    TryOpen(clock_->Monotonic());
    return Status::Ok();
  }

  PollResult Poll(Batch& out, size_t max_events) override {
    const size_t start = out.size();
    const TimeMicros mono = clock_->Monotonic();
    if (fd_ < 0 && mono >= next_open_) TryOpen(mono);
    int reads = 0;
    while (out.size() - start < max_events) {
      if (staged_next_ < staged_.size()) {
        out.AppendSwap(staged_[staged_next_++]);
        continue;
      }
      staged_.Clear();
      staged_next_ = 0;
      if (fd_ < 0 || reads++ == kMaxReadsPerPoll || !ReadChunk()) break;
    }
    return out.size() > start ? PollResult::kData : PollResult::kIdle;
  }

  void Stop() override { Close(); }

 private:
  void TryOpen(TimeMicros mono) {
    Result<int> fd = OpenSerialPort(config_.port);
    if (!fd.ok()) {
      ++failed_opens_;
      if (!outage_logged_) {
        outage_logged_ = true;
        spdlog::warn("serial {}: {} is not available ({}); retrying every {} (up to {})", ctx_.id,
                     config_.port.path, fd.status().message(), Seconds(config_.reopen_interval),
                     Seconds(config_.reopen_max));
      } else {
        spdlog::debug("serial {}: still cannot open {}: {}", ctx_.id, config_.port.path,
                      fd.status().message());
      }
      next_open_ = mono + backoff_;
      backoff_ = std::min(backoff_ * 2, config_.reopen_max);
      return;
    }
    fd_ = *fd;
    framer_.Reset();
    backoff_ = config_.reopen_interval;
    if (was_open_) {
      if (reopens_ != nullptr) reopens_->Add();
      spdlog::info("serial {}: reopened {}{}", ctx_.id, config_.port.path,
                   failed_opens_ > 0 ? fmt::format(" after {} failed attempts", failed_opens_) : "");
    } else {
      spdlog::info("serial {}: opened {} at {} baud", ctx_.id, config_.port.path, config_.port.baud);
    }
    was_open_ = true;
    outage_logged_ = false;
    failed_opens_ = 0;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // The device went away: close it and retry opening after reopen_interval.
  void Lost(const std::string& why) {
    Close();
    if (ctx_.counters.errors != nullptr) ctx_.counters.errors->Add();
    spdlog::warn("serial {}: lost {} ({}); reopening every {} (up to {})", ctx_.id,
                 config_.port.path, why, Seconds(config_.reopen_interval),
                 Seconds(config_.reopen_max));
    outage_logged_ = true;  // the failed reopen attempts need not say it again
    backoff_ = config_.reopen_interval;
    next_open_ = clock_->Monotonic() + backoff_;
  }

  // Reads once and decodes the complete lines into staged_; false when
  // nothing was read.
  bool ReadChunk() {
    ssize_t n;
    do {
      n = ::read(fd_, read_buffer_.data(), read_buffer_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      Lost(std::strerror(errno));
      return false;
    }
    if (n == 0) {
      Lost("hang-up");
      return false;
    }
    now_ = clock_->Now();
    framer_.Feed(std::string_view(read_buffer_.data(), static_cast<size_t>(n)), visit_);
    return true;
  }

  void OnLine(LineFramer::Kind kind, std::string_view line) {
    if (kind == LineFramer::Kind::kTooLarge) {
      rejects_.Reject(DecodeReason::kTooLarge, line);
      return;
    }
    if (!simdjson::validate_utf8(line.data(), line.size())) {
      rejects_.Reject(DecodeReason::kInvalidUtf8, RecordExcerpt(line));
      return;
    }
    // Copied with padding so the JSON decoder can parse in place.
    padded_.assign(line);
    padded_.append(PayloadDecoder::kPadding, ' ');
    const DecodeResult result = decoder_.Decode(std::string_view(padded_.data(), line.size()),
                                                padded_.size(), MessageContext{}, now_, staged_,
                                                on_reject_);
    rejects_.AddFieldsDropped(result.fields_dropped);
  }

  const SerialSourceConfig config_;
  const ComponentContext ctx_;
  SourceRejects rejects_{ctx_};
  const Clock* const clock_;
  LineFramer framer_;
  PayloadDecoder decoder_;
  LineFramer::Visit visit_;
  RejectFn on_reject_;
  Counter* reopens_ = nullptr;

  int fd_ = -1;
  bool was_open_ = false;       // opened at least once: later opens are reopens
  bool outage_logged_ = false;  // the current outage was logged
  uint64_t failed_opens_ = 0;   // in the current outage
  TimeMicros backoff_;          // wait before the next open attempt
  TimeMicros next_open_ = 0;    // monotonic time of the next open attempt

  std::array<char, kReadChunk> read_buffer_{};
  std::string padded_;
  TimeMicros now_ = 0;  // receive time of the chunk being decoded
  // Decoded events not yet handed out (one read can hold many lines).
  Batch staged_;
  size_t staged_next_ = 0;
};

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::optional<SerialSourceConfig> ParseSerialConfig(const ConfigNode& config) {
  const size_t errors_before = config.ErrorCount();
  SerialSourceConfig c;
  const ConfigNode device = config["device"];
  c.port.path = device.String("");
  if (device.defined() && c.port.path.empty()) device.Error("must not be empty");

  const ConfigNode baud = config["baud"];
  c.port.baud = static_cast<int>(baud.Int(9600));
  if (!BaudConstant(c.port.baud)) {
    baud.Error("unsupported baud rate " + std::to_string(c.port.baud),
               "standard rates: 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, "
               "460800, 921600 (50 to 4000000)");
  }
  const ConfigNode data_bits = config["data_bits"];
  c.port.data_bits = static_cast<int>(data_bits.Int(8));
  if (c.port.data_bits < 5 || c.port.data_bits > 8) data_bits.Error("must be 5, 6, 7 or 8");
  const std::string parity = config["parity"].Enum("none", {"none", "even", "odd"});
  c.port.parity = parity == "even" ? Parity::kEven : parity == "odd" ? Parity::kOdd : Parity::kNone;
  const ConfigNode stop_bits = config["stop_bits"];
  c.port.stop_bits = static_cast<int>(stop_bits.Int(1));
  if (c.port.stop_bits != 1 && c.port.stop_bits != 2) stop_bits.Error("must be 1 or 2");
  const std::string flow = config["flow_control"].Enum("none", {"none", "rtscts", "xonxoff"});
  c.port.flow_control = flow == "rtscts"    ? FlowControl::kRtsCts
                        : flow == "xonxoff" ? FlowControl::kXonXoff
                                            : FlowControl::kNone;

  const std::string ending = config["line_ending"].Enum("any", {"lf", "crlf", "cr", "any"});
  c.line_ending = ParseLineEnding(ending).value_or(LineEnding::kAny);
  const ConfigNode max_line = config["max_line"];
  c.max_line = max_line.Size(kDefaultMaxLine);
  if (c.max_line < 1 || c.max_line > kMaxMaxLine) max_line.Error("must be between 1B and 1MB");

  const ConfigNode reopen = config["reopen_interval"];
  c.reopen_interval = reopen.Duration(kMicrosPerSecond);
  if (c.reopen_interval < kMicrosPerMilli) reopen.Error("must be at least 1ms");
  const ConfigNode reopen_max = config["reopen_max"];
  c.reopen_max = reopen_max.Duration(std::max(30 * kMicrosPerSecond, c.reopen_interval));
  if (c.reopen_max < c.reopen_interval) reopen_max.Error("must not be less than reopen_interval");

  // Parsed as if every line came with its device (so `columns` need no
  // device column), then the device id is made the default device.
  c.payload = ParsePayloadOptions(config, SerialFormats(), MissingTimePolicy::kReceiveTime,
                                  /*device_from_transport=*/true);
  c.payload.device_from_transport = false;
  const std::string device_id =
      config.Has("default_device") ? c.payload.json.default_device : Basename(c.port.path);
  c.payload.json.default_device = device_id;
  c.payload.csv.default_device = device_id;
  c.payload.json.max_bytes = c.max_line;
  c.payload.csv.max_bytes = c.max_line;
  if (c.payload.format == PayloadFormat::kCsv && c.payload.csv.columns.empty() &&
      !config.Has("columns")) {
    config.Error("format: csv needs `columns`",
                 "a serial line has no header: name the cells, e.g. columns: [temp, hum]");
  }
  if (config.ErrorCount() != errors_before || !device.defined()) return std::nullopt;
  return c;
}

}  // namespace

ComponentDef SerialSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "serial";
  def.summary = "Reads lines (kv, json or csv) from a serial device such as /dev/ttyUSB0.";
  def.description =
      "Opens the device with termios in raw mode (baud, data bits, parity, stop bits, flow "
      "control), splits what arrives into lines (`line_ending`) and decodes each line as `kv` "
      "(`temp=21.5 hum=40`), `json` or `csv` (with `columns`). Lines without a time get the time "
      "they were received. Bad lines are counted as `dropped{reason=...}` (`too_large`, "
      "`invalid_utf8`, `malformed_kv`, `malformed_json`, `malformed_csv`, ...) and sent to the "
      "dead letters. When the device disappears (unplugged adapter, hang-up, read error) the "
      "source logs once, retries opening it every `reopen_interval` (doubling up to "
      "`reopen_max`) and counts `reopens`; a device that is absent at start-up is not an error: "
      "the pipeline runs and the source keeps trying. `edgeflow check` does not open the device. "
      "See docs/sources/serial.md.";
  def.params = {
      {"device", "string", "", "Path of the serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...", true},
      {"baud", "integer", "9600",
       "Line speed: a standard rate from 50 to 4000000 (9600, 19200, 38400, 57600, 115200, "
       "230400, 460800, 921600, ...).",
       false},
      {"data_bits", "5 | 6 | 7 | 8", "8", "Bits per character.", false},
      {"parity", "none | even | odd", "none", "Parity bit.", false},
      {"stop_bits", "1 | 2", "1", "Stop bits.", false},
      {"flow_control", "none | rtscts | xonxoff", "none",
       "`rtscts`: hardware (RTS/CTS) handshake; `xonxoff`: software (XON/XOFF).", false},
      {"line_ending", "lf | crlf | cr | any", "any",
       "What ends a line: `lf` (\\n), `crlf` (\\r\\n; a lone \\r or \\n is data), `cr` (\\r), "
       "`any` (\\n, \\r or \\r\\n). Blank lines are skipped.",
       false},
      {"max_line", "size", "4KB",
       "Longer lines are rejected (`too_large`) and skipped up to the next line end.", false},
      {"reopen_interval", "duration", "1s",
       "Wait before reopening a lost or absent device; doubles after each failed attempt.", false},
      {"reopen_max", "duration", "30s", "The longest wait between reopen attempts.", false},
  };
  for (ParamDef& p : PayloadParamDefs(SerialFormats())) {
    // Only for the number and raw formats, which a line protocol does not offer.
    if (p.name == "value_field" || p.name == "raw_encoding") continue;
    if (p.name == "default_device") {
      p.default_value = "the device file name (ttyUSB0)";
      p.description = "Device id of the events whose line carries none (`device_field`).";
    }
    if (p.name == "columns") {
      p.description = "CSV: the names of the cells of each line (required with format: csv).";
    }
    def.params.push_back(std::move(p));
  }
  def.example =
      "id: weather\n"
      "type: serial\n"
      "device: /dev/ttyUSB0\n"
      "baud: 115200\n"
      "format: kv\n"
      "default_device: station-1\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<SerialSourceConfig> config = ParseSerialConfig(ctx.config);
    if (!config) return nullptr;
    return std::make_unique<SerialSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
