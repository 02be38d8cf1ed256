package registry

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseGoodFile(t *testing.T) {
	r, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.Grids()); got != 5 {
		t.Errorf("grids = %d, want 5", got)
	}
	if got := len(r.StaffList()); got != 5 {
		t.Errorf("staff = %d, want 5", got)
	}
	if got := len(r.Devices()); got != 6 {
		t.Errorf("devices = %d, want 6", got)
	}
	lb, ok := r.Device("lb-0001")
	if !ok {
		t.Fatal("lb-0001 missing")
	}
	if lb.Kind != Lightbox || lb.Grid != "lh-g4-07" || lb.Name != "莲花路12号" || lb.Heartbeat != 30*time.Second {
		t.Errorf("lb-0001 = %+v", lb)
	}
	if lb.Location == nil || lb.Location.Lat != 33.30 || lb.Location.Lon != 111.49 {
		t.Errorf("lb-0001 location = %+v", lb.Location)
	}
	if len(lb.Cameras) != 1 || lb.Cameras[0] != "cam-0001" {
		t.Errorf("lb-0001 cameras = %v", lb.Cameras)
	}
	if rd, _ := r.Device("rd-0001"); rd.OSDP == nil || rd.OSDP.Port != "/dev/ttyUSB0" || rd.OSDP.Address != 1 {
		t.Errorf("rd-0001 osdp = %+v", rd.OSDP)
	}
	if rd, _ := r.Device("rd-0001"); rd.Heartbeat != DefaultHeartbeat {
		t.Errorf("rd-0001 heartbeat = %v, want the default %v", rd.Heartbeat, DefaultHeartbeat)
	}
	if io, _ := r.Device("io-0003"); io.Modbus == nil || *io.Modbus != (Modbus{Port: "/dev/ttyUSB1", Unit: 3, Profile: "lightbox-io"}) {
		t.Errorf("io-0003 modbus = %+v", io.Modbus)
	}
	if cam, _ := r.Device("cam-0001"); cam.RTP == nil || cam.RTP.Listen != "0.0.0.0:5004" {
		t.Errorf("cam-0001 rtp = %+v", cam.RTP)
	}
	if cam, _ := r.Device("cam-0002"); cam.RTSP == nil || cam.RTSP.URL != "rtsp://10.0.0.9:554/stream1" {
		t.Errorf("cam-0002 rtsp = %+v", cam.RTSP)
	}
	if lb2, _ := r.Device("lb-0002"); lb2.Attrs["model"] != "LB-200" || lb2.Attrs["vendor"] != "acme" {
		t.Errorf("lb-0002 attrs = %v", lb2.Attrs)
	}
	if g, _ := r.Grid("lianhua"); g.Name != "莲花社区" || g.Level != 3 || g.Parent != "baiyu" {
		t.Errorf("lianhua = %+v", g)
	}
	if s, _ := r.Staff("li"); s.Role != Police || s.Phone != "+86 138 0000 0000" || len(s.Grids) != 1 || s.Grids[0] != "lianhua" {
		t.Errorf("li = %+v", s)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, data := range []string{"", "# nothing yet\n", "grids:\nstaff: ~\ndevices: []\n", "~\n"} {
		r, err := Parse("registry.yaml", []byte(data))
		if err != nil {
			t.Errorf("Parse(%q): %v", data, err)
			continue
		}
		if len(r.Grids())+len(r.StaffList())+len(r.Devices()) != 0 {
			t.Errorf("Parse(%q) is not empty", data)
		}
	}
}

// TestParseBadFiles checks that each bad fixture reports every one of its
// problems, with the right line, in line order. The expected messages are
// in testdata/NAME.err, one per line, without the file name.
func TestParseBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(f)
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load: %v, want *Errors", err)
			}
			var got []string
			for _, p := range errs.Problems {
				if p.File != f {
					t.Errorf("problem file %q, want %q", p.File, f)
				}
				got = append(got, strings.TrimPrefix(p.String(), f+":"))
			}
			wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
			if strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
			}
			if !strings.Contains(err.Error(), f+":"+wantLines[0]) {
				t.Errorf("Error() = %q does not start with the first problem", err.Error())
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}
