#include "forward/outbox_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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
  std::string text = "edgeflow-outbox-acks 1\nnext_seq " + std::to_string(checkpoint.next_seq) + "\n";
  for (int c = 0; c < 3; ++c) {
    text += "class ";
    text += kClassNames[c];
    text += " floor " + std::to_string(checkpoint.classes[c].floor) + " acked";
    for (uint64_t seq : checkpoint.classes[c].acked) text += " " + std::to_string(seq);
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
  if (!(in >> word >> version) || word != "edgeflow-outbox-acks" || version != 1) {
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
    uint64_t seq;
    while (fields >> seq) checkpoint.classes[c].acked.push_back(seq);
  }
  return checkpoint;
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
