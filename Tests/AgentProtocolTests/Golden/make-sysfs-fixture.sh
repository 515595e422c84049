#!/bin/sh
# Regenerates the fake sysfs tree in ./sysfs (committed; rerun only to change it).
# Layout mirrors Linux: bus/virtio/devices/* are relative symlinks into devices/.
set -eu
cd "$(dirname "$0")"
rm -rf sysfs
mkdir -p sysfs && cd sysfs

for d in bus/pci bus/platform bus/virtio/drivers/virtio_rng bus/virtio/drivers/virtio_blk \
         bus/virtio/drivers/virtio_console; do
    mkdir -p "$d" && : > "$d/.keep"   # git keeps no empty dirs
done
mkdir -p bus/virtio/devices

bits() { # bits LENGTH BIT... -> '0'/'1' string, leftmost char = bit 0
    len=$1; shift
    awk -v len="$len" -v set="$*" 'BEGIN { n = split(set, b, " "); for (i = 1; i <= n; i++) on[b[i]] = 1;
        s = ""; for (i = 0; i < len; i++) s = s (i in on ? "1" : "0"); print s }'
}

# pci_dev NAME BDF PCI_ID VIRTIO_ID STATUS FEATURES [DRIVER]
pci_dev() {
    p=devices/pci0000:00/$2
    mkdir -p "$p/$1"
    printf '%s\n' "$3" > "$p/device"
    printf '0x1af4\n' > "$p/vendor"
    ln -s ../../../bus/pci "$p/subsystem"
    [ -n "$4" ] && printf '%s\n' "$4" > "$p/$1/device"
    printf '0x1af4\n' > "$p/$1/vendor"
    [ -n "$5" ] && printf '%s\n' "$5" > "$p/$1/status"
    printf '%s\n' "$6" > "$p/$1/features"
    [ -n "${7:-}" ] && ln -s "../../../../bus/virtio/drivers/$7" "$p/$1/driver"
    ln -s "../../../$p/$1" "bus/virtio/devices/$1"
}

# virtio-rng, transitional (PCI 0x1005), real Linux 6.1 feature string (reference/virtio.md 5.2)
pci_dev virtio0 0000:00:03.0 0x1005 0x0004 0x0000000f "$(bits 64 28 29 32 40)" virtio_rng
# virtio-blk, modern-only (PCI 0x1042), 128-character features string (Linux >= 6.17 format)
pci_dev virtio1 0000:00:04.0 0x1042 0x0002 0x0000000f "$(bits 128 1 2 5 6 9 10 12 13 14 28 29 32 34 40)" virtio_blk
# virtio-net found but no driver bound: status ACKNOWLEDGE only, features all zero
pci_dev virtio2 0000:00:05.0 0x1000 0x0001 0x00000001 "$(bits 64)"
# broken entry: no device/status files, garbage features -> those fields must be null
pci_dev virtio10 0000:00:0a.0 0x1003 "" "" "01x1"

# virtio-mmio console on the platform bus (QEMU vendor id "QEMU" = 0x554d4551)
p=devices/platform/feb02e00.virtio_mmio
mkdir -p "$p/virtio3"
ln -s ../../../bus/platform "$p/subsystem"
printf '0x0003\n' > "$p/virtio3/device"
printf '0x554d4551\n' > "$p/virtio3/vendor"
printf '0x0000000f\n' > "$p/virtio3/status"
bits 64 1 28 29 32 > "$p/virtio3/features"
ln -s ../../../../bus/virtio/drivers/virtio_console "$p/virtio3/driver"
ln -s "../../../$p/virtio3" bus/virtio/devices/virtio3

# the agent's own virtio-serial port, for channel discovery
mkdir -p class/virtio-ports/vport0p1
printf 'org.avps.agent.0\n' > class/virtio-ports/vport0p1/name
