// Package wire is the Modbus RTU codec shared by the gateway's bus master
// (drivers/modbus) and the slave simulator (firmware-sim/modbus): ADU
// framing with CRC-16/MODBUS, the request and response PDUs of function
// codes 01–06, 0F and 10, exception responses, and the 3.5-character frame
// gap. It imports only the standard library and holds no state.
package wire
