package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/passwd"
)

// passwdCmd reads a password from the first line of stdin and prints its
// argon2id hash, for password_hash in gridwatch.yaml (mqtt.embedded.users)
// or on a device or staff entry of registry.yaml:
//
//	printf '%s\n' "$PW" | gridwatchd passwd
func passwdCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 {
		return errors.New("usage: gridwatchd passwd < password   (reads one line from stdin, prints its argon2id hash)")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("passwd: read stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("passwd: no password on stdin")
	}
	h, err := passwd.Hash(pw)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, h)
	return err
}
