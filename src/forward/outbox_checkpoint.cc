#include "forward/outbox_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "forward/crc32c.h"

namespace edgeflow {
namespace {

constexpr const char* kClassNames[3] = {"alert", "event", "telemetry"};

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

Status Errno(const std::string& what) { return IoError(what + ": " + std::strerror(errno)); }

}  // namespace

std::string EncodeCheckpoint(const OutboxCheckpoint& checkpoint) {
  std::string text = "edgeflow-outbox-acks 2\nnext_seq " + std::to_string(checkpoint.next_seq) + "\n";
  for (int c = 0; c < 3; ++c) {
    text += "class ";
    text += kClassNames[c];
    text += " floor " + std::to_string(checkpoint.classes[c].floor) + " acked";
    for (const auto& [first, last] : checkpoint.classes[c].acked) {
      text += " " + std::to_string(first);
      if (last != first) text += "-" + std::to_string(last);
    }
    text += "\n";
  }
  text += "crc32c " + Hex(Crc32c(text.data(), text.size())) + "\n";
  return text;
}

Result<OutboxCheckpoint> DecodeCheckpoint(const std::string& text) {
  size_t crc_at = text.rfind("crc32c ");
  if (crc_at == std::string::npos) return Corruption("ack checkpoint has no checksum line");
  std::string expected = Hex(Crc32c(text.data(), crc_at));
  if (text.compare(crc_at + 7, 8, expected) != 0) return Corruption("ack checkpoint checksum mismatch");
  std::istringstream in(text.substr(0, crc_at));
  std::string word;
  int version = 0;
  if (!(in >> word >> version) || word != "edgeflow-outbox-acks" || (version != 1 && version != 2)) {
    return Corruption("ack checkpoint has an unknown header");
  }
  OutboxCheckpoint checkpoint;
  if (!(in >> word >> checkpoint.next_seq) || word != "next_seq") return Corruption("ack checkpoint: no next_seq");
  std::string line;
  std::getline(in, line);
  for (int c = 0; c < 3; ++c) {
    if (!std::getline(in, line)) return Corruption("ack checkpoint: missing class line");
    std::istringstream fields(line);
    std::string tag, name, floor_word, acked_word;
    uint64_t floor = 0;
    if (!(fields >> tag >> name >> floor_word >> floor >> acked_word) || tag != "class" ||
        name != kClassNames[c] || floor_word != "floor" || acked_word != "acked") {
      return Corruption("ack checkpoint: bad line '" + line + "'");
    }
    checkpoint.classes[c].floor = floor;
    // Version 1 lists single seqs; version 2 also "first-last" ranges.
    std::string item;
    while (fields >> item) {
      uint64_t first = 0, last = 0;
      char dash = 0, extra = 0;
      int n = std::sscanf(item.c_str(), "%" SCNu64 "%c%" SCNu64 "%c", &first, &dash, &last, &extra);
      if (n == 1) {
        last = first;
      } else if (n != 3 || dash != '-' || version < 2 || last < first) {
        return Corruption("ack checkpoint: bad acked item '" + item + "'");
      }
      checkpoint.classes[c].acked.emplace_back(first, last);
    }
    NormalizeRanges(checkpoint.classes[c].acked);
  }
  return checkpoint;
}

void NormalizeRanges(std::vector<OutboxCheckpoint::Range>& ranges) {
  std::sort(ranges.begin(), ranges.end());
  size_t kept = 0;
  for (const auto& r : ranges) {
    if (kept > 0 && (ranges[kept - 1].second == UINT64_MAX || r.first <= ranges[kept - 1].second + 1)) {
      ranges[kept - 1].second = std::max(ranges[kept - 1].second, r.second);
    } else {
      ranges[kept++] = r;
    }
  }
  ranges.resize(kept);
}

bool InRanges(const std::vector<OutboxCheckpoint::Range>& ranges, uint64_t seq) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), OutboxCheckpoint::Range{seq, UINT64_MAX});
  if (it == ranges.begin()) return false;
  --it;
  return it->first <= seq && seq <= it->second;
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync " + dir);
  return Status::Ok();
}

Status WriteCheckpointFile(const std::string& dir, const OutboxCheckpoint& checkpoint, bool sync) {
  std::string text = EncodeCheckpoint(checkpoint);
  std::string tmp = dir + "/acks.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create " + tmp);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (sync && ::fdatasync(fd) != 0) {
    Status s = Errno("fdatasync " + tmp);
    ::close(fd);
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), (dir + "/acks").c_str()) != 0) return Errno("rename " + tmp);
  return sync ? SyncDirectory(dir) : Status::Ok();
}

Result<OutboxCheckpoint> ReadCheckpointFile(const std::string& dir) {
  std::string path = dir + "/acks";
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path);
  std::stringstream text;
  text << in.rdbuf();
  auto checkpoint = DecodeCheckpoint(text.str());
  if (!checkpoint.ok()) return checkpoint.status().WithContext(path);
  return checkpoint;
}

}  // namespace edgeflow
