#!/usr/bin/env python3
"""A fake hypervisor with a fake agent behind it, for avps's external adapter.

No VM runs: this program *is* the platform. It serves the agent's JSON Lines protocol on a Unix
socket and misbehaves the way the scenario says. Every process it starts keeps this command line,
so a unique MARKER argument finds all of them with `pgrep -f MARKER` after a run.

usage: fake_platform.py SCENARIO MARKER SOCKET SERIAL_LOG
"""
import json
import os
import socket
import sys
import time

SCENARIO, MARKER, SOCKET_PATH, SERIAL_LOG = sys.argv[1:5]

READY = {"event": "ready", "agent_version": "0.1.0", "protocol_version": 1}
HELLO = {"agent_version": "0.1.0", "protocol_version": 1, "kernel_release": "6.1.0-fake", "machine": "x86_64"}


def send(conn, obj):
    conn.sendall(json.dumps(obj).encode() + b"\n")


def requests(conn):
    """Yields each request frame the host sends, until it hangs up."""
    buffer = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            try:
                yield json.loads(line)
            except ValueError:
                pass


def serve(handler):
    """Listens on the agent socket and hands each connection to `handler`."""
    try:
        os.unlink(SOCKET_PATH)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(SOCKET_PATH)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        try:
            handler(conn)
        except OSError:
            pass
        conn.close()


def sleep_forever():
    while True:
        time.sleep(3600)


# -- agents -------------------------------------------------------------------------------------

def dying_agent(conn):
    """Ready and hello, then the hypervisor dies with hostile bytes on its stderr."""
    send(conn, READY)
    for request in requests(conn):
        send(conn, {"id": request["id"], "result": HELLO})
        os.write(2, b"warning: noise\n" * 3 + b"fatal: device exploded \x1b[2J\xff \xe2\x80\xae gnp.exe\n")
        os._exit(1)


def flood_agent(conn):
    """Ready, then an endless stream of well-formed 64 KiB frames that answer nothing."""
    send(conn, READY)
    conn.recv(65536)
    frame = (json.dumps({"event": "log", "text": "a" * (64 * 1024 - 40)}) + "\n").encode()
    while True:
        conn.sendall(frame * 16)


def silent_agent(conn):
    """Accepts the connection and never says a word."""
    while conn.recv(65536):
        pass


def wrong_protocol_agent(conn):
    """Ready, then a hello in a protocol version the host does not speak: a quick INFRA."""
    send(conn, READY)
    for request in requests(conn):
        send(conn, {"id": request["id"], "result": dict(HELLO, protocol_version=99)})


BIG = "E" * ((1 << 20) - 64)  # a 1 MB error message

HONEST_DEVICES = [
    {"name": "virtio0", "device_id": 4, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:02.0",
     "pci_device_id": 0x1044, "negotiated_features": [28, 29, 32], "status": 15, "driver": "virtio_rng"},
]

CLAIMED_DEVICES = HONEST_DEVICES + [
    {"name": "virtio1", "device_id": 2, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:03.0",
     "pci_device_id": 0x1042, "negotiated_features": [9, 32], "status": 15, "driver": "virtio_blk"},
]

DEVICES = [
    {"name": "virtio0", "device_id": 4, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:02.0",
     "pci_device_id": 0x1044, "negotiated_features": [28, 29, 32], "status": 0x10F, "driver": "virtio_rng"},
]


