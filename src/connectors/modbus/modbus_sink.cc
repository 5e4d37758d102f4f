#include "connectors/modbus/modbus_sink.h"

#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/thread_name.h"
#include "connectors/modbus/modbus_client.h"
#include "connectors/modbus/register_config.h"

namespace edgeflow {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct WriteSpec {
  std::string field;
  Symbol symbol;
  ParsedRegister reg;
};

struct ModbusSinkConfig {
  ModbusEndpoint endpoint;
  int unit = 1;
  TimeMicros timeout = kMicrosPerSecond;
  int retries = 2;
  TimeMicros backoff = kMicrosPerSecond;
  TimeMicros backoff_max = 30 * kMicrosPerSecond;
  TimeMicros drain_timeout = 5 * kMicrosPerSecond;
  size_t queue_size = 1000;
  std::vector<WriteSpec> writes;
};

// One write, encoded on the executor thread.
struct WriteCommand {
  size_t spec = 0;  // index into writes
  bool coil = false;
  bool on = false;
  int count = 0;  // words
  std::array<uint16_t, 2> words{};
};

class ModbusSink final : public Sink {
 public:
  ModbusSink(ModbusSinkConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        client_(config_.endpoint, config_.timeout) {
    static Counter unregistered;
    MetricsRegistry* m = ctx_.counters.registry;
    const std::string& labels = ctx_.counters.labels;
    written_ = m ? m->GetCounter("modbus_writes", labels + ",result=\"ok\"", "Modbus writes by result")
                 : &unregistered;
    failed_ = m ? m->GetCounter("modbus_writes", labels + ",result=\"failed\"", "Modbus writes by result")
                : &unregistered;
    queue_full_ = m ? ctx_.counters.Dropped("queue_full") : &unregistered;
    bad_value_ = m ? ctx_.counters.Dropped("bad_value") : &unregistered;
    write_failed_ = m ? ctx_.counters.Dropped("write_failed") : &unregistered;
  }
  ~ModbusSink() override { Close(); }

  Status Open() override {
    thread_ = std::thread([this] {
      NameThisThread("ef-modbus-out");
      Run();
    });
    return Status::Ok();
  }

  void Write(const Batch& batch) override {
    for (const Event& e : batch) {
      for (size_t i = 0; i < config_.writes.size(); ++i) {
        const WriteSpec& spec = config_.writes[i];
        const Value* v = e.Find(spec.symbol);
        if (v == nullptr) continue;
        std::optional<WriteCommand> command = Encode(i, e, *v);
        if (command) Enqueue(*command);
      }
    }
  }

  // Sends what is queued (up to drain_timeout), then stops the thread.
  void Close() override {
    {
      std::lock_guard lock(mu_);
      if (closing_) return;
      closing_ = true;
      drain_deadline_ = SteadyClock::now() + std::chrono::microseconds(config_.drain_timeout);
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    client_.Close();
  }

 private:
  std::optional<WriteCommand> Encode(size_t index, const Event& e, const Value& v) {
    const WriteSpec& spec = config_.writes[index];
    const std::optional<double> number = v.AsNumber();  // a bool is 0 or 1
    if (!number) {
      const std::string text =
          v.type == ValueType::kString ? std::string(e.Text(v).substr(0, 40)) : "null";
      BadValue(spec, "is not a number or bool (" + text + ")");
      return std::nullopt;
    }
    WriteCommand c;
    c.spec = index;
    if (spec.reg.table == ModbusTable::kCoil) {
      c.coil = true;
      c.on = *number != 0;
      return c;
    }
    Result<int> count = EncodeRegisters(*number, spec.reg.format, &c.words);
    if (!count.ok()) {
      BadValue(spec, count.status().message());
      return std::nullopt;
    }
    c.count = *count;
    return c;
  }

  void BadValue(const WriteSpec& spec, const std::string& why) {
    bad_value_->Add();
    log_.Warn(*clock_, "modbus sink " + ctx_.id + ": field '" + spec.field + "' " + why +
                           "; not written");
  }

  void Enqueue(const WriteCommand& command) {
    {
      std::lock_guard lock(mu_);
      if (queue_.size() >= config_.queue_size) {
        queue_.pop_front();  // the newest command wins
        queue_full_->Add();
      }
      queue_.push_back(command);
    }
    cv_.notify_all();
  }

  // Writer thread.
  void Run() {
    TimeMicros backoff = config_.backoff;
    SteadyClock::time_point next_connect = SteadyClock::now();
    bool outage_logged = false;
    while (true) {
      WriteCommand command;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;  // closing and drained
        if (closing_ && SteadyClock::now() >= drain_deadline_) {
          write_failed_->Add(queue_.size());
          spdlog::warn("modbus sink {}: {} writes not sent at shutdown", ctx_.id, queue_.size());
          queue_.clear();
          return;
        }
        command = queue_.front();
        queue_.pop_front();
      }
      bool done = false;
      for (int attempt = 0; attempt <= config_.retries && !done; ++attempt) {
        if (!client_.connected()) {
          if (SteadyClock::now() < next_connect) WaitUntil(next_connect);
          const ModbusError e = client_.Connect();
          if (!e.ok()) {
            CountError(e.reason);
            if (!outage_logged) {
              outage_logged = true;
              spdlog::warn("modbus sink {}: cannot connect to {}: {}", ctx_.id,
                           config_.endpoint.ToString(), e.message);
            }
            next_connect = SteadyClock::now() + std::chrono::microseconds(backoff);
            backoff = std::min(backoff * 2, config_.backoff_max);
            continue;
          }
          if (outage_logged) {
            spdlog::info("modbus sink {}: connected to {}", ctx_.id, config_.endpoint.ToString());
          }
          outage_logged = false;
          backoff = config_.backoff;
        }
        const ModbusError e = Send(command);
        if (e.ok()) {
          done = true;
          break;
        }
        CountError(e.reason);
        if (log_.Admit(*clock_)) {
          const WriteSpec& spec = config_.writes[command.spec];
          spdlog::warn("modbus sink {}: writing '{}' to {} {} of unit {} failed (attempt {}): {}",
                       ctx_.id, spec.field, ModbusTableName(spec.reg.table), spec.reg.address,
                       config_.unit, attempt + 1, e.message);
        }
        if (e.connection_lost) {
          next_connect = SteadyClock::now() + std::chrono::microseconds(backoff);
          backoff = std::min(backoff * 2, config_.backoff_max);
        }
      }
      if (done) {
        written_->Add();
      } else {
        failed_->Add();
        write_failed_->Add();
      }
    }
  }

  ModbusError Send(const WriteCommand& c) {
    const WriteSpec& spec = config_.writes[c.spec];
    if (c.coil) return client_.WriteCoil(config_.unit, spec.reg.address, c.on);
    return client_.WriteRegisters(config_.unit, spec.reg.address, c.count, c.words.data());
  }

  // Waits until `t`, or less when closing (shutdown does not wait out a
  // long backoff).
  void WaitUntil(SteadyClock::time_point t) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, t, [this] { return closing_; });
  }

