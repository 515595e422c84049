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

# hexfile PATH HEX... -> writes the bytes (two hex digits each) to PATH
hexfile() {
    out=$1; shift
    echo "$*" | LC_ALL=C awk '{ for (i = 1; i <= NF; i++) printf "%c", strtonum("0x" $i) }' > "$out" 2>/dev/null ||
    echo "$*" | LC_ALL=C awk 'function h(s) { return index("0123456789abcdef", substr(s,1,1)) * 16 + index("0123456789abcdef", substr(s,2,1)) - 17 }
        { for (i = 1; i <= NF; i++) printf "%c", h($i) }' > "$out"
}
zeros() { n=$1; s=""; while [ "$n" -gt 0 ]; do s="$s 00"; n=$((n - 1)); done; echo "$s"; }

# PCI config space as QEMU 7.2 lays it out (reference/virtio.md 4.3): vendor caps at 0x40 COMMON,
# 0x50 ISR, 0x60 DEVICE, 0x70 NOTIFY, 0x84 PCI_CFG, MSI-X (enabled) at 0x98 heading the list.
# qemu_config DEVICE_ID_LO DEVICE_ID_HI
qemu_config() {
    echo "f4 1a $1 $2 07 05 10 00 $(zeros 36) f4 1a 00 11 00 00 00 00 98 $(zeros 11)" \
         "09 50 10 01 04 00 00 00 00 00 00 00 00 10 00 00" \
         "09 60 10 03 04 00 00 00 00 10 00 00 00 10 00 00" \
         "09 70 10 04 04 00 00 00 00 20 00 00 00 10 00 00" \
         "09 84 14 02 04 00 00 00 00 30 00 00 00 10 00 00 04 00 00 00" \
         "09 00 14 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" \
         "11 40 01 80 01 00 00 00 01 08 00 00 $(zeros 92)"
}
# Full config space, but on a regular file: the agent must refuse the window (it writes only to
# sysfs) and fall back to the read-only legacy I/O BAR (resource0) of the transitional rng.
hexfile devices/pci0000:00/0000:00:03.0/config $(qemu_config 05 10)
hexfile devices/pci0000:00/0000:00:03.0/resource0 "00 00 00 79 $(zeros 28)"
hexfile devices/pci0000:00/0000:00:04.0/config $(qemu_config 42 10)
# Legacy-only net (disable-modern=on): only an MSI-X cap (disabled), HOST_FEATURES 0x79bfffe7,
# device config at 20: mac 52:54:00:12:34:56, status 1.
hexfile devices/pci0000:00/0000:00:05.0/config \
    "f4 1a 00 10 07 05 10 00 $(zeros 36) f4 1a 01 00 00 00 00 00 40 $(zeros 11) 11 00 01 00 01 00 00 00 01 08 00 00 $(zeros 180)"
hexfile devices/pci0000:00/0000:00:05.0/resource0 "e7 ff bf 79 $(zeros 16) 52 54 00 12 34 56 01 00 $(zeros 4)"

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

# console ports as virtio_console publishes them (console.ports probe)
for port in vport1p0:org.avps.agent.0 vport1p1:org.example.log vport1p2:; do
    mkdir -p "$p/virtio3/virtio-ports/${port%%:*}"
    printf '%s\n' "${port#*:}" > "$p/virtio3/virtio-ports/${port%%:*}/name"
done

# virtio-iommu without a driver (Debian 6.1 has none): iommu.groups must say unavailable
pci_dev virtio4 0000:00:06.0 0x1057 0x0017 0x00000001 "$(bits 64)"
# virtio-input keyboard with evdev capability bitmaps (input.caps probe); no event node
pci_dev virtio5 0000:00:07.0 0x1052 0x0012 0x0000000f "$(bits 64 28 29 32 40)" virtio_input
i=devices/pci0000:00/0000:00:07.0/virtio5/input/input3
mkdir -p "$i/id" "$i/capabilities"
printf 'QEMU Virtio Keyboard\n' > "$i/name"
printf '0006\n' > "$i/id/bustype"; printf '0627\n' > "$i/id/vendor"
printf '0001\n' > "$i/id/product"; printf '0001\n' > "$i/id/version"
printf '120003\n' > "$i/capabilities/ev"
printf 'ff 3 0\n' > "$i/capabilities/key"
printf '0\n' > "$i/capabilities/rel"
printf '0\n' > "$i/capabilities/abs"
mkdir -p bus/virtio/drivers/virtio_input && : > bus/virtio/drivers/virtio_input/.keep

# the agent's own virtio-serial port, for channel discovery
mkdir -p class/virtio-ports/vport0p1
printf 'org.avps.agent.0\n' > class/virtio-ports/vport0p1/name
