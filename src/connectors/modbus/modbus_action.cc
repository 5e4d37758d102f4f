#include "connectors/modbus/modbus_action.h"

#include <charconv>
#include <memory>

#include "connectors/modbus/modbus_client.h"
#include "connectors/modbus/modbus_url.h"
#include "connectors/modbus/register_config.h"
#include "model/event_template.h"
#include "pipeline/action_worker.h"

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
  explicit ModbusAction(ModbusActionConfig config)
      : config_(std::move(config)),
        worker_(config_.max_pending, "not written: too many writes pending (device unreachable?)",
                "not written: shutting down") {
    target_text_ = std::string(ModbusTableName(config_.target.table)) + " " +
                   std::to_string(config_.target.address) + " of unit " +
                   std::to_string(config_.unit_id);
  }
  ~ModbusAction() override { worker_.Stop(0); }

  Status Start() override {
    // The connection belongs to the worker thread.
    client_ = std::make_unique<ModbusClient>(config_.endpoint, config_.timeout);
    worker_.Start([this](Write& w) { Perform(w); });
    return Status::Ok();
  }

  void Fire(const Event& alert) override {
    ActionResult result{alert.device, alert.time, false, target_text_, ""};
    text_.clear();
    const bool complete = config_.value.Render(alert, text_);
    double value = 0;
    const char* end = text_.data() + text_.size();
    auto [ptr, ec] = std::from_chars(text_.data(), end, value);
    if (!complete || ec != std::errc() || ptr != end) {
      result.detail = "value '" + text_ + "' is not a number";
      worker_.Record(std::move(result));
      return;
    }
    worker_.Submit({std::move(result), value});
  }

  void TakeResults(std::vector<ActionResult>& out) override { worker_.TakeResults(out); }
  void Stop(TimeMicros drain) override { worker_.Stop(drain); }

 private:
  struct Write {
    ActionResult result;
    double value = 0;
  };

  void Perform(Write& w) {
    ModbusClient& client = *client_;
    ModbusError error = WriteOnce(client, w.value);
    if (!error.ok() && error.connection_lost) {
      client.Close();
      error = WriteOnce(client, w.value);  // one retry on a fresh connection
    }
    if (!error.ok() && error.connection_lost) client.Close();
    w.result.ok = error.ok();
    w.result.detail = error.ok() ? "written" : std::string(error.reason) + ": " + error.message;
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
  std::unique_ptr<ModbusClient> client_;
  ActionWorker<Write> worker_;
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