  void CountError(std::string_view reason) {
    Counter*& counter = errors_[std::string(reason)];
    if (counter == nullptr) counter = ctx_.counters.ErrorsFor(std::string(reason));
    counter->Add();
  }

  const ModbusSinkConfig config_;
  const ComponentContext ctx_;
  const Clock* const clock_;
  Counter* written_;
  Counter* failed_;
  Counter* queue_full_;
  Counter* bad_value_;
  Counter* write_failed_;
  RateLimitedLog log_;

  // Writer thread only.
  ModbusClient client_;
  std::map<std::string, Counter*> errors_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteCommand> queue_;  // guarded by mu_
  bool closing_ = false;            // guarded by mu_
  SteadyClock::time_point drain_deadline_;
};

const std::vector<std::string>& WriteKeys() {
  static const std::vector<std::string> keys = {"field",      "address",    "table", "type",
                                                "word_order", "byte_order", "scale"};
  return keys;
}

std::optional<ModbusSinkConfig> ParseModbusSinkConfig(const ConfigNode& config) {
  const size_t errors_before = config.ErrorCount();
  ModbusSinkConfig c;
  ParseEndpoint(config["url"], &c.endpoint);
  const ConfigNode unit = config["unit_id"];
  if (unit.is_sequence()) {
    unit.Error("the sink writes to one unit id");
  } else {
    const std::vector<int> units = ParseUnitIds(unit, 1);
    if (!units.empty()) c.unit = units.front();
  }
  ParseTimeouts(config, &c.timeout, &c.backoff, &c.backoff_max);
  const ConfigNode retries = config["retries"];
  c.retries = static_cast<int>(retries.Int(2));
  if (c.retries < 0 || c.retries > 100) retries.Error("must be between 0 and 100");
  c.drain_timeout = config["drain_timeout"].Duration(5 * kMicrosPerSecond);
  const ConfigNode queue_size = config["queue_size"];
  c.queue_size = static_cast<size_t>(queue_size.Int(1000));
  if (c.queue_size < 1 || c.queue_size > 1'000'000) queue_size.Error("must be 1 to 1000000");

  const ConfigNode writes = config["writes"];
  if (writes.defined() && (!writes.is_sequence() || writes.size() == 0)) {
    writes.Error("must be a non-empty list of {field, address, table, type, ...}");
  }
  for (size_t i = 0; writes.is_sequence() && i < writes.size(); ++i) {
    const ConfigNode entry = writes.At(i);
    if (!entry.is_map()) {
      entry.Error("a write is a map: {field, address, table, type, ...}");
      continue;
    }
    entry.CheckKeys(WriteKeys());
    WriteSpec w;
    w.field = entry["field"].String("");
    if (w.field.empty()) {
      entry.Error("missing `field` (the event field whose value is written)");
      continue;
    }
    std::optional<ParsedRegister> parsed =
        ParseRegister(entry, {"holding", "coil"}, /*with_offset=*/false);
    if (!parsed) continue;
    w.reg = *parsed;
    w.symbol = Symbol::Intern(w.field);
    c.writes.push_back(std::move(w));
  }
  if (config.ErrorCount() != errors_before || !config["url"].defined() || !writes.defined()) return std::nullopt;
  return c;
}

}  // namespace

