#!/usr/bin/env bash
# Fault test: the outbox's filesystem really fills up. Mounts a 2 MB tmpfs
# (we run as root in CI) and runs outbox_fault_driver on it with each
# overflow policy; the driver checks the policy was applied exactly and
# that what was dropped was reported. Without permission to mount, tries a
# loop-mounted file; failing that, skips with a clear message (exit 77).
#   outbox_full_disk_test.sh PATH/TO/outbox_fault_driver
set -euo pipefail
driver="$1"
work="$(mktemp -d)"
mnt="$work/mnt"
mkdir -p "$mnt"
mounted=""
cleanup() {
  if [[ -n "$mounted" ]]; then umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mount_small_fs() {
  if mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
    mounted=tmpfs
    return 0
  fi
  if command -v mkfs.ext4 >/dev/null && truncate -s 4m "$work/disk.img" &&
     mkfs.ext4 -q -F "$work/disk.img" >/dev/null 2>&1 && mount -o loop "$work/disk.img" "$mnt" 2>/dev/null; then
    mounted=loop
    return 0
  fi
  return 1
}

for policy in drop_oldest drop_newest; do
  if ! mount_small_fs; then
    echo "SKIP: cannot mount a small filesystem here (needs root: mount -t tmpfs or a loop device)"
    exit 77
  fi
  echo "== $policy on a $(df -h --output=size "$mnt" | tail -1 | tr -d ' ') $mounted"
  "$driver" "$mnt/outbox" "$policy"
  umount "$mnt"
  mounted=""
done
echo "outbox full-disk fault test passed"
