/* A Modbus RTU client built on libmodbus (Debian's libmodbus-dev), for the
 * simulator's interop test: the master side of the library many building
 * controllers and SCADA gateways use, asking the simulated I/O modules
 * what a real site would.
 *
 * usage: libmodbus_client PORT UNIT
 *
 * Reads discrete inputs 0-2, switches coil 1 on, reads coils 0-2, and
 * prints "di B B B" and "coils B B B"; any failure goes to stderr with a
 * non-zero exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <modbus.h>

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s PORT UNIT\n", argv[0]);
		return 2;
	}
	modbus_t *ctx = modbus_new_rtu(argv[1], 115200, 'N', 8, 1);
	if (ctx == NULL || modbus_set_slave(ctx, atoi(argv[2])) == -1 || modbus_connect(ctx) == -1) {
		fprintf(stderr, "libmodbus connect %s: %s\n", argv[1], modbus_strerror(errno));
		return 1;
	}
	modbus_set_response_timeout(ctx, 2, 0);
	uint8_t bits[3];
	if (modbus_read_input_bits(ctx, 0, 3, bits) != 3) {
		fprintf(stderr, "read discrete inputs: %s\n", modbus_strerror(errno));
		return 1;
	}
	printf("di %d %d %d\n", bits[0], bits[1], bits[2]);
	if (modbus_write_bit(ctx, 1, 1) != 1) {
		fprintf(stderr, "write coil 1: %s\n", modbus_strerror(errno));
		return 1;
	}
	if (modbus_read_bits(ctx, 0, 3, bits) != 3) {
		fprintf(stderr, "read coils: %s\n", modbus_strerror(errno));
		return 1;
	}
	printf("coils %d %d %d\n", bits[0], bits[1], bits[2]);
	modbus_close(ctx);
	modbus_free(ctx);
	return 0;
}
