// Package wire is the OSDP (SIA OSDP v2.2 / IEC 60839-11-5) wire codec shared
// by the gateway's control-panel driver and the PD simulator: frame encode and
// decode with CRC-16 or checksum, a streaming Reader that resynchronises on
// line noise, the command and reply codes, and the payload codecs of the
// messages the gateway speaks.
//
// It imports only the standard library.
package wire
