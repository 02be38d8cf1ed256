package testsvc

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// mqttProbe connects to an MQTT 3.1.1 listener with a clean session and
// reports whether it answers CONNACK with return code 0. It is a
// readiness check: NATS's MQTT listener accepts TCP before it can serve
// a session (its JetStream streams need a leader), and answers a CONNECT
// only once it can.
func mqttProbe(ctx context.Context, addr, clientID, user, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write(encodeConnect(clientID, user, password)); err != nil {
		return fmt.Errorf("mqtt probe %s: write CONNECT: %w", addr, err)
	}
	var ack [4]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return fmt.Errorf("mqtt probe %s: read CONNACK: %w", addr, err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		return fmt.Errorf("mqtt probe %s: want CONNACK, got % x", addr, ack)
	}
	if ack[3] != 0 {
		return fmt.Errorf("mqtt probe %s: CONNACK return code %d", addr, ack[3])
	}
	_, _ = c.Write([]byte{0xe0, 0}) // DISCONNECT
	return nil
}

// encodeConnect encodes an MQTT 3.1.1 CONNECT with a clean session.
func encodeConnect(clientID, user, password string) []byte {
	str := func(b []byte, s string) []byte {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		return append(b, s...)
	}
	flags := byte(0x02) // clean session
	var body []byte
	body = str(body, "MQTT")
	body = append(body, 4) // protocol level 3.1.1
	if user != "" {
		flags |= 0x80 | 0x40
	}
	body = append(body, flags, 0, 30) // keep alive 30 s
	body = str(body, clientID)
	if user != "" {
		body = str(body, user)
		body = str(body, password)
	}
	pkt := []byte{0x10}
	n := len(body)
	for {
		enc := byte(n % 128)
		n /= 128
		if n > 0 {
			enc |= 0x80
		}
		pkt = append(pkt, enc)
		if n == 0 {
			break
		}
	}
	return append(pkt, body...)
}
