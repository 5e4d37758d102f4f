#include "connectors/builtin.h"

#include "connectors/basic/log_sink.h"
#include "connectors/basic/null_sink.h"
#include "connectors/basic/stdout_sink.h"
#include "connectors/coap/coap_source.h"
#include "connectors/file/file_sink.h"
#include "connectors/mqtt/mqtt_action.h"
#include "connectors/mqtt/mqtt_sink.h"
#include "connectors/mqtt/mqtt_source.h"
#include "connectors/modbus/modbus_action.h"
#include "connectors/modbus/modbus_sink.h"
#include "connectors/modbus/modbus_source.h"
#include "connectors/http/http_source.h"
#include "connectors/http/webhook_action.h"
#include "connectors/http/webhook_sink.h"
#include "connectors/replay/replay_source.h"
#include "connectors/serial/serial_source.h"
#include "connectors/sim/sim_source.h"
#include "forward/upstream_sink.h"
#include "forward/upstream_source.h"

// One include and one line per source or sink type.

namespace edgeflow {

void RegisterBuiltinConnectors(Registry& registry) {
  registry.Add(SimSourceDef());
  registry.Add(ReplaySourceDef());
  registry.Add(SerialSourceDef());
  registry.Add(ModbusSourceDef());
  registry.Add(CoapSourceDef());
  registry.Add(StdoutSinkDef());
  registry.Add(FileSinkDef());
  registry.Add(NullSinkDef());
  registry.Add(LogSinkDef());
  registry.Add(MqttSourceDef());
  registry.Add(MqttSinkDef());
  registry.AddAction(MqttActionDef());
  registry.Add(ModbusSinkDef());
  registry.AddAction(ModbusActionDef());
  registry.Add(HttpSourceDef());
  registry.Add(WebhookSinkDef());
  registry.AddAction(WebhookActionDef());
  registry.Add(UpstreamSourceDef());
  registry.Add(UpstreamSinkDef());
}

}  // namespace edgeflow
