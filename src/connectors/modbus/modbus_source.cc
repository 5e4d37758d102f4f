#include "connectors/modbus/modbus_source.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/thread_name.h"
#include "connectors/modbus/modbus_client.h"
#include "connectors/modbus/modbus_url.h"
#include "connectors/modbus/read_plan.h"
#include "connectors/modbus/register_config.h"

namespace edgeflow {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct RegisterSpec {
  std::string name;
  Symbol symbol;
  ParsedRegister reg;
  std::string unit;  // engineering unit, e.g. "degC" (becomes the tag unit.NAME)
  Symbol unit_tag;
};

struct GroupSpec {
  TimeMicros interval = kMicrosPerSecond;
  std::vector<int> units;
  std::vector<Symbol> devices;  // per unit
  std::vector<RegisterSpec> registers;
  std::vector<ReadRequest> plan;
};

struct ModbusSourceConfig {
  ModbusEndpoint endpoint;
  TimeMicros timeout = kMicrosPerSecond;
  TimeMicros backoff = kMicrosPerSecond;
  TimeMicros backoff_max = 30 * kMicrosPerSecond;
  size_t max_pending = 10000;
  std::vector<GroupSpec> groups;
};

std::chrono::microseconds Micros(TimeMicros t) { return std::chrono::microseconds(t); }

class ModbusSource final : public Source {
 public:
  ModbusSource(ModbusSourceConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        client_(config_.endpoint, config_.timeout) {
    if (ctx_.counters.registry != nullptr) {
      reads_ = ctx_.counters.registry->GetCounter("modbus_reads", ctx_.counters.labels,
                                                  "Modbus read requests that succeeded");
      reconnects_ = ctx_.counters.registry->GetCounter(
          "reconnects", ctx_.counters.labels, "connections re-established after a failure");
      queue_full_ = ctx_.counters.Dropped("queue_full");
    }
  }
  ~ModbusSource() override { Stop(); }

  Status Start() override {
    // Connecting happens on the thread: a device that is down at start-up is
    // retried like one that goes away later.
    thread_ = std::thread([this] {
      NameThisThread("ef-modbus-in");
      Run();
    });
    return Status::Ok();
  }

  PollResult Poll(Batch& out, size_t max_events) override {
    const size_t start = out.size();
    if (ready_next_ >= ready_.size()) {
      ready_.Clear();
      ready_next_ = 0;
      std::lock_guard lock(mu_);
      std::swap(ready_, pending_);
    }
    while (ready_next_ < ready_.size() && out.size() - start < max_events) {
      out.AppendSwap(ready_[ready_next_++]);
    }
    return out.size() > start ? PollResult::kData : PollResult::kIdle;
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    client_.Close();
  }

  bool NotifiesWakeup() const override { return ctx_.wakeup != nullptr; }

 private:
  // Poller thread.
  void Run() {
    std::vector<SteadyClock::time_point> due(config_.groups.size(), SteadyClock::now());
    SteadyClock::time_point next_connect = SteadyClock::now();
    TimeMicros backoff = config_.backoff;
    bool ever_connected = false;
    bool outage_logged = false;
    while (!Stopping()) {
      if (!client_.connected()) {
        if (SteadyClock::now() < next_connect) {
          WaitUntil(next_connect);
          continue;
        }
        const ModbusError e = client_.Connect();
        if (!e.ok()) {
          CountError(e.reason);
          if (!outage_logged) {
            outage_logged = true;
            spdlog::warn("modbus {}: cannot connect to {}: {}; retrying with backoff up to {}s",
                         ctx_.id, config_.endpoint.ToString(), e.message,
                         config_.backoff_max / kMicrosPerSecond);
          }
          next_connect = SteadyClock::now() + Micros(backoff);
          backoff = std::min(backoff * 2, config_.backoff_max);
          continue;
        }
        if (ever_connected) {
          if (reconnects_ != nullptr) reconnects_->Add();
          spdlog::info("modbus {}: reconnected to {}", ctx_.id, config_.endpoint.ToString());
        } else {
          spdlog::info("modbus {}: connected to {}", ctx_.id, config_.endpoint.ToString());
        }
        ever_connected = true;
        outage_logged = false;
        backoff = config_.backoff;
      }
      const size_t g = static_cast<size_t>(std::min_element(due.begin(), due.end()) - due.begin());
      if (due[g] > SteadyClock::now()) {
        WaitUntil(due[g]);
        continue;
      }
      PollGroup(config_.groups[g]);
      // Keep the group's phase; skip polls that are already overdue.
      const auto interval = Micros(config_.groups[g].interval);
      const auto now = SteadyClock::now();
      due[g] += interval;
      if (due[g] <= now) due[g] += ((now - due[g]) / interval + 1) * interval;
      if (!client_.connected()) {
        spdlog::warn("modbus {}: lost the connection to {}; reconnecting with backoff", ctx_.id,
                     config_.endpoint.ToString());
        outage_logged = true;
        next_connect = SteadyClock::now() + Micros(backoff);
        backoff = std::min(backoff * 2, config_.backoff_max);
      }
    }
  }

  bool Stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  void WaitUntil(SteadyClock::time_point t) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, t, [this] { return stopping_; });
  }

