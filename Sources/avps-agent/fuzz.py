#!/usr/bin/env python3
# Usage: fuzz.py AGENT SYSFS_ROOT SECONDS [SEED]   (see `make fuzz`)
"""Feeds random and mutated frames to avps-agent --stdio and checks the answers.
Invariants: agent exits 0 at EOF, never crashes; exactly one response per
non-blank frame, in order; every output line is a JSON object."""
import json, os, random, subprocess, sys, time

AGENT = sys.argv[1]; SYSFS = sys.argv[2]; SECONDS = float(sys.argv[3])
seeds = [b'{"id":1,"method":"hello"}', b'{"id":2,"method":"inventory","params":{}}',
         b'{"id":3,"method":"x","params":{"a":[1,2.5e-3,{"b":"\\u00e9\\ud83d\\ude00"}],"c":null}}',
         b'{"id":-4,"method":"hel\\u006co","params":{"k":[true,false,"\\"\\\\\\/\\b\\f\\n\\r\\t"]}}']
tokens = [b'{', b'}', b'[', b']', b'"', b':', b',', b'\\', b'\\u', b'\\ud800', b'null', b'true',
          b'-', b'0', b'1e9', b'"id"', b'"method"', b'"params"', b'\x00', b'\xff', b'\xc3\xa9', b' ']

def mutate(b):
    b = bytearray(b)
    for _ in range(random.randint(1, 6)):
        op = random.random()
        pos = random.randint(0, len(b))
        if op < 0.3 and b: del b[random.randrange(len(b))]
        elif op < 0.6: b[pos:pos] = random.choice(tokens)
        elif op < 0.8 and b: b[random.randrange(len(b))] = random.randrange(256)
        else: b[pos:pos] = os.urandom(random.randint(1, 8))
    return bytes(b)

def frame():
    r = random.random()
    if r < 0.45: f = mutate(random.choice(seeds))
    elif r < 0.75: f = os.urandom(random.randint(0, 200))
    elif r < 0.95: f = b''.join(random.choice(tokens) for _ in range(random.randint(0, 60)))
    else: f = random.choice(seeds)
    return f.replace(b'\n', b'')

def blank(f): return f.strip(b' \t\r') == b''

random.seed(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
deadline = time.time() + SECONDS
runs = frames_total = 0
while time.time() < deadline:
    frames = [frame() for _ in range(random.randint(50, 400))]
    if random.random() < 0.1:
        frames.append(os.urandom(1 << 20).replace(b'\n', b'x'))   # oversized
    data = b''.join(f + b'\n' for f in frames)
    p = subprocess.run([AGENT, '--stdio', '--sysfs', SYSFS], input=data, capture_output=True, timeout=60)
    out = p.stdout.split(b'\n')
    assert out[-1] == b'', 'output not newline-terminated'
    lines = out[:-1]
    expected = sum(1 for f in frames if not blank(f))
    # a frame that happens to be a valid poweroff request ends the session early
    if p.returncode != 0 or (len(lines) - 1 != expected and b'"result":{}' not in lines[-1]):
        open('/tmp/fuzz-fail.bin', 'wb').write(data)
        sys.exit(f'FAIL rc={p.returncode} responses={len(lines)-1} expected={expected} stderr={p.stderr[-500:]!r}')
    for l in lines:
        o = json.loads(l)
        assert isinstance(o, dict) and (('result' in o) ^ ('error' in o) or 'event' in o), l
        if 'error' in o and o['id'] is None:
            assert o['error']['code'] in ('bad_request', 'frame_too_large'), l
    runs += 1; frames_total += len(frames)
print(f'ok: {runs} agent runs, {frames_total} frames, {SECONDS:.0f} s')
