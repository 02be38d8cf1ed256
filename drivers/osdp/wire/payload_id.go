package wire

import (
	"encoding/binary"
	"fmt"
)

// PDIDLen is the size of a PDID reply payload.
const PDIDLen = 12

// PDID is a PD's identification, the reply to ID.
type PDID struct {
	VendorOUI     [3]byte
	Model         byte
	Version       byte
	Serial        uint32
	FirmwareMajor byte
	FirmwareMinor byte
	FirmwareBuild byte
}

// DecodePDID parses a PDID payload.
func DecodePDID(b []byte) (PDID, error) {
	if len(b) != PDIDLen {
		return PDID{}, fmt.Errorf("osdp PDID: %d bytes, want %d", len(b), PDIDLen)
	}
	return PDID{
		VendorOUI: [3]byte{b[0], b[1], b[2]}, Model: b[3], Version: b[4],
		Serial:        binary.LittleEndian.Uint32(b[5:9]),
		FirmwareMajor: b[9], FirmwareMinor: b[10], FirmwareBuild: b[11],
	}, nil
}

// Append encodes p onto dst.
func (p PDID) Append(dst []byte) []byte {
	dst = append(dst, p.VendorOUI[:]...)
	dst = append(dst, p.Model, p.Version)
	dst = binary.LittleEndian.AppendUint32(dst, p.Serial)
	return append(dst, p.FirmwareMajor, p.FirmwareMinor, p.FirmwareBuild)
}

// Firmware is the firmware version as "major.minor.build".
func (p PDID) Firmware() string {
	return fmt.Sprintf("%d.%d.%d", p.FirmwareMajor, p.FirmwareMinor, p.FirmwareBuild)
}

// PDCAP function codes.
const (
	CapContactStatus  byte = 1
	CapOutputControl  byte = 2
	CapCardFormat     byte = 3
	CapReaderLED      byte = 4
	CapReaderAudible  byte = 5
	CapReaderText     byte = 6
	CapTimeKeeping    byte = 7
	CapCheckCRC       byte = 8
	CapCommSecurity   byte = 9
	CapReceiveBuffer  byte = 10
	CapMaxMessage     byte = 11
	CapSmartCard      byte = 12
	CapReaders        byte = 13
	CapBiometrics     byte = 14
	CapSecurePIN      byte = 15
	CapOSDPVersion    byte = 16
	capFunctionLatest      = CapOSDPVersion
)

// Bits of the communication security capability (function 9): the
// compliance byte's bit 0 says the PD does AES-128 secure channel, the
// count byte's bit 0 that it accepts the default key SCBK-D.
const (
	CommSecurityAES128  byte = 0x01
	CommSecurityDefault byte = 0x01
)

// Capability is one [function, compliance, count] triple of a PDCAP reply.
type Capability struct {
	Function   byte
	Compliance byte
	Count      byte
}

// DecodePDCAP parses a PDCAP payload.
func DecodePDCAP(b []byte) ([]Capability, error) {
	if len(b) == 0 || len(b)%3 != 0 {
		return nil, fmt.Errorf("osdp PDCAP: %d bytes is not a non-empty multiple of 3", len(b))
	}
	caps := make([]Capability, 0, len(b)/3)
	for i := 0; i < len(b); i += 3 {
		if b[i] == 0 || b[i] > capFunctionLatest+32 {
			return nil, fmt.Errorf("osdp PDCAP: record %d has function code %d", i/3, b[i])
		}
		caps = append(caps, Capability{Function: b[i], Compliance: b[i+1], Count: b[i+2]})
	}
	return caps, nil
}

// AppendPDCAP encodes caps onto dst.
func AppendPDCAP(dst []byte, caps []Capability) []byte {
	for _, c := range caps {
		dst = append(dst, c.Function, c.Compliance, c.Count)
	}
	return dst
}

// ComSettings is the payload of COMSET and its COM reply.
type ComSettings struct {
	Address byte
	Baud    uint32
}

// DecodeComSettings parses a COMSET or COM payload.
func DecodeComSettings(b []byte) (ComSettings, error) {
	if len(b) != 5 {
		return ComSettings{}, fmt.Errorf("osdp COMSET/COM: %d bytes, want 5", len(b))
	}
	c := ComSettings{Address: b[0], Baud: binary.LittleEndian.Uint32(b[1:])}
	if c.Address > MaxAddress {
		return ComSettings{}, fmt.Errorf("osdp COMSET/COM: address 0x%02X above 0x7E", c.Address)
	}
	return c, nil
}

// Append encodes c onto dst.
func (c ComSettings) Append(dst []byte) []byte {
	return binary.LittleEndian.AppendUint32(append(dst, c.Address), c.Baud)
}

// Nak is the payload of a NAK reply.
type Nak struct {
	Code   byte
	Detail []byte
}

// DecodeNak parses a NAK payload.
func DecodeNak(b []byte) (Nak, error) {
	if len(b) == 0 {
		return Nak{}, fmt.Errorf("osdp NAK: empty, want an error code")
	}
	return Nak{Code: b[0], Detail: b[1:]}, nil
}

// Append encodes n onto dst.
func (n Nak) Append(dst []byte) []byte { return append(append(dst, n.Code), n.Detail...) }
