#include "connectors/modbus/read_plan.h"

#include <algorithm>
#include <numeric>

namespace edgeflow {

std::vector<ReadRequest> PlanReads(const std::vector<RegisterLocation>& registers,
                                   const ReadPlanLimits& limits) {
  std::vector<size_t> order(registers.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const RegisterLocation& x = registers[a];
    const RegisterLocation& y = registers[b];
    if (x.table != y.table) return x.table < y.table;
    return x.address < y.address;
  });

  std::vector<ReadRequest> plan;
  int end = 0;  // one past the last address of the open request
  for (const size_t index : order) {
    const RegisterLocation& r = registers[index];
    const int max_count = IsBitTable(r.table) ? limits.max_bits : limits.max_registers;
    const int r_end = r.address + r.width;
    if (!plan.empty()) {
      ReadRequest& open = plan.back();
      const int new_end = std::max(end, r_end);
      if (open.table == r.table && r.address - end <= limits.max_gap &&
          new_end - open.start <= max_count) {
        end = new_end;
        open.count = end - open.start;
        open.members.push_back(index);
        continue;
      }
    }
    plan.push_back({r.table, r.address, r.width, {index}});
    end = r_end;
  }
  return plan;
}

}  // namespace edgeflow