  // Reads every request of the group's plan for each of its units; one
  // event per unit with the values read.
  void PollGroup(const GroupSpec& group) {
    for (size_t u = 0; u < group.units.size(); ++u) {
      const int unit = group.units[u];
      event_.Clear();
      bool any = false;
      for (const ReadRequest& request : group.plan) {
        const ModbusError e = Read(unit, request);
        if (!e.ok()) {
          CountError(e.reason);
          if (log_.Admit(*clock_)) {
            spdlog::warn("modbus {}: reading {} {}..{} of unit {} failed: {}", ctx_.id,
                         ModbusTableName(request.table), request.start,
                         request.start + request.count - 1, unit, e.message);
          }
          if (e.connection_lost) return;
          continue;
        }
        if (reads_ != nullptr) reads_->Add();
        any = true;
        for (const size_t m : request.members) Decode(group.registers[m], request, unit);
      }
      if (!any) continue;
      event_.time = clock_->Now();
      event_.device = group.devices[u];
      Deliver();
    }
  }

  ModbusError Read(int unit, const ReadRequest& request) {
    if (IsBitTable(request.table)) {
      return client_.ReadBits(unit, request.table, request.start, request.count, bits_.data());
    }
    return client_.ReadRegisters(unit, request.table, request.start, request.count, words_.data());
  }

  void Decode(const RegisterSpec& r, const ReadRequest& request, int unit) {
    const size_t at = static_cast<size_t>(r.reg.address - request.start);
    if (IsBitTable(request.table)) {
      event_.SetBool(r.symbol, bits_[at] != 0);
    } else if (r.reg.format.type == RegisterType::kBool) {
      event_.SetBool(r.symbol, words_[at] != 0);
    } else {
      const std::span<const uint16_t> words(words_.data() + at,
                                            static_cast<size_t>(RegisterWidth(r.reg.format.type)));
      const double value = DecodeRegisters(words, r.reg.format);
      if (!std::isfinite(value)) {
        // Devices put NaN in a float32 register for "no reading". Keep it
        // out of the event (it would poison window aggregates and detector
        // state); the poll's other values still go.
        CountError("non_finite");
        if (log_.Admit(*clock_)) {
          spdlog::warn("modbus {}: register '{}' ({} {}) of unit {} holds a non-finite value; field left out",
                       ctx_.id, r.name, ModbusTableName(request.table), r.reg.address, unit);
        }
        return;
      }
      event_.SetDouble(r.symbol, value);
    }
    if (!r.unit.empty()) event_.SetTag(r.unit_tag, r.unit);
  }

  void Deliver() {
    {
      std::lock_guard lock(mu_);
      if (pending_.size() >= config_.max_pending) {
        if (queue_full_ != nullptr) queue_full_->Add();
        return;
      }
      pending_.AppendSwap(event_);
    }
    if (ctx_.wakeup != nullptr) ctx_.wakeup->Notify();
  }

  void CountError(std::string_view reason) {
    Counter*& counter = errors_[std::string(reason)];
    if (counter == nullptr) counter = ctx_.counters.ErrorsFor(std::string(reason));
    counter->Add();
  }

  const ModbusSourceConfig config_;
  const ComponentContext ctx_;
  const Clock* const clock_;
  Counter* reads_ = nullptr;
  Counter* reconnects_ = nullptr;
  Counter* queue_full_ = nullptr;