def answering_agent(error_text=None, devices=DEVICES, honest=False):
    """A liar: hello, an inventory with no VM behind it, and an answer to every probe (honest:
    plausible values, and every probe answered as unable to measure)."""
    def agent(conn):
        send(conn, READY)
        for request in requests(conn):
            method, rid = request.get("method"), request.get("id")
            if method == "hello":
                send(conn, {"id": rid, "result": HELLO})
            elif method == "inventory":
                send(conn, {"id": rid, "result": {"devices": devices}})
            elif method == "probe" and error_text is not None:
                send(conn, {"id": rid, "error": {"code": "EIO", "message": error_text}})
            elif method == "probe" and honest:
                params = request.get("params", {})
                send(conn, {"id": rid, "result": {"name": params.get("name"), "device": params.get("device"),
                                                  "status": "unavailable", "facts": {}, "reason": "fake platform"}})
            elif method == "probe":
                params = request.get("params", {})
                send(conn, {"id": rid, "result": {"name": "console.transfer", "device": params.get("device"),
                                                  "status": "ok", "facts": {"host_pattern_ok": True, "verified": 1}}})
            elif method == "poweroff":
                send(conn, {"id": rid, "result": {}})
                return
    return agent


# -- data paths the host holds the other end of -------------------------------------------------

DATA_DEVICES = [
    {"name": "virtio0", "device_id": 2, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:02.0",
     "pci_device_id": 0x1042, "negotiated_features": [9, 32], "status": 15, "driver": "virtio_blk"},
    {"name": "virtio1", "device_id": 1, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:03.0",
     "pci_device_id": 0x1041, "negotiated_features": [5, 32], "status": 15, "driver": "virtio_net"},
    {"name": "virtio2", "device_id": 9, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:04.0",
     "pci_device_id": 0x1049, "negotiated_features": [0, 32], "status": 15, "driver": "9pnet_virtio"},
    {"name": "virtio3", "device_id": 27, "vendor_id": 0x1AF4, "transport": "pci", "bus_address": "0000:00:05.0",
     "pci_device_id": 0x105B, "negotiated_features": [32], "status": 15, "driver": "virtio_pmem"},
]
WORKSPACE = os.path.dirname(SOCKET_PATH)
MASK = (1 << 64) - 1


def storage_pattern(seed, count):
    """The agent's xorshift64* stream (storage.c)."""
    state, out = seed or 1, bytearray()
    while len(out) < count:
        state ^= state >> 12
        state = (state ^ (state << 25)) & MASK
        state ^= state >> 27
        out += ((state * 0x2545F4914F6CDD1D) & MASK).to_bytes(8, "little")
    return bytes(out[:count])


def make_host_files():
    """The files the suite declares under host_files, as an external hypervisor would create them."""
    for name, size in (("disk0.raw", 16 << 20), ("pmem0.img", 16 << 20)):
        with open(os.path.join(WORKSPACE, name), "wb") as f:
            f.truncate(size)
    os.makedirs(os.path.join(WORKSPACE, "share0"), exist_ok=True)


def do_the_work(name, params):
    """What a real guest's probe would leave at the host's end of each data path."""
    if name in ("block.integrity", "pmem.integrity"):
        path = os.path.join(WORKSPACE, "disk0.raw" if name == "block.integrity" else "pmem0.img")
        with open(path, "r+b") as f:
            f.seek(params["offset"])
            f.write(storage_pattern(params["seed"], params["bytes"]))
    elif name == "9p.fileops":
        with open(os.path.join(WORKSPACE, "share0", params["keep_file"]), "wb") as f:
            f.write(bytes((i * 7 + 3) & 0xFF for i in range(65536)))
    elif name == "net.udp_echo":
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.settimeout(2)
        for seq in range(params["count"]):
            udp.sendto(bytes([seq]) * 64, ("127.0.0.1", params["port"]))
            udp.recv(2048)
        udp.close()


CLAIMS = {
    "block.integrity": {"write_ok": True, "flush_ok": True, "read_ok": True, "mismatched_bytes": 0, "verified": True,
                        "write_mib_per_s": 200.0},
    "pmem.integrity": {"write_ok": True, "flush_ok": True, "read_ok": True, "mismatched_bytes": 0, "verified": True},
    "9p.fileops": {"mount_ok": True, "create_ok": True, "write_ok": True, "read_ok": True, "data_verified": True},
    "net.link": {"carrier": True, "admin_up": True},
    "net.udp_echo": {"carrier": True, "sent": 20, "received": 20, "late": 0, "lost": 0, "corrupted": 0},
}


