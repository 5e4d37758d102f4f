// A small Modbus TCP server (and client) on libmodbus for the integration
// tests of the modbus source and sink.
//
//   modbus_test_server serve PORT [options]   serves until killed
//     --hr ADDR=WORD[,WORD...]   holding registers from ADDR (WORD: decimal or 0x hex)
//     --ir ADDR=WORD[,WORD...]   input registers
//     --coil ADDR=BIT[,BIT...]   coils (0 or 1)
//     --log FILE                 appends "unit function start count" per request
//     --silent-unit N            never answers unit id N (a dead slave behind a gateway)
//   modbus_test_server serve-rtu DEVICE UNIT [options]
//                              the same as an RTU slave on a serial device
//                              (19200 8N1), e.g. one end of a socat pty pair
//   modbus_test_server read PORT hr|ir|coil ADDR COUNT [UNIT]
//                              prints the values, one per line
//
// Every table holds addresses 0..99; anything beyond is answered with the
// "illegal data address" exception by libmodbus.
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kTableSize = 100;

std::vector<int> ParseList(const std::string& text, int* address) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    std::fprintf(stderr, "expected ADDR=VALUES, got %s\n", text.c_str());
    std::exit(2);
  }
  *address = std::stoi(text.substr(0, eq));
  std::vector<int> values;
  size_t at = eq + 1;
  while (at <= text.size()) {
    const size_t comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    values.push_back(static_cast<int>(std::stol(item, nullptr, 0)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return values;
}

struct Options {
  modbus_mapping_t* map = nullptr;
  FILE* log = nullptr;
  int silent_unit = -1;
};

// Reads the table contents and options; exits on a bad option.
Options ParseOptions(int argc, char** argv) {
  Options o;
  o.map = modbus_mapping_new(kTableSize, kTableSize, kTableSize, kTableSize);
  modbus_mapping_t* map = o.map;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    int address = 0;
    if (flag == "--hr" || flag == "--ir" || flag == "--coil") {
      const std::vector<int> values = ParseList(value, &address);
      for (size_t k = 0; k < values.size(); ++k) {
        const int at = address + static_cast<int>(k);
        if (flag == "--hr") map->tab_registers[at] = static_cast<uint16_t>(values[k]);
        if (flag == "--ir") map->tab_input_registers[at] = static_cast<uint16_t>(values[k]);
        if (flag == "--coil") map->tab_bits[at] = values[k] != 0;
      }
    } else if (flag == "--log") {
      o.log = std::fopen(value.c_str(), "a");
    } else if (flag == "--silent-unit") {
      o.silent_unit = std::stoi(value);
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Logs the request and answers it (unless its unit is the silent one).
void Answer(modbus_t* ctx, const uint8_t* query, int length, const Options& o) {
  const int header = modbus_get_header_length(ctx);
  const int unit = query[header - 1];
  const int function = query[header];
  const int start = (query[header + 1] << 8) | query[header + 2];
  const int count = (query[header + 3] << 8) | query[header + 4];
  if (o.log != nullptr) {
    std::fprintf(o.log, "%d %d %d %d\n", unit, function, start, count);
    std::fflush(o.log);
  }
  if (unit == o.silent_unit) return;
  modbus_reply(ctx, query, length, o.map);
}

int ServeRtu(const char* device, int unit, int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  modbus_t* ctx = modbus_new_rtu(device, 19200, 'N', 8, 1);
  if (ctx == nullptr || modbus_set_slave(ctx, unit) != 0 || modbus_connect(ctx) != 0) {
    std::fprintf(stderr, "open %s: %s\n", device, modbus_strerror(errno));
    return 1;
  }
  uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
  while (true) {
    const int rc = modbus_receive(ctx, query);
    if (rc > 0) Answer(ctx, query, rc, o);
    if (rc < 0 && errno != EMBBADCRC && errno != ETIMEDOUT) {
      std::fprintf(stderr, "receive: %s\n", modbus_strerror(errno));
      return 1;
    }
  }
}

int Serve(int port, int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
  const int listener = modbus_tcp_listen(ctx, 8);
  if (listener < 0) {
    std::fprintf(stderr, "listen on %d: %s\n", port, modbus_strerror(errno));
    return 1;
  }
  fd_set all;
  FD_ZERO(&all);
  FD_SET(listener, &all);
  int max_fd = listener;
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  while (true) {
    fd_set ready = all;
    if (select(max_fd + 1, &ready, nullptr, nullptr, nullptr) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (int fd = 0; fd <= max_fd; ++fd) {
      if (!FD_ISSET(fd, &ready)) continue;
      if (fd == listener) {
        const int client = accept(listener, nullptr, nullptr);
        if (client >= 0) {
          FD_SET(client, &all);
          if (client > max_fd) max_fd = client;
        }
        continue;
      }
      modbus_set_socket(ctx, fd);
      const int rc = modbus_receive(ctx, query);
      if (rc <= 0) {
        if (rc < 0) {
          close(fd);
          FD_CLR(fd, &all);
        }
        continue;
      }
      Answer(ctx, query, rc, o);
    }
  }
}

int Read(int port, const std::string& table, int address, int count, int unit) {
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
  modbus_set_slave(ctx, unit);
  if (modbus_connect(ctx) != 0) {
    std::fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
    return 1;
  }
  if (table == "coil") {
    std::vector<uint8_t> bits(static_cast<size_t>(count));
    if (modbus_read_bits(ctx, address, count, bits.data()) != count) {
      std::fprintf(stderr, "read: %s\n", modbus_strerror(errno));
      return 1;
    }
    for (uint8_t b : bits) std::printf("%d\n", b);
  } else {
    std::vector<uint16_t> words(static_cast<size_t>(count));
    const int n = table == "ir" ? modbus_read_input_registers(ctx, address, count, words.data())
                                : modbus_read_registers(ctx, address, count, words.data());
    if (n != count) {
      std::fprintf(stderr, "read: %s\n", modbus_strerror(errno));
      return 1;
    }
    for (uint16_t w : words) std::printf("%u\n", w);
  }
  modbus_close(ctx);
  modbus_free(ctx);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "serve") == 0) {
    return Serve(std::atoi(argv[2]), argc - 3, argv + 3);
  }
  if (argc >= 4 && std::strcmp(argv[1], "serve-rtu") == 0) {
    return ServeRtu(argv[2], std::atoi(argv[3]), argc - 4, argv + 4);
  }
  if (argc >= 6 && std::strcmp(argv[1], "read") == 0) {
    return Read(std::atoi(argv[2]), argv[3], std::atoi(argv[4]), std::atoi(argv[5]),
                argc >= 7 ? std::atoi(argv[6]) : 1);
  }
  std::fprintf(stderr, "usage: modbus_test_server serve PORT [options] | read PORT hr|ir|coil ADDR COUNT [UNIT]\n");
  return 2;
}
