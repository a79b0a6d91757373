#!/usr/bin/python3
"""vigil lab: EtherNet/IP and CIP explicit messages with Python's standard library only.

  enip.py plc --bind ADDR [--port 44818] [--reboot 3]
      a PLC's EtherNet/IP adapter: RegisterSession, UnRegisterSession,
      ListIdentity, and SendRRData carrying unconnected CIP requests:
      Get_Attribute_Single of the Identity object (class 0x01) and of an
      input assembly (class 0x04, instance 100, attribute 3: eight process
      values that move every second), Reset (0x05) of the Identity object
      (answered, then the device reboots: every connection dropped, none
      taken for --reboot seconds) and Stop (0x07) (answered; the program
      stops: the assembly's values freeze); other services get status 0x08
      (service not supported).
  enip.py hmi --plc ADDR [--port 44818] [--interval 1] [--report 10]
      an HMI: registers a session and reads the input assembly every
      interval seconds, registering again when the PLC goes away; says how
      many reads were answered every report reads.
  enip.py command --plc ADDR --service reset|stop
      one request to the Identity object on a session of its own (CIP has
      no authentication); prints the answer.

Every message is built here: the 24-byte encapsulation header, the
common packet format's null address and unconnected data items, the CIP
request (service, path of 8-bit logical segments, data) and its answer.
The lab writes this file into its work directory and runs it in the
namespaces of its hosts (vigil's internal/lab, scenario ics-cip).
"""

import argparse
import asyncio
import math
import socket
import struct
import sys
import time

REGISTER_SESSION, UNREGISTER_SESSION, LIST_IDENTITY, SEND_RR_DATA = 0x65, 0x66, 0x63, 0x6F
GET_ATTRIBUTE_SINGLE, RESET, STOP = 0x0E, 0x05, 0x07
IDENTITY, ASSEMBLY = 0x01, 0x04
SERVICES = {"reset": RESET, "stop": STOP}
PRODUCT = b"1769-L33ER/A LOGIX5333ER"


def header(command, length, session=0, status=0, context=b"\0" * 8):
    return struct.pack("<HHII8sI", command, length, session, status, context, 0)


