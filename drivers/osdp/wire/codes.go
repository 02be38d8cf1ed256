package wire

// Framing constants.
const (
	// Mark is the optional byte a sender puts before SOM; it is not counted in
	// LEN nor covered by the check.
	Mark byte = 0xFF
	// SOM starts every packet.
	SOM byte = 0x53
	// ReplyBit is set in the address byte of every PD→CP reply.
	ReplyBit byte = 0x80
	// Broadcast is the address every PD answers to.
	Broadcast byte = 0x7F
	// MaxAddress is the highest unicast PD address.
	MaxAddress byte = 0x7E
)

// CTRL byte bits.
const (
	ctrlSQN = 0x03
	ctrlCRC = 0x04
	ctrlSCB = 0x08
)

// Command codes (CP→PD).
const (
	CmdPOLL     byte = 0x60
	CmdID       byte = 0x61
	CmdCAP      byte = 0x62
	CmdDIAG     byte = 0x63
	CmdLSTAT    byte = 0x64
	CmdISTAT    byte = 0x65
	CmdOSTAT    byte = 0x66
	CmdRSTAT    byte = 0x67
	CmdOUT      byte = 0x68
	CmdLED      byte = 0x69
	CmdBUZ      byte = 0x6A
	CmdTEXT     byte = 0x6B
	CmdRMODE    byte = 0x6C
	CmdTDSET    byte = 0x6D
	CmdCOMSET   byte = 0x6E
	CmdKEYSET   byte = 0x75
	CmdCHLNG    byte = 0x76
	CmdSCRYPT   byte = 0x77
	CmdACURX    byte = 0x7B
	CmdFILEXFER byte = 0x7C
	CmdMFG      byte = 0x80
	CmdABORT    byte = 0xA2
	CmdKEEPACT  byte = 0xA7
)

// Reply codes (PD→CP).
const (
	ReplyACK    byte = 0x40
	ReplyNAK    byte = 0x41
	ReplyPDID   byte = 0x45
	ReplyPDCAP  byte = 0x46
	ReplyLSTATR byte = 0x48
	ReplyISTATR byte = 0x49
	ReplyOSTATR byte = 0x4A
	ReplyRSTATR byte = 0x4B
	ReplyRAW    byte = 0x50
	ReplyFMT    byte = 0x51
	ReplyKEYPAD byte = 0x53
	ReplyCOM    byte = 0x54
	ReplyCCRYPT byte = 0x76
	ReplyRMACI  byte = 0x78
	ReplyBUSY   byte = 0x79
	ReplyFTSTAT byte = 0x7A
	ReplyMFGREP byte = 0x90
)

// NAK error codes.
const (
	NakNone        byte = 0
	NakCheck       byte = 1 // checksum/CRC error
	NakLength      byte = 2 // command length
	NakUnknown     byte = 3 // unknown command
	NakSQN         byte = 4 // unexpected sequence number
	NakSCBUnsupp   byte = 5 // security block not supported
	NakSecurity    byte = 6 // encryption required / conditions not met
	NakBioType     byte = 7
	NakBioFormat   byte = 8
	NakUnprocessed byte = 9
)

// CodeName names a command (reply false) or reply (reply true) code, or
// returns its hex form when unknown.
func CodeName(code byte, reply bool) string {
	if reply {
		if n := replyName(code); n != "" {
			return n
		}
	} else if n := cmdName(code); n != "" {
		return n
	}
	return hex2(code)
}

func cmdName(c byte) string {
	switch c {
	case CmdPOLL:
		return "POLL"
	case CmdID:
		return "ID"
	case CmdCAP:
		return "CAP"
	case CmdDIAG:
		return "DIAG"
	case CmdLSTAT:
		return "LSTAT"
	case CmdISTAT:
		return "ISTAT"
	case CmdOSTAT:
		return "OSTAT"
	case CmdRSTAT:
		return "RSTAT"
	case CmdOUT:
		return "OUT"
	case CmdLED:
		return "LED"
	case CmdBUZ:
		return "BUZ"
	case CmdTEXT:
		return "TEXT"
	case CmdCOMSET:
		return "COMSET"
	case CmdKEYSET:
		return "KEYSET"
	case CmdCHLNG:
		return "CHLNG"
	case CmdSCRYPT:
		return "SCRYPT"
	}
	return ""
}

func replyName(c byte) string {
	switch c {
	case ReplyACK:
		return "ACK"
	case ReplyNAK:
		return "NAK"
	case ReplyPDID:
		return "PDID"
	case ReplyPDCAP:
		return "PDCAP"
	case ReplyLSTATR:
		return "LSTATR"
	case ReplyISTATR:
		return "ISTATR"
	case ReplyOSTATR:
		return "OSTATR"
	case ReplyRSTATR:
		return "RSTATR"
	case ReplyRAW:
		return "RAW"
	case ReplyKEYPAD:
		return "KEYPAD"
	case ReplyCOM:
		return "COM"
	case ReplyCCRYPT:
		return "CCRYPT"
	case ReplyRMACI:
		return "RMAC_I"
	case ReplyBUSY:
		return "BUSY"
	}
	return ""
}

func hex2(b byte) string {
	const digits = "0123456789ABCDEF"
	return "0x" + string([]byte{digits[b>>4], digits[b&15]})
}