  // Poller thread only.
  ModbusClient client_;
  std::array<uint16_t, 125> words_{};
  std::array<uint8_t, 2000> bits_{};
  Event event_;
  std::map<std::string, Counter*> errors_;
  RateLimitedLog log_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  Batch pending_;          // guarded by mu_: events not yet taken by Poll

  // Executor thread only.
  Batch ready_;
  size_t ready_next_ = 0;
};

std::string DeviceName(const std::string& pattern, int unit) {
  std::string name = pattern;
  const std::string key = "{unit_id}";
  for (size_t at = name.find(key); at != std::string::npos; at = name.find(key, at)) {
    name.replace(at, key.size(), std::to_string(unit));
  }
  return name;
}

const std::vector<std::string>& GroupKeys() {
  static const std::vector<std::string> keys = {"interval", "unit_id", "device", "registers"};
  return keys;
}
const std::vector<std::string>& RegisterKeys() {
  static const std::vector<std::string> keys = {"name",       "address",    "table", "type",
                                                "word_order", "byte_order", "scale", "offset",
                                                "unit"};
  return keys;
}

std::optional<ModbusSourceConfig> ParseModbusSourceConfig(const ConfigNode& config,
                                                          std::set<std::string>* field_names) {
  const size_t errors_before = config.ErrorCount();
  ModbusSourceConfig c;
  ParseEndpoint(config["url"], &c.endpoint);
  ParseTimeouts(config, &c.timeout, &c.backoff, &c.backoff_max);
  const ConfigNode max_pending = config["max_pending"];
  c.max_pending = static_cast<size_t>(max_pending.Int(10000));
  if (c.max_pending < 1 || c.max_pending > 10'000'000) max_pending.Error("must be 1 to 10000000");

  ReadPlanLimits limits;
  const ConfigNode max_gap = config["max_gap"];
  limits.max_gap = static_cast<int>(max_gap.Int(0));
  if (limits.max_gap < 0 || limits.max_gap > 124) max_gap.Error("must be between 0 and 124");
  const std::vector<int> default_units = ParseUnitIds(config["unit_id"], 1);
  const std::string default_device = config["device"].String("modbus-{unit_id}");

  const ConfigNode groups = config["groups"];
  if (groups.defined() && (!groups.is_sequence() || groups.size() == 0)) {
    groups.Error("must be a non-empty list of groups");
  }
  for (size_t g = 0; groups.is_sequence() && g < groups.size(); ++g) {
    const ConfigNode group = groups.At(g);
    if (!group.is_map()) {
      group.Error("a group is a map with interval, unit_id, device and registers");
      continue;
    }
    group.CheckKeys(GroupKeys());
    GroupSpec spec;
    const ConfigNode interval = group["interval"];
    spec.interval = interval.Duration(kMicrosPerSecond);
    if (spec.interval < kMicrosPerMilli) interval.Error("must be at least 1ms");
    spec.units = group.Has("unit_id") ? ParseUnitIds(group["unit_id"], 1) : default_units;
    const std::string device = group["device"].String(default_device);
    if (device.empty()) group["device"].Error("must not be empty");
    if (spec.units.size() > 1 && device.find("{unit_id}") == std::string::npos) {
      group["device"].Error("several unit ids need {unit_id} in the device name",
                            "device: meter-{unit_id}");
    }
    for (int unit : spec.units) spec.devices.push_back(Symbol::Intern(DeviceName(device, unit)));

    const ConfigNode registers = group["registers"];
    if (!registers.is_sequence() || registers.size() == 0) {
      (registers.defined() ? registers : group).Error("`registers` must be a non-empty list");
      continue;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < registers.size(); ++i) {
      const ConfigNode entry = registers.At(i);
      if (!entry.is_map()) {
        entry.Error("a register is a map: {name, address, table, type, ...}");
        continue;
      }
      entry.CheckKeys(RegisterKeys());
      RegisterSpec r;
      r.name = entry["name"].String("");
      if (r.name.empty()) {
        entry.Error("missing `name` (the field the value becomes)");
        continue;
      }
      if (!names.insert(r.name).second) {
        entry["name"].Error("duplicate name '" + r.name + "' in this group");
        continue;
      }
      std::optional<ParsedRegister> parsed =
          ParseRegister(entry, {"holding", "input", "coil", "discrete"}, /*with_offset=*/true);
      if (!parsed) continue;
      r.reg = *parsed;
      r.symbol = Symbol::Intern(r.name);
      r.unit = entry["unit"].String("");
      r.unit_tag = Symbol::Intern("unit." + r.name);
      field_names->insert(r.name);
      spec.registers.push_back(std::move(r));
    }
    std::vector<RegisterLocation> locations;
    for (const RegisterSpec& r : spec.registers) {
      locations.push_back({r.reg.table, r.reg.address, RegisterWidth(r.reg.format.type)});
    }
    spec.plan = PlanReads(locations, limits);
    c.groups.push_back(std::move(spec));
  }
  if (config.ErrorCount() != errors_before || !config["url"].defined() || !groups.defined()) return std::nullopt;
  return c;
}

}  // namespace

