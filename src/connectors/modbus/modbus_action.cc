#include "connectors/modbus/modbus_action.h"

#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "connectors/modbus/modbus_client.h"
#include "connectors/modbus/modbus_url.h"
#include "connectors/modbus/register_config.h"
#include "model/event_template.h"

namespace edgeflow {
namespace {

struct ModbusActionConfig {
  ModbusEndpoint endpoint;
  int unit_id = 1;
  ParsedRegister target;
  EventTemplate value;  // a number, or a placeholder such as ${set_point}
  TimeMicros timeout = kMicrosPerSecond;
  size_t max_pending = 100;
};

class ModbusAction final : public Action {
 public:
  explicit ModbusAction(ModbusActionConfig config) : config_(std::move(config)) {
    target_text_ = std::string(ModbusTableName(config_.target.table)) + " " +
                   std::to_string(config_.target.address) + " of unit " +
                   std::to_string(config_.unit_id);
  }
  ~ModbusAction() override { Stop(0); }

  Status Start() override {
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  void Fire(const Event& alert) override {
    ActionResult result{alert.device, alert.time, false, target_text_, ""};
    text_.clear();
    const bool complete = config_.value.Render(alert, text_);
    double value = 0;
    const char* end = text_.data() + text_.size();
    auto [ptr, ec] = std::from_chars(text_.data(), end, value);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!complete || ec != std::errc() || ptr != end) {
      result.detail = "value '" + text_ + "' is not a number";
      done_.push_back(std::move(result));
      return;
    }
    if (queue_.size() >= config_.max_pending) {
      result.detail = "not written: too many writes pending (device unreachable?)";
      done_.push_back(std::move(result));
      return;
    }
    queue_.push_back({std::move(result), value});
    cv_.notify_one();
  }

  void TakeResults(std::vector<ActionResult>& out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (ActionResult& r : done_) out.push_back(std::move(r));
    done_.clear();
  }

  void Stop(TimeMicros drain) override {
    if (!thread_.joinable()) return;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::microseconds(drain), [&] { return queue_.empty() && !busy_; });
      stop_ = true;
      for (Write& w : queue_) {
        w.result.detail = "not written: shutting down";
        done_.push_back(std::move(w.result));
      }
      queue_.clear();
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  struct Write {
    ActionResult result;
    double value = 0;
  };

  void Run() {
    ModbusClient client(config_.endpoint, config_.timeout);
    while (true) {
      Write w;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        w = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      ModbusError error = WriteOnce(client, w.value);
      if (!error.ok() && error.connection_lost) {
        client.Close();
        error = WriteOnce(client, w.value);  // one retry on a fresh connection
      }
      if (!error.ok() && error.connection_lost) client.Close();
      w.result.ok = error.ok();
      w.result.detail = error.ok() ? "written" : std::string(error.reason) + ": " + error.message;
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(std::move(w.result));
      busy_ = false;
      cv_.notify_all();
    }
  }

  ModbusError WriteOnce(ModbusClient& client, double value) {
    if (!client.connected()) {
      ModbusError e = client.Connect();
      if (!e.ok()) return e;
    }
    const ParsedRegister& t = config_.target;
    if (t.table == ModbusTable::kCoil) return client.WriteCoil(config_.unit_id, t.address, value != 0);
    std::array<uint16_t, 2> words{};
    auto count = EncodeRegisters(value, t.format, &words);
    if (!count.ok()) {
      ModbusError e;
      e.code = -1;
      e.reason = "bad_value";
      e.message = count.status().message();
      return e;
    }
    return client.WriteRegisters(config_.unit_id, t.address, *count, words.data());
  }

  const ModbusActionConfig config_;
  std::string target_text_;
  std::string text_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Write> queue_;
  std::vector<ActionResult> done_;
  bool stop_ = false;
  bool busy_ = false;
};

}  // namespace

ActionDef ModbusActionDef() {
  ActionDef def;
  def.type = "modbus";
  def.summary = "Writes a holding register or a coil of a Modbus device when the rule fires.";
  def.params = {
      {"url", "string", "", "`tcp://host:port` or `rtu:///dev/ttyUSB0?baud=9600`.", true},
      {"unit_id", "int", "1", "Modbus unit (slave) id.", false},
      {"address", "int", "", "Register or coil address (0-based).", true},
      {"table", "holding | coil", "holding", "What to write.", false},
      {"type", "int16 | uint16 | int32 | uint32 | float32 | bool", "uint16 (bool for coils)",
       "How the value is encoded.", false},
      {"word_order", "big | little", "big", "Word order of 32-bit values.", false},
      {"byte_order", "big | little", "big", "Byte order within a word.", false},
      {"scale", "number", "1", "The value is divided by this before writing.", false},
      {"value", "number | template", "", "What to write: a number, or `${field}` of the alert.", true},
      {"timeout", "duration", "1s", "Per request.", false},
  };
  def.example = "modbus: { url: \"tcp://127.0.0.1:1502\", unit_id: 1, table: coil, address: 5, value: 0 }";
  def.make = [](const ConfigNode& config, const ComponentContext&) -> std::unique_ptr<Action> {
    ModbusActionConfig c;
    const ConfigNode url = config["url"];
    if (!config.Require("url")) return nullptr;
    auto endpoint = ParseModbusUrl(url.String(""));
    if (!endpoint.ok()) {
      url.Error(endpoint.status().message());
    } else {
      c.endpoint = *endpoint;
    }
    const std::vector<int> units = ParseUnitIds(config["unit_id"], 1);
    if (units.size() != 1) config["unit_id"].Error("one unit id");
    if (!units.empty()) c.unit_id = units.front();
    if (!config.Require("address")) return nullptr;
    auto target = ParseRegister(config, {"holding", "coil"}, false);
    if (target) c.target = *target;
    if (!config.Require("value")) return nullptr;
    c.value = EventTemplate::Parse(config["value"].String(""));
    c.timeout = config["timeout"].Duration(c.timeout);
    if (c.timeout <= 0) config["timeout"].Error("must be > 0");
    if (config.diagnostics()->has_errors() || !target) return nullptr;
    return std::make_unique<ModbusAction>(std::move(c));
  };
  return def;
}

}  // namespace edgeflow
