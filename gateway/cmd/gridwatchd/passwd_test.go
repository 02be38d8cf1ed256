package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/passwd"
)

func TestPasswdPrintsAHashOfStdin(t *testing.T) {
	var out bytes.Buffer
	if err := passwdCmd(nil, strings.NewReader("s3cret pass\n"), &out); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(out.String())
	if err := passwd.Verify(h, "s3cret pass"); err != nil {
		t.Errorf("printed %q, which does not verify the password: %v", h, err)
	}
	if err := passwdCmd(nil, strings.NewReader("\n"), &out); err == nil {
		t.Error("an empty password was hashed")
	}
}
