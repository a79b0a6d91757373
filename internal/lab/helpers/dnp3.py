#!/usr/bin/python3
"""vigil lab: DNP3 over TCP (IEEE 1815) with Python's standard library only.

  dnp3.py outstation --bind ADDR [--port 20000] [--address 10]
      an RTU: answers integrity polls (READ of class 0) with four analog
      inputs that move every second; COLD_RESTART and WARM_RESTART with the
      delay object (group 52), then sets IIN1.7 DEVICE_RESTART until the
      master clears it (WRITE of group 80); a cold restart also drops every
      connection and refuses new ones for --reboot seconds (the device
      reboots); ENABLE/DISABLE_UNSOLICITED with a null response; anything
      else with IIN2.0 (function not supported).
  dnp3.py master --outstation ADDR [--port 20000] [--interval 1] [--report 10]
      a SCADA master: an integrity poll every interval seconds on one
      connection, reconnecting when the RTU goes away; clears
      DEVICE_RESTART when the RTU sets it; says how many polls were
      answered every report polls.
  dnp3.py command --outstation ADDR --func cold-restart|warm-restart|disable-unsolicited
      one request on a connection of its own, from the master's DNP3
      address (DNP3 has no authentication); prints the answer.

Every frame is built here: the link layer's header and 16-byte blocks each
with its CRC-16/DNP, one transport segment, one application fragment. The
lab writes this file into its work directory and runs it in the
namespaces of its hosts (vigil's internal/lab, scenario ics-dnp3).
"""

import argparse
import asyncio
import math
import socket
import struct
import sys
import time

MASTER, OUTSTATION = 1, 10

READ, WRITE = 1, 2
COLD_RESTART, WARM_RESTART = 13, 14
ENABLE_UNSOLICITED, DISABLE_UNSOLICITED = 20, 21
RESPONSE = 0x81
FUNCS = {"cold-restart": COLD_RESTART, "warm-restart": WARM_RESTART, "disable-unsolicited": DISABLE_UNSOLICITED}
# The objects each command carries: the restarts none; (dis)abling
# unsolicited responses names the event classes 1–3 (group 60, all objects).
EVENT_CLASSES = bytes([60, 2, 0x06, 60, 3, 0x06, 60, 4, 0x06])
BODIES = {DISABLE_UNSOLICITED: EVENT_CLASSES}

IIN1_DEVICE_RESTART = 0x80
IIN2_NO_FUNC_CODE_SUPPORT = 0x01


def crc(data):
    """CRC-16/DNP: polynomial 0x3D65 reflected, complemented, little-endian."""
    c = 0
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0xA6BC if c & 1 else c >> 1
    return struct.pack("<H", ~c & 0xFFFF)


def frame(payload, dst, src, from_master):
    """One link-layer frame (unconfirmed user data) carrying payload."""
    if len(payload) > 250:
        raise ValueError("payload too long for one frame")
    control = 0x44 | (0x80 if from_master else 0)  # PRM, UNCONFIRMED_USER_DATA; DIR from the master
    header = bytes([0x05, 0x64, 5 + len(payload), control]) + struct.pack("<HH", dst, src)
    out = header + crc(header)
    for i in range(0, len(payload), 16):
        block = payload[i : i + 16]
        out += block + crc(block)
    return out


def fragment(seq, func, body=b"", iin=None):
    """A transport segment (FIR|FIN) holding one application fragment."""
    app = bytes([0xC0 | (seq & 0x0F), func])
    if iin is not None:
        app += bytes(iin)
    return bytes([0xC0 | (seq & 0x3F)]) + app + body


async def read_frame(reader):
    """The next frame's transport and application bytes, CRCs checked."""
    header = await reader.readexactly(10)
    if header[:2] != b"\x05\x64" or crc(header[:8]) != header[8:10]:
        raise ValueError("bad link header")
    n = header[2] - 5
    payload = b""
    while n > 0:
        size = min(16, n)
        block = await reader.readexactly(size + 2)
        if crc(block[:size]) != block[size:]:
            raise ValueError("bad block CRC")
        payload += block[:size]
        n -= size
    if len(payload) < 3:
        raise ValueError("short fragment")
    return payload[1:]  # without the transport header


