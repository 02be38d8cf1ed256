package testsvc

import (
	"os"
	"testing"
)

// DamageBolt overwrites every data page header of the bbolt file at path
// with garbage, as a failing disk or a torn copy might: a bare bolt.Open
// panics or refuses it, for tests of what the gateway does with a damaged
// store.
func DamageBolt(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := os.Getpagesize()
	for p := 2 * ps; p+ps <= len(b); p += ps {
		copy(b[p:], []byte{0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x00, 0xff, 0x7f})
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
