package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// storageRegistry has two boxes, so that a press after a restart opens an
// alarm of its own rather than joining the first one.
const storageRegistry = registryYAML + "  - {id: lb-0002, kind: lightbox, grid: lh-g4-07, name: 莲花路20号}\n"

// stop sends SIGTERM and waits for a clean exit.
func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := cmd.Process.Wait(); done <- err }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("gridwatchd did not stop within 30 s of SIGTERM")
	}
}

// openAlarms lists the open alarms.
func (d *daemon) openAlarms() []alarm.Alarm {
	d.t.Helper()
	resp, err := http.Get("http://" + d.httpAddr + "/api/v1/alarms?state=open")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var list struct{ Alarms []alarm.Alarm }
	if json.NewDecoder(resp.Body).Decode(&list) != nil {
		return nil
	}
	return list.Alarms
}

// alarmFor waits for an open alarm of dev and returns it.
func (d *daemon) alarmFor(dev string) alarm.Alarm {
	d.t.Helper()
	var found alarm.Alarm
	testsvc.Eventually(d.t, 30*time.Second, "an open alarm for "+dev, func() bool {
		for _, a := range d.openAlarms() {
			if a.Device == dev {
				found = a
				return true
			}
		}
		return false
	})
	return found
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "gridwatchd.log"))
	return string(b)
}

// TestPressesAfterJournalLossRaiseAlarms is issue 11's hole 5 with the real
// daemon: after the journal is deleted, or loses its tail, the next press
// is acknowledged AND raises its alarm and pages the grid member. Before,
// event IDs restarted below the alarm store's checkpoint and the desk took
// the new presses for ones it had handled: PUBACKed, then nothing.
func TestPressesAfterJournalLossRaiseAlarms(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, journalDir string)
		log    string
	}{
		{"journal directory deleted", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}, "JOURNAL LOST"},
		{"journal tail cut mid-line", func(t *testing.T, dir string) {
			segs, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			if err != nil || len(segs) == 0 {
				t.Fatalf("no journal segment: %v", err)
			}
			last := segs[len(segs)-1]
			b, err := os.ReadFile(last)
			if err != nil {
				t.Fatal(err)
			}
			// Cut the last line (the press) in half.
			lines := bytes.SplitAfter(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
			keep := len(b) - len(lines[len(lines)-1]) - 1 + len(lines[len(lines)-1])/2
			if err := os.Truncate(last, int64(keep)); err != nil {
				t.Fatal(err)
			}
		}, "dropped a damaged tail of the journal holding ACKNOWLEDGED events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDaemon(t)
			d.writeRegistry(storageRegistry)
			gw := d.start()
			d.press("lb-0001", 1)
			d.press("lb-0001", 2) // a second line in the journal, same alarm
			first := d.alarmFor("lb-0001")
			stop(t, gw)

			tt.damage(t, filepath.Join(d.dir, "data", "journal"))

			d.start()
			// The phone connects once the gateway is back (a page to a phone
			// that is reconnecting is another issue's matter).
			phones := newPhones(t, d.mqttAddr, "wang")
			d.press("lb-0002", 1)
			second := d.alarmFor("lb-0002")
			if second.ID == first.ID {
				t.Fatalf("lb-0002's press joined alarm %s of lb-0001", first.ID)
			}
			testsvc.Eventually(t, 20*time.Second, "wang paged for lb-0002", func() bool {
				for _, n := range phones.get("wang") {
					if n.AlarmID == second.ID {
						return true
					}
				}
				return false
			})
			log := d.log()
			for _, want := range []string{"level=ERROR msg=\"JOURNAL LOST", tt.log} {
				if !strings.Contains(log, want) {
					t.Errorf("journal loss not logged with %q", want)
				}
			}
		})
	}
}

// TestDamagedAlarmStoreRefusesToStartWithTheWayOut is issue 11's hole 8
// for alarms.db with the real daemon: a damaged file makes gridwatchd exit
// non-zero with the file's name and the recovery command, not a panic (it
// panicked at every start: a crash loop). The command then gets the
// gateway going again, without raising the old press a second time.
func TestDamagedAlarmStoreRefusesToStartWithTheWayOut(t *testing.T) {
	d := newDaemon(t)
	d.writeRegistry(storageRegistry)
	gw := d.start()
	d.press("lb-0001", 1)
	d.alarmFor("lb-0001")
	stop(t, gw)
	store := filepath.Join(d.dir, "data", "alarms.db")
	testsvc.DamageBolt(t, store)

	cmd := exec.Command(d.bin, "-config", d.cfgPath)
	cmd.Dir = d.dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("gridwatchd kept running on a damaged alarms.db")
	}
	out := stderr.String()
	if cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("exit code 0 on a damaged alarms.db")
	}
	for _, want := range []string{"data/alarms.db", "damaged", "gridwatchd alarms reset -config"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr does not say %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"panic:", "goroutine "} {
		if strings.Contains(out, bad) {
			t.Errorf("stderr has a panic trace (%q):\n%s", bad, out)
		}
	}

	reset := exec.Command(d.bin, "alarms", "reset", "-config", d.cfgPath)
	reset.Dir = d.dir
	if b, err := reset.CombinedOutput(); err != nil {
		t.Fatalf("gridwatchd alarms reset: %v\n%s", err, b)
	} else {
		t.Logf("alarms reset: %s", b)
	}
	if aside, _ := filepath.Glob(store + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("damaged store set aside as %v, want one file", aside)
	}
	d.start()
	phones := newPhones(t, d.mqttAddr, "wang")
	d.press("lb-0002", 1)
	second := d.alarmFor("lb-0002")
	testsvc.Eventually(t, 20*time.Second, "wang paged for lb-0002", func() bool { return phones.count("wang") >= 1 })
	for _, a := range d.openAlarms() {
		if a.Device == "lb-0001" {
			t.Errorf("the press before the reset was raised again: %s", a.ID)
		}
	}
	if n := phones.get("wang"); n[0].AlarmID != second.ID {
		t.Errorf("wang's first page after the reset is for %s, want %s", n[0].AlarmID, second.ID)
	}
}