class Outstation:
    def __init__(self, args):
        self.args = args
        self.restart_bit = True  # set at power-up until the master clears it
        self.unsolicited = True
        self.down_until = 0.0
        self.writers = set()
        self.t0 = time.monotonic()

    def iin(self, extra2=0):
        return [IIN1_DEVICE_RESTART if self.restart_bit else 0, extra2]

    def analogs(self):
        t = time.monotonic() - self.t0
        values = [
            int(1200 + 50 * math.sin(t / 20)),  # line voltage (0.1 kV)
            int(300 + 40 * math.sin(t / 13)),  # current (A)
            int(500 + 5 * math.sin(t / 7)),  # frequency (0.1 Hz)
            int(60 + 3 * math.sin(t / 31)),  # transformer temperature (°C)
        ]
        # group 30 variation 2 (16-bit analog input with flag), start/stop 1 byte
        body = bytes([30, 2, 0x00, 0, len(values) - 1])
        for v in values:
            body += bytes([0x01]) + struct.pack("<h", v)  # flag ONLINE
        return body

    def answer(self, seq, func, objects):
        if func == READ:
            return fragment(seq, RESPONSE, self.analogs(), self.iin())
        if func == WRITE and objects[:2] == bytes([80, 1]):
            self.restart_bit = False  # the master cleared DEVICE_RESTART
            return fragment(seq, RESPONSE, b"", self.iin())
        if func in (COLD_RESTART, WARM_RESTART):
            self.restart_bit = True
            delay = bytes([52, 1, 0x07, 1]) + struct.pack("<H", self.args.reboot)  # time delay coarse (s)
            return fragment(seq, RESPONSE, delay, self.iin())
        if func in (ENABLE_UNSOLICITED, DISABLE_UNSOLICITED):
            self.unsolicited = func == ENABLE_UNSOLICITED
            return fragment(seq, RESPONSE, b"", self.iin())
        return fragment(seq, RESPONSE, b"", self.iin(IIN2_NO_FUNC_CODE_SUPPORT))

    async def serve(self, reader, writer):
        if time.monotonic() < self.down_until:
            writer.close()  # rebooting: nothing answers
            return
        self.writers.add(writer)
        try:
            while True:
                app = await read_frame(reader)
                seq, func, objects = app[0] & 0x0F, app[1], app[2:]
                writer.write(frame(self.answer(seq, func, objects), MASTER, self.args.address, False))
                await writer.drain()
                if func == COLD_RESTART:
                    print(f"outstation: cold restart asked; down for {self.args.reboot} s", flush=True)
                    self.reboot()
                    return
                if func in (WARM_RESTART, DISABLE_UNSOLICITED, ENABLE_UNSOLICITED):
                    print(f"outstation: function {func} done", flush=True)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    def reboot(self):
        self.down_until = time.monotonic() + self.args.reboot
        for w in list(self.writers):
            w.close()
        self.writers.clear()


def outstation(args):
    rtu = Outstation(args)

    async def main():
        server = await asyncio.start_server(rtu.serve, args.bind, args.port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Link:
    """A master's connection: requests and their responses, in turn."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.seq = 0

    def request(self, func, body=b""):
        self.sock.sendall(frame(fragment(self.seq, func, body), OUTSTATION, MASTER, True))
        self.seq = (self.seq + 1) & 0x0F
        return self.response()

    def response(self):
        header = self.recv(10)
        if header[:2] != b"\x05\x64" or crc(header[:8]) != header[8:10]:
            raise ValueError("bad link header")
        n, payload = header[2] - 5, b""
        while n > 0:
            size = min(16, n)
            block = self.recv(size + 2)
            payload += block[:size]
            n -= size
        app = payload[1:]
        if len(app) < 4 or app[1] != RESPONSE:
            raise ValueError("not a response")
        return app[2], app[3], app[4:]  # IIN1, IIN2, objects

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def close(self):
        self.sock.close()


CLASS_0_POLL = bytes([60, 1, 0x06])  # class 0 data, all objects
CLEAR_RESTART = bytes([80, 1, 0x00, 7, 7, 0x00])  # internal indication 7 (DEVICE_RESTART) := 0


def master(args):
    link = None
    polls = answered = 0
    while True:
        try:
            if link is None:
                link = Link(args.outstation, args.port, 2)
                print(f"master: connected to {args.outstation}:{args.port}", flush=True)
            polls += 1
            iin1, _, _ = link.request(READ, CLASS_0_POLL)
            answered += 1
            if iin1 & IIN1_DEVICE_RESTART:
                link.request(WRITE, CLEAR_RESTART)
                print("master: the RTU restarted; DEVICE_RESTART cleared", flush=True)
        except (OSError, ValueError) as exc:
            print(f"master: {exc}; reconnecting", flush=True)
            if link is not None:
                link.close()
            link = None
        if polls and polls % args.report == 0:
            print(f"master: {answered} of {polls} polls answered", flush=True)
        time.sleep(args.interval)


def command(args):
    try:
        link = Link(args.outstation, args.port, 3)
    except OSError as exc:
        print(f"command: cannot connect to {args.outstation}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        func = FUNCS[args.func]
        iin1, iin2, objects = link.request(func, BODIES.get(func, b""))
        print(f"command {args.func}: answered, IIN {iin1:02x}{iin2:02x}, {len(objects)} object bytes", flush=True)
    except (OSError, ValueError) as exc:
        print(f"command {args.func}: no answer ({exc})", flush=True)
    finally:
        link.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("outstation")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=20000)
    s.add_argument("--address", type=int, default=OUTSTATION)
    s.add_argument("--reboot", type=int, default=3)
    s = sub.add_parser("master")
    s.add_argument("--outstation", required=True)
    s.add_argument("--port", type=int, default=20000)
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--report", type=int, default=10)
    s = sub.add_parser("command")
    s.add_argument("--outstation", required=True)
    s.add_argument("--port", type=int, default=20000)
    s.add_argument("--func", choices=sorted(FUNCS), required=True)
    args = p.parse_args()
    return {"outstation": outstation, "master": master, "command": command}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
