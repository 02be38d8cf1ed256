package modbus

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestInteropLibmodbusClient: a libmodbus master (compiled in the test)
// reads the simulated module's inputs and switches its coil, as a site's
// own controller would; the simulator answers it as the gateway's driver
// is answered.
func TestInteropLibmodbusClient(t *testing.T) {
	bin := testsvc.BuildLibmodbus(t, "testdata/libmodbus_client.c")
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	bus, err := NewBus(BusConfig{Port: pty.Master, Units: []byte{4, 5}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := bus.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait(); pty.Close() })
	bus.Unit(5).SetTamper(true)

	out, err := exec.Command(bin, pty.SlavePath, "5").CombinedOutput()
	if err != nil {
		t.Fatalf("libmodbus client: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "di 0 1 1\ncoils 0 1 0"; got != want {
		t.Fatalf("libmodbus client printed\n%s\nwant\n%s", got, want)
	}
	if !bus.Unit(5).Coil(CoilSiren) || bus.Unit(4).Coil(CoilSiren) {
		t.Fatalf("coils: unit 5 %v, unit 4 %v; want only unit 5's coil 1 on", bus.Unit(5).Coils(), bus.Unit(4).Coils())
	}
}
