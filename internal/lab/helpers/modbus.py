#!/usr/bin/python3
"""vigil lab: Modbus/TCP with Debian's python3-pymodbus (3.0).

  modbus.py plc --bind ADDR [--port 502]
      a PLC: pymodbus's TCP server with a datastore (a tank: level,
      temperature, pump and valve); the process values move every second.
  modbus.py hmi --plc ADDR [--interval 1] [--report 60]
      an HMI: reads the PLC's holding registers every interval seconds on
      one connection, reconnecting when the PLC goes away, until killed;
      says how many reads were answered every report reads.
  modbus.py diag --plc ADDR --sub restart|listen-only
      one Diagnostics (function 8) request on a connection of its own:
      sub-function 1 Restart Communications or 4 Force Listen Only Mode,
      with pymodbus's client (diag_restart_communication; its
      ForceListenOnlyModeRequest); prints the answer, or that none came.

The lab writes this file into its work directory and runs it in the
namespaces of its hosts (vigil's internal/lab, scenario ics-modbus).
"""

import argparse
import asyncio
import logging
import math
import sys
import time

from pymodbus.client import ModbusTcpClient
from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.diag_message import ForceListenOnlyModeRequest
from pymodbus.server import StartAsyncTcpServer

UNIT = 1
# Holding registers 0–9: level (0.1 %), temperature (0.1 °C), pump (0/1),
# valve position (%), setpoints, alarm word, cycle counter.
REGISTERS = 10


def plc(args):
    hr = ModbusSequentialDataBlock(0, [0] * 100)
    co = ModbusSequentialDataBlock(0, [0] * 16)
    di = ModbusSequentialDataBlock(0, [0] * 16)
    ir = ModbusSequentialDataBlock(0, [0] * 16)
    store = ModbusSlaveContext(di=di, co=co, hr=hr, ir=ir, zero_mode=True)
    context = ModbusServerContext(slaves=store, single=True)
    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": "Vigil Lab Automation",
            "ProductCode": "VLA-PLC-200",
            "VendorUrl": "http://iot.lab.example/",
            "ProductName": "Tank controller",
            "ModelName": "PLC-200",
            "MajorMinorRevision": "2.4.1",
        }
    )

    async def process():
        t0 = time.monotonic()
        cycle = 0
        while True:
            t = time.monotonic() - t0
            level = 500 + int(300 * math.sin(t / 30))  # 20–80 %
            pump = 1 if level < 600 else 0
            values = [
                level,
                215 + int(10 * math.sin(t / 47)),  # 21.5 °C ± 1
                pump,
                40 + 20 * pump,
                800,  # high-level setpoint
                200,  # low-level setpoint
                0,  # alarms
                cycle & 0xFFFF,
                0,
                0,
            ]
            hr.setValues(0, values)
            co.setValues(0, [bool(pump)])
            cycle += 1
            await asyncio.sleep(1)

    async def main():
        asyncio.get_running_loop().create_task(process())
        await StartAsyncTcpServer(
            context=context, identity=identity, address=(args.bind, args.port)
        )

    asyncio.run(main())


def hmi(args):
    client = None
    answered = reads = level = 0
    while True:
        if client is None:
            client = ModbusTcpClient(args.plc, port=args.port, timeout=2, retries=0)
            if not client.connect():
                client = None
                time.sleep(args.interval)
                continue
            print(f"hmi: connected to {args.plc}:{args.port}", flush=True)
        reads += 1
        try:
            rr = client.read_holding_registers(0, REGISTERS, slave=UNIT)
            if rr.isError():
                print(f"hmi: {rr}", flush=True)
            else:
                answered += 1
                level = rr.registers[0]
        except Exception as exc:  # the PLC went away: reconnect
            print(f"hmi: {exc}; reconnecting", flush=True)
            client.close()
            client = None
        if reads % args.report == 0:
            print(f"hmi: {answered} of {reads} reads answered; tank level {level / 10:.1f} %", flush=True)
        time.sleep(args.interval)


def diag(args):
    # One try, a short wait: Force Listen Only Mode is never answered.
    client = ModbusTcpClient(args.plc, port=args.port, timeout=2, retries=0)
    if not client.connect():
        print(f"diag: cannot connect to {args.plc}:{args.port}", file=sys.stderr)
        return 1
    try:
        if args.sub == "restart":
            rr = client.diag_restart_communication(False, slave=UNIT)
        else:
            # pymodbus 3.0's diag_force_listen_only(slave=…) puts the unit
            # in the request's data field and sends it to unit 0: the
            # request is built here as the specification has it (data 0).
            rr = client.execute(ForceListenOnlyModeRequest(unit=UNIT))
        if rr.isError() and args.sub == "listen-only":
            print(f"diag {args.sub}: no answer, as the specification has it ({rr})", flush=True)
        elif rr.isError():
            print(f"diag {args.sub}: {rr}", flush=True)
        else:
            print(f"diag {args.sub}: answered, sub-function {rr.sub_function_code}, data {rr.message}", flush=True)
    except Exception as exc:
        print(f"diag {args.sub}: no answer ({exc})", flush=True)
    finally:
        client.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("plc")
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, default=502)
    s = sub.add_parser("hmi")
    s.add_argument("--plc", required=True)
    s.add_argument("--port", type=int, default=502)
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--report", type=int, default=60)
    s = sub.add_parser("diag")
    s.add_argument("--plc", required=True)
    s.add_argument("--port", type=int, default=502)
    s.add_argument("--sub", choices=["restart", "listen-only"], required=True)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    return {"plc": plc, "hmi": hmi, "diag": diag}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
