// Package modbus simulates Modbus RTU slaves — the I/O modules of light
// boxes — on one serial line, normally the far end of a pty pair: several
// unit ids answer the gateway's master, inputs are scriptable (press the
// button, open the tamper loop, cut mains), coils are observable, and line
// faults can be injected per unit (noise, bad CRC, silence, slow replies).
package modbus