def path(cls, instance, attribute=None):
    """A padded path of 8-bit logical segments; its size in 16-bit words first."""
    p = bytes([0x20, cls, 0x24, instance])
    if attribute is not None:
        p += bytes([0x30, attribute])
    return bytes([len(p) // 2]) + p


def rr_data(cip):
    """SendRRData's data: interface handle, timeout, and two CPF items."""
    return struct.pack("<IHH", 0, 5, 2) + struct.pack("<HH", 0x0000, 0) + struct.pack("<HH", 0x00B2, len(cip)) + cip


def cip_of(data):
    """The CIP message of a SendRRData's unconnected data item."""
    count = struct.unpack_from("<H", data, 6)[0]
    off = 8
    for _ in range(count):
        kind, size = struct.unpack_from("<HH", data, off)
        off += 4
        if kind == 0x00B2:
            return data[off : off + size]
        off += size
    raise ValueError("no unconnected data item")


def identity_item(addr, port):
    """A ListIdentity reply's CIP Identity item (0x000C)."""
    body = struct.pack("<H", 1)  # encapsulation version
    body += struct.pack(">HH4s8s", 2, port, socket.inet_aton(addr), b"\0" * 8)  # sockaddr_in, big-endian
    body += struct.pack("<HHHBBHI", 1, 0x0E, 0x0095, 33, 11, 0x0030, 0x60C1A3E7)  # vendor, type, product, rev, status, serial
    body += bytes([len(PRODUCT)]) + PRODUCT + bytes([3])  # product name, state: operational
    return struct.pack("<HHH", 1, 0x000C, len(body)) + body


class PLC:
    def __init__(self, args):
        self.args = args
        self.down_until = 0.0
        self.running = True
        self.frozen = None
        self.writers = set()
        self.next_session = 0x1000
        self.t0 = time.monotonic()

    def values(self):
        if not self.running and self.frozen is not None:
            return self.frozen
        t = time.monotonic() - self.t0
        v = [int(500 + 300 * math.sin(t / (7 + i))) for i in range(8)]
        self.frozen = struct.pack("<8h", *v)
        return self.frozen

    def cip_answer(self, req):
        service, words = req[0], req[1]
        p = req[2 : 2 + 2 * words]
        cls = p[1] if len(p) >= 2 and p[0] == 0x20 else None
        data = b""
        status = 0
        if service == GET_ATTRIBUTE_SINGLE and cls == ASSEMBLY:
            data = self.values()
        elif service == GET_ATTRIBUTE_SINGLE and cls == IDENTITY:
            data = bytes([len(PRODUCT)]) + PRODUCT
        elif service == RESET and cls == IDENTITY:
            pass
        elif service == STOP:
            self.running = False
        else:
            status = 0x08  # service not supported
        return bytes([service | 0x80, 0, status, 0]) + data

    async def serve(self, reader, writer):
        if time.monotonic() < self.down_until:
            writer.close()  # rebooting: nothing answers
            return
        self.writers.add(writer)
        session = 0
        try:
            while True:
                head = await reader.readexactly(24)
                command, length, handle, _, context, _ = struct.unpack("<HHII8sI", head)
                data = await reader.readexactly(length)
                reset = False
                if command == REGISTER_SESSION:
                    session, self.next_session = self.next_session, self.next_session + 1
                    reply = header(command, 4, session, 0, context) + data[:4]
                elif command == UNREGISTER_SESSION:
                    return
                elif command == LIST_IDENTITY:
                    item = identity_item(self.args.bind, self.args.port)
                    reply = header(command, len(item), 0, 0, context) + item
                elif command == SEND_RR_DATA and handle == session and session:
                    req = cip_of(data)
                    reset = req[0] == RESET and len(req) >= 4 and req[3] == IDENTITY
                    body = rr_data(self.cip_answer(req))
                    reply = header(command, len(body), session, 0, context) + body
                else:
                    reply = header(command, 0, handle, 0x64 if command == SEND_RR_DATA else 0x01, context)  # invalid session / command
                writer.write(reply)
                await writer.drain()
                if reset:
                    print(f"plc: reset of the Identity object; down for {self.args.reboot} s", flush=True)
                    self.reboot()
                    return
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, struct.error):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    def reboot(self):
        self.down_until = time.monotonic() + self.args.reboot
        self.running, self.frozen = True, None
        for w in list(self.writers):
            w.close()
        self.writers.clear()


def plc(args):
    device = PLC(args)

    async def main():
        server = await asyncio.start_server(device.serve, args.bind, args.port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Session:
    """A client's registered session: CIP requests and their answers, in turn."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.n = 0
        self.handle = 0
        _, _, self.handle = self.exchange(REGISTER_SESSION, struct.pack("<HH", 1, 0))

    def exchange(self, command, data):
        self.n += 1
        self.sock.sendall(header(command, len(data), self.handle, 0, struct.pack("<Q", self.n)) + data)
        head = self.recv(24)
        reply, length, handle, status, _, _ = struct.unpack("<HHII8sI", head)
        body = self.recv(length)
        if reply != command or status != 0:
            raise ValueError(f"command 0x{reply:02x} status 0x{status:x}")
        return body, status, handle

    def request(self, service, p, data=b""):
        body, _, _ = self.exchange(SEND_RR_DATA, rr_data(bytes([service]) + p + data))
        answer = cip_of(body)
        if len(answer) < 4 or answer[0] != service | 0x80:
            raise ValueError("not an answer to the request")
        return answer[2], answer[4 + 2 * answer[3] :]  # general status, data

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def close(self):
        try:
            self.sock.sendall(header(UNREGISTER_SESSION, 0, self.handle))
        except OSError:
            pass
        self.sock.close()


def hmi(args):
    session = None
    reads = answered = 0
    while True:
        try:
            if session is None:
                session = Session(args.plc, args.port, 2)
                print(f"hmi: session 0x{session.handle:08x} with {args.plc}:{args.port}", flush=True)
            reads += 1
            status, data = session.request(GET_ATTRIBUTE_SINGLE, path(ASSEMBLY, 100, 3))
            if status == 0 and len(data) == 16:
                answered += 1
        except (OSError, ValueError, struct.error) as exc:
            print(f"hmi: {exc}; registering again", flush=True)
            if session is not None:
                session.sock.close()
            session = None
        if reads and reads % args.report == 0:
            print(f"hmi: {answered} of {reads} reads answered", flush=True)
        time.sleep(args.interval)


def command(args):
    try:
        session = Session(args.plc, args.port, 3)
    except (OSError, ValueError, struct.error) as exc:
        print(f"command: cannot register a session with {args.plc}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        data = struct.pack("<B", 0) if args.service == "reset" else b""  # reset type 0: as at power-up
        status, _ = session.request(SERVICES[args.service], path(IDENTITY, 1), data)
        print(f"command {args.service}: answered, status 0x{status:02x}", flush=True)
    except (OSError, ValueError, struct.error) as exc:
        print(f"command {args.service}: no answer ({exc})", flush=True)
    finally:
        session.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("plc")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=44818)
    s.add_argument("--reboot", type=int, default=3)
    s = sub.add_parser("hmi")
    s.add_argument("--plc", required=True)
    s.add_argument("--port", type=int, default=44818)
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--report", type=int, default=10)
    s = sub.add_parser("command")
    s.add_argument("--plc", required=True)
    s.add_argument("--port", type=int, default=44818)
    s.add_argument("--service", choices=sorted(SERVICES), required=True)
    args = p.parse_args()
    return {"plc": plc, "hmi": hmi, "command": command}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