ComponentDef ModbusSourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "modbus";
  def.summary = "Polls registers and coils of Modbus TCP or RTU devices on a schedule.";
  def.description =
      "Each group of registers is read every `interval` from each of its unit ids and becomes "
      "one event per unit (device `device`, fields named after the registers, value = raw * "
      "scale + offset, bool for coils and discrete inputs). Registers of the same table within "
      "`max_gap` addresses of each other are read by one request (at most 125 registers or "
      "2000 bits). Polling runs on its own thread; a failed request is counted as "
      "`errors{reason=...}` (`timeout`, `connection_refused`, `connection_lost`, "
      "`illegal_data_address`, `illegal_function`, `server_failure`, ...), logged at a limited "
      "rate, and the other requests and groups go on; a lost connection is re-established with "
      "exponential backoff (`backoff` doubling up to `backoff_max`), counted as `reconnects`. A "
      "device that is down at start-up is not an error. See docs/sources/modbus.md.";
  def.params = {
      {"url", "string", "", "`tcp://HOST[:PORT]` (port 502 by default) or "
       "`rtu:///dev/ttyUSB0?baud=9600&parity=N&data_bits=8&stop_bits=1` (parity N, E or O).",
       true},
      {"unit_id", "integer or list of integer", "1",
       "Unit id(s) (slave addresses) polled by groups that name none; 0..255 over TCP, 1..247 "
       "on a serial line.",
       false},
      {"device", "string", "modbus-{unit_id}",
       "Device id of the events; `{unit_id}` is replaced by the unit id. A group may override it.",
       false},
      {"timeout", "duration", "1s", "Response timeout of each request (and of connecting).", false},
      {"backoff", "duration", "1s",
       "Wait before reconnecting after a failure; doubles after each failed attempt.", false},
      {"backoff_max", "duration", "30s", "The longest wait between reconnect attempts.", false},
      {"max_gap", "integer", "0",
       "Unused addresses allowed inside one read request when coalescing neighbouring registers "
       "(0: only adjacent registers share a request).",
       false},
      {"max_pending", "integer", "10000",
       "Events polled but not yet taken by the pipeline; beyond it new events are dropped "
       "(`dropped{reason=\"queue_full\"}`).",
       false},
      {"groups", "list of group", "",
       "Register groups: each has `interval` (default 1s), optional `unit_id` and `device`, and "
       "`registers`: a list of {`name`, `address` (0-based), `table` (holding | input | coil | "
       "discrete; default holding), `type` (int16 | uint16 | int32 | uint32 | float32 | bool; "
       "default uint16, bool for bit tables), `word_order` (big | little), `byte_order` (big | "
       "little), `scale` (default 1), `offset` (default 0), `unit` (becomes the tag "
       "`unit.NAME`)}.",
       true},
  };
  def.example =
      "id: plc\n"
      "type: modbus\n"
      "url: tcp://192.168.1.50:502\n"
      "unit_id: 1\n"
      "device: press-7\n"
      "groups:\n"
      "  - interval: 1s\n"
      "    registers:\n"
      "      - { name: temperature, address: 0, type: int16, scale: 0.1, unit: degC }\n"
      "      - { name: energy, address: 2, type: uint32, word_order: little }\n"
      "      - { name: running, address: 0, table: coil }\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::set<std::string> fields;
    std::optional<ModbusSourceConfig> config = ParseModbusSourceConfig(ctx.config, &fields);
    if (!config) return nullptr;
    ctx.output_schema.known = true;
    ctx.output_schema.fields = std::move(fields);
    return std::make_unique<ModbusSource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
