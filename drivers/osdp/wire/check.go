package wire

// CRC16 is the OSDP frame CRC: polynomial 0x1021, initial value 0x1D0F, not
// reflected, no final XOR (catalogued as CRC-16/SPI-FUJITSU or AUG-CCITT; it
// is not KERMIT). It is sent least significant byte first.
func CRC16(b []byte) uint16 {
	crc := uint16(0x1D0F)
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// Checksum is the OSDP 8-bit checksum: the two's complement of the 8-bit sum
// of b.
func Checksum(b []byte) byte {
	var sum byte
	for _, c := range b {
		sum += c
	}
	return -sum
}
