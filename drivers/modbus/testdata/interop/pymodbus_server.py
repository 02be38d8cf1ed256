"""A Modbus RTU server built on pymodbus (Debian's python3-pymodbus), for
the gateway driver's interop tests: an independent implementation of the
slave side, on a serial port the test names.

usage: pymodbus_server.py PORT BAUD UNIT [UNIT ...]

Each unit has 16 discrete inputs and 16 coils from address 0; input 2 (the
lightbox-io mains sensor) starts active. Lines on stdin change it:
  di UNIT INPUT 0|1   set a discrete input
Coil writes are printed on stdout as "coil UNIT COIL 0|1", and "ready"
once the port is open.
"""

import asyncio
import sys
import threading

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncSerialServer
from pymodbus.transaction import ModbusRtuFramer


class Coils(ModbusSequentialDataBlock):
    """A coil block that reports every write on stdout."""

    def __init__(self, unit):
        super().__init__(0, [0] * 16)
        self.unit = unit

    def setValues(self, address, values):  # pylint: disable=invalid-name
        super().setValues(address, values)
        if not isinstance(values, list):
            values = [values]
        for i, v in enumerate(values):
            print(f"coil {self.unit} {address + i} {int(bool(v))}", flush=True)


def main():
    port, baud, units = sys.argv[1], int(sys.argv[2]), [int(u) for u in sys.argv[3:]]
    slaves = {}
    for u in units:
        di = ModbusSequentialDataBlock(0, [0] * 16)
        di.setValues(2, [1])
        slaves[u] = ModbusSlaveContext(di=di, co=Coils(u), hr=ModbusSequentialDataBlock(0, [0] * 16),
                                       ir=ModbusSequentialDataBlock(0, [0] * 16), zero_mode=True)
    context = ModbusServerContext(slaves=slaves, single=False)

    def commands():
        for line in sys.stdin:
            f = line.split()
            if len(f) == 4 and f[0] == "di":
                slaves[int(f[1])].setValues(2, int(f[2]), [int(f[3])])
                print(f"ok {line.strip()}", flush=True)
            elif f:
                print(f"error: unknown command {line.strip()!r}", flush=True)

    threading.Thread(target=commands, daemon=True).start()

    async def run():
        server = await StartAsyncSerialServer(context=context, framer=ModbusRtuFramer, port=port,
                                              baudrate=baud, bytesize=8, parity="N", stopbits=1,
                                              ignore_missing_slaves=True, defer_start=True)
        await server.start()
        print("ready", flush=True)
        await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
