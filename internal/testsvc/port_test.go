package testsvc

import "testing"

// TestFreePortNeverRepeats: a port handed out once is never handed out
// again in the same test binary, whatever the kernel offers next.
func TestFreePortNeverRepeats(t *testing.T) {
	s := &portSet{ports: map[int]bool{}}
	if !s.claim(4000) || s.claim(4000) || !s.claim(4001) {
		t.Fatal("claim: want the first claim of a port to succeed and the second to fail")
	}
	seen := map[int]bool{}
	for range 200 {
		p := FreePort(t)
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
}