ComponentDef ModbusSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "modbus";
  def.summary = "Writes event fields to holding registers or coils of a Modbus device.";
  def.description =
      "For every event and every entry of `writes` whose `field` the event has, writes the "
      "value (divided by `scale`, rounded and range-checked for integer types; a bool or "
      "non-zero number switches a coil on) to the register or coil at `address` of unit "
      "`unit_id`: function 6 for one register, 16 for two (32-bit types), 5 for a coil. Writes "
      "are queued (`queue_size`; when full the oldest is dropped: "
      "`dropped{reason=\"queue_full\"}`) and sent by a thread of the sink, each retried "
      "`retries` times; outcomes are counted as `modbus_writes{result=\"ok\"|\"failed\"}`, "
      "failures as `errors{reason=...}` and `dropped{reason=\"write_failed\"}`. Values that "
      "cannot be written (not a number, out of range) are `dropped{reason=\"bad_value\"}`. At "
      "shutdown the queue is sent for up to `drain_timeout`. See docs/sinks/modbus.md.";
  def.params = {
      {"url", "string", "", "`tcp://HOST[:PORT]` or `rtu:///dev/ttyUSB0?baud=9600&parity=N`.",
       true},
      {"unit_id", "integer", "1", "Unit id (slave address) written to.", false},
      {"writes", "list of write", "",
       "Each {`field`, `address` (0-based), `table` (holding | coil; default holding), `type` "
       "(int16 | uint16 | int32 | uint32 | float32 | bool; default uint16, bool for coils), "
       "`word_order` (big | little), `byte_order` (big | little), `scale` (the value written is "
       "value / scale; default 1)}.",
       true},
      {"timeout", "duration", "1s", "Response timeout of each request (and of connecting).", false},
      {"retries", "integer", "2", "Further attempts after a failed write.", false},
      {"backoff", "duration", "1s",
       "Wait before reconnecting after a failure; doubles after each failed attempt.", false},
      {"backoff_max", "duration", "30s", "The longest wait between reconnect attempts.", false},
      {"queue_size", "integer", "1000", "Writes waiting to be sent; when full the oldest is dropped.",
       false},
      {"drain_timeout", "duration", "5s", "At shutdown, how long queued writes may still take.",
       false},
  };
  def.example =
      "type: modbus\n"
      "url: tcp://192.168.1.50:502\n"
      "unit_id: 1\n"
      "writes:\n"
      "  - { field: setpoint, address: 10, type: int16, scale: 0.1 }\n"
      "  - { field: pump_on, address: 3, table: coil }\n";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    std::optional<ModbusSinkConfig> config = ParseModbusSinkConfig(ctx.config);
    if (!config) return nullptr;
    return std::make_unique<ModbusSink>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
