package wire

import "time"

// CRC returns the CRC-16/MODBUS of b: reflected polynomial 0xA001, initial
// value 0xFFFF, no final XOR. On the wire it is sent low byte first.
func CRC(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// AppendCRC appends the CRC of b to b, low byte first.
func AppendCRC(b []byte) []byte {
	c := CRC(b)
	return append(b, byte(c), byte(c>>8))
}

// CheckCRC reports whether adu (PDU with its unit id and trailing CRC) has
// a correct CRC.
func CheckCRC(adu []byte) bool {
	if len(adu) < 3 {
		return false
	}
	n := len(adu) - 2
	return CRC(adu[:n]) == uint16(adu[n])|uint16(adu[n+1])<<8
}

// FrameGap is the silence that ends an RTU frame: 3.5 character times of 11
// bits at baud, and a fixed 1.75 ms above 19200 baud as the specification
// allows. baud must be positive.
func FrameGap(baud int) time.Duration {
	if baud > 19200 {
		return 1750 * time.Microsecond
	}
	return time.Duration(35*11) * time.Second / time.Duration(10*baud)
}

// TxTime is the time n bytes take on the wire at baud (8N1, 10 bits a
// character).
func TxTime(n, baud int) time.Duration {
	return time.Duration(n*10) * time.Second / time.Duration(baud)
}
