// factory_datagen: writes the factory benchmark's input, one JSON object per
// line: DEVICES devices x HZ readings per second for SECONDS seconds, four
// numeric fields, about 1 in 1000 temperature readings a glitch (-999), and
// one device whose vibration rises so the alert rule fires.
//
//   factory_datagen OUT.jsonl [devices=1000] [hz=10] [seconds=1000] [seed=1]
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: factory_datagen OUT.jsonl [devices] [hz] [seconds] [seed]\n");
    return 2;
  }
  const int devices = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int hz = argc > 3 ? std::atoi(argv[3]) : 10;
  const int seconds = argc > 4 ? std::atoi(argv[4]) : 1000;
  const unsigned seed = argc > 5 ? static_cast<unsigned>(std::atoi(argv[5])) : 1;
  std::FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::uniform_int_distribution<int> glitch(0, 999);
  const int64_t start_ms = 1700000000000;
  const int64_t step_ms = 1000 / hz;
  std::string line;
  for (int64_t tick = 0; tick < static_cast<int64_t>(seconds) * hz; ++tick) {
    const int64_t t = start_ms + tick * step_ms;
    for (int d = 0; d < devices; ++d) {
      double temperature_f = 160 + 2 * noise(rng);
      if (glitch(rng) == 0) temperature_f = -999;
      double vibration = 0.3 + 0.02 * noise(rng);
      if (d == 7 && tick > hz * 60) vibration *= 5;  // a failing bearing
      const double pressure = 101 + 0.5 * noise(rng);
      const double current = 12 + 0.1 * noise(rng);
      std::fprintf(out,
                   "{\"device\":\"press-%04d\",\"time\":%" PRId64
                   ",\"temperature_f\":%.2f,\"vibration_rms\":%.3f,\"pressure_kpa\":%.2f,\"current_a\":%.2f}\n",
                   d, t, temperature_f, vibration, pressure, current);
    }
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