def data_agent(honest):
    """Claims every write and echo went through; `honest` also does them, a liar does not."""
    def agent(conn):
        send(conn, READY)
        for request in requests(conn):
            method, rid, params = request.get("method"), request.get("id"), request.get("params", {})
            if method == "hello":
                send(conn, {"id": rid, "result": HELLO})
            elif method == "inventory":
                send(conn, {"id": rid, "result": {"devices": DATA_DEVICES}})
            elif method == "probe":
                name, probe_params = params.get("name"), params.get("params", {})
                facts = dict(CLAIMS.get(name, {}))
                if honest and facts:
                    do_the_work(name, probe_params)
                status = "ok" if facts else "unavailable"
                send(conn, {"id": rid, "result": {"name": name, "device": params.get("device"), "status": status,
                                                  "facts": facts, "reason": None if facts else "fake platform"}})
            elif method == "poweroff":
                send(conn, {"id": rid, "result": {}})
                return
    return agent


# -- descendants that try to outlive the run ----------------------------------------------------

def spawn_descendants():
    """A child in our process group, a child in a session of its own, and a double-fork daemon."""
    if os.fork() == 0:
        sleep_forever()
    if os.fork() == 0:
        os.setsid()
        sleep_forever()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            sleep_forever()
        os._exit(0)
    os.wait()  # reap the daemon's first parent (not the other two)


def daemonize():
    """Returns in the daemon; the start command itself exits 0 at once."""
    if os.fork() != 0:
        os._exit(0)
    os.setsid()
    if os.fork() != 0:
        os._exit(0)


# -- scenarios ----------------------------------------------------------------------------------

def main():
    if SCENARIO == "flood":
        serve(flood_agent)
    elif SCENARIO == "stderr-flood":
        # Megabytes of stderr in one line, then death before any agent channel appears.
        chunk = b"x" * (1 << 20)
        os.write(2, b"fatal: ")
        for _ in range(64):
            os.write(2, chunk)
        os.write(2, b"\n")
        sys.exit(1)
    elif SCENARIO == "serial-sparse":
        # A console log of 4 GiB (sparse) and an agent that never sends ready.
        with open(SERIAL_LOG, "wb") as log:
            log.write(b"booting...\n")
            log.truncate(4 << 30)
            log.seek((4 << 30) - 18)
            log.write(b"\nstill booting...\n")
        serve(silent_agent)
    elif SCENARIO == "big-error":
        serve(answering_agent(error_text=BIG, devices=HONEST_DEVICES))
    elif SCENARIO == "liar":
        serve(answering_agent())
    elif SCENARIO == "dies":
        serve(dying_agent)
    elif SCENARIO == "claims":
        serve(answering_agent(devices=CLAIMED_DEVICES, honest=True))
    elif SCENARIO == "descendants":
        spawn_descendants()
        serve(wrong_protocol_agent)
    elif SCENARIO == "descendants-normal":
        spawn_descendants()
        serve(answering_agent(devices=HONEST_DEVICES, honest=True))
    elif SCENARIO == "descendants-silent":
        spawn_descendants()
        serve(silent_agent)
    elif SCENARIO == "daemon":
        daemonize()
        spawn_descendants()
        serve(wrong_protocol_agent)
    elif SCENARIO == "daemon-silent":
        daemonize()
        spawn_descendants()
        serve(silent_agent)
    elif SCENARIO == "daemon-normal":
        daemonize()
        spawn_descendants()
        serve(answering_agent(devices=HONEST_DEVICES, honest=True))
    elif SCENARIO in ("data-liar", "data-honest"):
        make_host_files()
        serve(data_agent(honest=SCENARIO == "data-honest"))
    elif SCENARIO == "stop-hangs":
        sleep_forever()
    else:
        sys.exit("unknown scenario " + SCENARIO)


if __name__ == "__main__":
    main()
