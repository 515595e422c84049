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
    elif SCENARIO == "stop-hangs":
        sleep_forever()
    else:
        sys.exit("unknown scenario " + SCENARIO)


if __name__ == "__main__":
    main()
