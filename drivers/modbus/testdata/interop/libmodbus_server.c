/* A Modbus RTU server built on libmodbus (Debian's libmodbus-dev), for the
 * gateway driver's interop tests: the slave side of the library most
 * third-party I/O modules and gateways are built on.
 *
 * usage: libmodbus_server PORT BAUD UNIT
 *
 * 16 discrete inputs and 16 coils from address 0; input 2 (the lightbox-io
 * mains sensor) starts active. SIGUSR1 toggles input 1 (the tamper loop).
 * Prints "ready" once the port is open and "served N" after every reply.
 * Requests for other units are left to libmodbus, which then takes the
 * next frame on the line for that unit's reply and drops it, waiting up
 * to its response timeout (500 ms by default) for it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

static volatile sig_atomic_t toggle;

static void on_usr1(int sig) {
	(void)sig;
	toggle = 1;
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: %s PORT BAUD UNIT\n", argv[0]);
		return 2;
	}
	modbus_t *ctx = modbus_new_rtu(argv[1], atoi(argv[2]), 'N', 8, 1);
	if (ctx == NULL || modbus_set_slave(ctx, atoi(argv[3])) == -1) {
		fprintf(stderr, "libmodbus: %s\n", modbus_strerror(errno));
		return 1;
	}
	modbus_mapping_t *map = modbus_mapping_new(16, 16, 16, 16);
	if (map == NULL) {
		fprintf(stderr, "libmodbus mapping: %s\n", modbus_strerror(errno));
		return 1;
	}
	map->tab_input_bits[2] = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	if (modbus_connect(ctx) == -1) {
		fprintf(stderr, "libmodbus connect %s: %s\n", argv[1], modbus_strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	uint8_t req[MODBUS_RTU_MAX_ADU_LENGTH];
	long served = 0;
	for (;;) {
		if (toggle) {
			toggle = 0;
			map->tab_input_bits[1] ^= 1;
		}
		int rc = modbus_receive(ctx, req);
		if (rc > 0) {
			if (modbus_reply(ctx, req, rc, map) > 0) {
				printf("served %ld\n", ++served);
				fflush(stdout);
			}
		} else if (rc == -1 && (errno == EBADF || errno == EIO || errno == ENXIO)) {
			fprintf(stderr, "libmodbus receive: %s\n", modbus_strerror(errno));
			return 1;
		}
	}
}
