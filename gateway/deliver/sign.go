package deliver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook signature headers (see the package documentation).
const (
	HeaderSignature = "X-Gridwatch-Signature"
	HeaderTimestamp = "X-Gridwatch-Timestamp"
	signaturePrefix = "sha256="
)

// Sign returns the X-Gridwatch-Signature value for body sent at the Unix
// second ts: "sha256=" and the hex HMAC-SHA256 of ts, ".", body.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a received webhook: the signature must match the
// timestamp header and the exact body, and the timestamp must lie within
// tolerance of now (older or newer is treated as a replay).
func VerifySignature(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("webhook signature: bad %s %q", HeaderTimestamp, timestamp)
	}
	if !strings.HasPrefix(signature, signaturePrefix) {
		return fmt.Errorf("webhook signature: %s does not start with %q", HeaderSignature, signaturePrefix)
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return errors.New("webhook signature: does not match the body and timestamp")
	}
	if skew := now.Sub(time.Unix(ts, 0)).Abs(); skew > tolerance {
		return fmt.Errorf("webhook signature: timestamp %d is %s from now (tolerance %s): replay?", ts, skew, tolerance)
	}
	return nil
}
